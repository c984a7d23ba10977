"""Settings that validate themselves and know their command-line flags.

A setting is declared once, as a dataclass field made by :func:`option`: its default, its flag
(and older spellings kept as aliases), its help and its checks. From that one declaration the
command line is generated (every flag defaults to *unset*, so an explicit value is never replaced
by a preset's), the effective defaults are printed in ``--help``, and an invalid value is refused
with the flag's name before any model loads. Checks return a problem as text, or ``None``.

Nothing here imports torch or the model: ``--help`` and argument errors must answer at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from simda.plumbing.errors import InvalidSetting

Check = Callable[[Any], "str | None"]
S = TypeVar("S", bound="ValidatedSettings")


def option(
    default: Any,
    flag: str,
    help: str,
    *,
    aliases: tuple[str, ...] = (),
    checks: tuple[Check, ...] = (),
    choices: tuple[Any, ...] | None = None,
    repeat: bool = False,
    many: bool = False,
    required: bool = False,
    metavar: str | None = None,
) -> Any:
    """A settings field with its flag, help text and checks (module docstring). A ``tuple[X, ...]`` field takes its
    values from a ``repeat``-able flag (``--edit a --edit b``) or ``many`` values after one (``--runs a b``)."""
    metadata = {
        "flag": flag,
        "aliases": aliases,
        "help": help,
        "checks": checks,
        "choices": choices,
        "repeat": repeat,
        "many": many,
        "required": required,
        "metavar": metavar,
    }
    return dataclasses.field(default=default, metadata=metadata)


def rule(holds: Callable[[Any], bool], problem: str) -> Check:
    """A check that refuses, with ``problem``, a value ``holds`` is false for."""
    return lambda value: None if holds(value) else problem


finite = rule(math.isfinite, "must be a finite number")
positive = rule(lambda value: value > 0, "must be positive")  # NaN fails too: nan > 0 is False
non_negative = rule(lambda value: value >= 0, "must be zero or positive")


def at_least(minimum: int, why: str = "") -> Check:
    return rule(lambda value: value >= minimum, f"must be at least {minimum}{why}")


def at_most(maximum: float, why: str = "") -> Check:
    return rule(lambda value: value <= maximum, f"must be at most {maximum:g}{why}")  # NaN is refused by finite


def multiple_of(factor: int, why: str) -> Check:
    return rule(lambda value: value > 0 and value % factor == 0, f"must be a positive multiple of {factor} ({why})")


def between(low: float, high: float) -> Check:
    return rule(lambda value: low <= value <= high, f"must lie between {low} and {high}")


def optional(check: Check) -> Check:
    """``None`` means "not set" (e.g. the whole dataset); a given value must pass ``check``."""
    return lambda value: None if value is None else check(value)


@dataclasses.dataclass(frozen=True)
class ValidatedSettings:
    """Base of every settings dataclass: checks run on construction, so no invalid object exists."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            choices = field.metadata.get("choices")
            chosen = value if isinstance(value, tuple) else () if value is None else (value,)
            if choices is not None and any(one not in choices for one in chosen):
                problem = f"choose one of {', '.join(map(str, choices))}"
            else:  # the first check that fails, if any
                problem = next(filter(None, (check(value) for check in field.metadata.get("checks", ()))), None)
            if problem:
                raise InvalidSetting(f"{field.metadata.get('flag', field.name)} {value!r}: {problem}")

    def as_params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def overlay(self: S, values: Mapping[str, Any]) -> S:
        """A copy with every value that is not ``None`` set: the flags a user gave over a preset."""
        given = {name: value for name, value in values.items() if value is not None}
        return dataclasses.replace(self, **given) if given else self


def _flag_type(cls: type, name: str) -> tuple[Callable[[str], Any], bool]:
    """The argparse converter of a field's annotation (``X | None`` counts as ``X``), and whether it is a switch."""
    hint = get_type_hints(cls)[name]
    if get_origin(hint) in (Union, UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    if get_origin(hint) is tuple:
        hint = get_args(hint)[0]
    if hint is bool:
        return bool, True
    return (hint if hint in (int, float, Path) else str), False


def _default_note(defaults: Mapping[str, Any]) -> str:
    """The presets' defaults for ``--help``: one value when they agree (none when that is unset), else each
    preset's, so a newcomer reads "(default 16)" and not the same number once per preset."""
    if len({repr(value) for value in defaults.values()}) > 1:
        return " (default " + ", ".join(f"{name}: {value!r}" for name, value in defaults.items()) + ")"
    value = next(iter(defaults.values()), None)
    return "" if value is None else f" (default {value!r})"


def add_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type[ValidatedSettings],
    presets: Mapping[str, ValidatedSettings],
    prefix: str = "",
    only: Iterable[str] | None = None,
    skip: Iterable[str] = (),
    aliases: Mapping[str, tuple[str, ...]] | None = None,
    override: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Add the flags of ``cls``'s fields (all, or ``only``), unset by default; their help shows the presets' defaults.
    For one command, ``aliases`` adds spellings (field -> flags: diffusers' script names in ``simda.train``) and
    ``override`` replaces a field's ``flag`` or ``help`` (field -> {"help": ...}: each benchmark's annotation flag)."""
    wanted = set(only) if only is not None else None
    for field in dataclasses.fields(cls):
        if "flag" not in field.metadata or field.name in skip or (wanted is not None and field.name not in wanted):
            continue
        convert, switch = _flag_type(cls, field.name)
        meta = {**field.metadata, **(override or {}).get(field.name, {})}
        names = (meta["flag"], *meta["aliases"], *(aliases or {}).get(field.name, ()))
        help_text = meta["help"] + _default_note({name: getattr(each, field.name) for name, each in presets.items()})
        takes_values = {
            "type": convert,
            "choices": meta["choices"],
            "action": "append" if meta.get("repeat") else None,
            "nargs": "+" if meta.get("many") else None,
            "required": meta.get("required", False),
            "metavar": meta.get("metavar"),
        }
        kind = {"action": argparse.BooleanOptionalAction} if switch else takes_values
        parser.add_argument(*names, dest=prefix + field.name, default=None, help=help_text, **kind)


def add_group(
    parser: argparse.ArgumentParser,
    title: str,
    *classes: type[ValidatedSettings],
    presets: Mapping[str, ValidatedSettings] | None = None,
    **options: Any,
) -> argparse._ArgumentGroup:
    """A titled group of ``--help`` holding the flags of ``classes`` (keywords as for :func:`add_options`)."""
    group = parser.add_argument_group(title)
    for cls in classes:
        add_options(group, cls, presets or {}, **options)
    return group


def given(args: argparse.Namespace, cls: type[ValidatedSettings], prefix: str = "") -> dict[str, Any]:
    """The values of ``cls``'s fields that were typed on the command line (unset ones are ``None``; lists as tuples)."""
    values = {field.name: getattr(args, prefix + field.name, None) for field in dataclasses.fields(cls)}
    return {name: tuple(value) if isinstance(value, list) else value for name, value in values.items()}


def typed_flags(
    args: argparse.Namespace, cls: type[ValidatedSettings], prefix: str = "", skip: Iterable[str] = ()
) -> list[str]:
    """The flags of ``cls`` the user typed (as declared, e.g. ``--seeds``), to refuse ones that do not apply."""
    values = given(args, cls, prefix)
    return [
        field.metadata["flag"]
        for field in dataclasses.fields(cls)
        if "flag" in field.metadata and field.name not in skip and values[field.name] is not None
    ]


def construct(cls: type[S], args: argparse.Namespace, prefix: str = "") -> S:
    """``cls`` from the flags the user gave, its own defaults for the rest (for settings without a preset)."""
    return cls(**{name: value for name, value in given(args, cls, prefix).items() if value is not None})


def values(args: argparse.Namespace, *classes: type[ValidatedSettings]) -> dict[str, Any]:
    """Every field of ``classes``, built from the flags (:func:`construct`) and validated, as one dict: for a
    command whose job holds these fields flat (``output_dir``, ``tracking_uri``, ...)."""
    return {name: value for cls in classes for name, value in dataclasses.asdict(construct(cls, args)).items()}


def from_args(base: S, args: argparse.Namespace, prefix: str = "") -> S:
    """``base`` (a preset's settings) with every flag the user gave laid over it, then validated."""
    return base.overlay(given(args, type(base), prefix))
