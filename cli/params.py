"""Command-line arguments made from declared parameters (core.operations.params): the flag, the help (with the
limits and the default), the choices. argparse only turns text into the parameter's type; the limits are checked by
the parameter object itself when it is built, so the CLI refuses a value with the same sentence as the GUI and a
replayed log (`k: 9 is out of range (must be between 2 and 8)`, exit 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from seethrough.core.operations.params import Param, params_of


def _number(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text) if kind is float else int(text, 10)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not {what}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text[:40]} is not a finite number")
        return value

    parse.__name__ = "integer" if kind is int else "number"
    return parse


def _items(kinds: Iterable[Any] | Any, fixed: bool) -> Callable[[str], tuple[Any, ...]]:
    """A comma-separated list: `0.3,0.6` or `10,20,110,120`."""

    def parse(text: str) -> tuple[Any, ...]:
        parts = [t.strip() for t in text.split(",") if t.strip()]
        hints = list(kinds) if fixed else [kinds] * len(parts)
        if fixed and len(parts) != len(hints):
            raise argparse.ArgumentTypeError(f"{text[:40]!r}: expected {len(hints)} comma-separated values")
        return tuple(_number(h)(t) if h in (int, float) else t for h, t in zip(hints, parts))

    parse.__name__ = "list"
    return parse


def _type_of(p: Param) -> dict[str, Any]:
    base = p.base
    if get_origin(base) is Literal:
        return {"choices": get_args(base)}
    if get_origin(base) is tuple:
        args = get_args(base)
        variable = len(args) == 2 and args[1] is Ellipsis
        return {"type": _items(args[0] if variable else args, fixed=not variable)}
    if base is bool:
        return {"action": argparse.BooleanOptionalAction}
    if base in (int, float):
        return {"type": _number(base)}
    if base is Path:
        return {"type": Path}
    if p.spec.choices:
        return {"choices": p.spec.choices}
    return {}


def help_text(p: Param) -> str:
    """The parameter's help, its limits and its default, as `--help` shows them."""
    text = p.spec.help
    limits = p.range_text()
    if limits and get_origin(p.base) is not tuple:
        text += f" ({limits}{f', a multiple of {p.spec.multiple_of}' if p.spec.multiple_of else ''})"
    if not p.required and p.default not in (None, (), False) and p.base is not bool:
        shown = ",".join(map(str, p.default)) if isinstance(p.default, tuple) else p.default
        text += f"; default {shown}"
    return text.replace("%", "%%")


def add_params(parser: argparse.ArgumentParser, cls: type, skip: Iterable[str] = ()) -> None:
    """Add an argument for each declared parameter of `cls` not in `skip`."""
    skipped = set(skip)
    for p in params_of(cls):
        if p.name in skipped:
            continue
        kwargs = {"help": help_text(p), "dest": p.name, **_type_of(p)}
        if p.spec.positional:
            kwargs.pop("dest")
            parser.add_argument(p.name, **kwargs)
            continue
        if p.base is not bool:
            kwargs["metavar"] = p.name.upper()
        if "choices" in kwargs:
            kwargs.pop("metavar", None)
        parser.add_argument(p.flag, required=p.required, default=None, **kwargs)


def values_from_args(cls: type, args: argparse.Namespace, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The parameters given on the command line (left-out ones keep their declared defaults)."""
    skipped = set(skip)
    return {p.name: getattr(args, p.name) for p in params_of(cls)
            if p.name not in skipped and getattr(args, p.name, None) is not None}
