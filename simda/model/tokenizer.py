"""Stable Diffusion's CLIP tokenizer, built offline from the vocabulary that open_clip ships.

Stable Diffusion 1.x tokenizes with OpenAI CLIP's byte-level BPE (49,408 tokens). open_clip
bundles that BPE as ``bpe_simple_vocab_16e6.txt.gz``; writing it out as ``vocab.json`` and
``merges.txt`` gives a transformers ``CLIPTokenizer`` with the same ids, so the tiny preset and
tests need no download.
"""

from __future__ import annotations

import functools
import gzip
import json
import tempfile
from pathlib import Path

from open_clip.tokenizer import bytes_to_unicode, default_bpe
from transformers import CLIPTokenizer

START, END = "<|startoftext|>", "<|endoftext|>"
MERGE_COUNT = 49152 - 256 - 2  # merges used by CLIP: vocabulary minus bytes and the two specials


@functools.lru_cache(maxsize=2)
def build_clip_tokenizer(max_length: int = 77) -> CLIPTokenizer:
    """A ``CLIPTokenizer`` equal to Stable Diffusion's, padded with ``<|endoftext|>`` like SD 1.x.

    Cached per process: building the BPE tables takes seconds, and tokenizers are read-only here.
    """
    with gzip.open(default_bpe(), "rt", encoding="utf-8") as handle:
        merges = handle.read().split("\n")[1 : MERGE_COUNT + 1]
    byte_tokens = list(bytes_to_unicode().values())  # CLIP's token order: bytes, bytes ending words, merges
    tokens = byte_tokens + [token + "</w>" for token in byte_tokens]
    tokens += ["".join(merge.split()) for merge in merges]
    vocab = {token: index for index, token in enumerate([*tokens, START, END])}
    with tempfile.TemporaryDirectory() as folder:
        vocab_file, merges_file = Path(folder, "vocab.json"), Path(folder, "merges.txt")
        vocab_file.write_text(json.dumps(vocab), encoding="utf-8")
        merges_file.write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
        return CLIPTokenizer(str(vocab_file), str(merges_file), pad_token=END, model_max_length=max_length)
