"""Where a model named by path or Hugging Face Hub id lies on this machine, without the network.

A diffusers user names models by Hub id (``stable-diffusion-v1-5/stable-diffusion-v1-5``).
SimDA reads such an id from the local Hugging Face cache, as diffusers does offline
(``huggingface_hub.snapshot_download(..., local_files_only=True)``, the cache at ``HF_HUB_CACHE``
or ``HF_HOME/hub``), and never downloads: a model missing from the cache is refused with the
command that fetches it once.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from simda.plumbing.errors import MissingInput

#: A Hub repository id as diffusers' models are named, ``owner/name`` (letters, digits, ``-``, ``_``, ``.``);
#: a bare name is taken for a mistyped folder, not looked up.
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
SD_SUBFOLDERS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")


def local_folder(name_or_path: str | os.PathLike, argument: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """``name_or_path`` if it is a folder, else the snapshot of that Hub id in the local cache (``cache_dir``
    overrides it, as in diffusers); :class:`MissingInput` names ``argument``, the user's name for it (``--base``)."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    text = str(name_or_path)
    if path.exists() or not REPO_ID.fullmatch(text):
        state = "is a file, not a folder" if path.exists() else "not found"
        raise MissingInput(f"{argument} {text}: {state}; pass a model folder in diffusers layout or a Hub id")
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(text, cache_dir=cache_dir, local_files_only=True))
    except LocalEntryNotFoundError as error:
        cache = cache_dir or constants.HF_HUB_CACHE
        raise MissingInput(
            f"{argument} {text}: no such folder, and no snapshot of the Hub model {text} in the local "
            f"Hugging Face cache ({cache}); nothing is downloaded here: fetch it once with `hf download {text}` "
            "(or point HF_HUB_CACHE at a cache that holds it), or pass a local folder"
        ) from error


def require_subfolders(root: Path, argument: str, subfolders: tuple[str, ...], what: str, hint: str) -> None:
    """Refuse ``root`` (:class:`MissingInput`, naming ``argument`` first) before any weight is read unless it holds
    every ``subfolders`` entry."""
    missing = [name for name in subfolders if not (root / name).is_dir()]
    if missing:
        raise MissingInput(f"{argument} {root}: not {what} in diffusers layout: missing {missing}; {hint}")


def require_stable_diffusion(root: Path, argument: str) -> None:
    """Refuse ``root`` unless it is a Stable Diffusion folder in diffusers layout; ``argument`` names the flag."""
    require_subfolders(
        root,
        argument,
        SD_SUBFOLDERS,
        "a Stable Diffusion folder",
        f"pass {argument} a folder holding unet/, vae/, text_encoder/, tokenizer/ and scheduler/ "
        "(for example a local copy of stable-diffusion-v1-5)",
    )
