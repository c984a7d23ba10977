"""The argument parser of every command in this project, metrics' own included.

It lives in ``metrics``, the lowest package (``simda`` and ``benchmarks`` import it, it imports
neither), so that ``python -m metrics.fvd`` reads flags exactly as the SimDA commands do without
``metrics`` depending on the model package.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any


class CommandParser(argparse.ArgumentParser):
    """Every command's parser: it also reads diffusers' underscore spelling of each of its flags.

    diffusers' scripts write ``--num_inference_steps`` where our flags say ``--num-inference-steps``;
    an underscore spelling that is not a flag itself is read as the hyphenated flag, if there is one
    (``--flag_name=value`` too). The epilog says so, since ``--help`` lists one spelling.
    """

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        return super().parse_known_args(self.hyphenated(sys.argv[1:] if args is None else args), namespace)

    def hyphenated(self, args: Sequence[str]) -> list[str]:
        """``args`` with each underscore spelling of one of this parser's flags replaced by the flag."""
        flags = self._option_string_actions
        typed = []
        for arg in args:
            name, equals, value = arg.partition("=")
            hyphenated = name.replace("_", "-")
            known = name.startswith("--") and name not in flags and hyphenated in flags
            typed.append(hyphenated + equals + value if known else arg)
        return typed
