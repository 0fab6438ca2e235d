"""Declared parameters: each parameter of an operation states its type, default, limits and help once, here.

An operation's parameters are the fields of a frozen dataclass declared with `param(...)`. The declaration is the
one place their rules live: the dataclass validates itself on construction (`validate`), JSON operation logs are
read through it (`from_json`, with the key's path in every message), the CLI builds its arguments from it
(`seethrough.cli.params`) and the GUI sets its widgets' ranges, defaults and tooltips from it
(`seethrough.app.params`). A value out of range is refused by all of them with the same sentence.

Types come from the field annotations: `int`, `float`, `bool`, `str`, `Path`, a `Literal[...]` of choices, a
fixed or variable `tuple[...]` of those, and `X | None`.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from seethrough.core.errors import BadInput


@dataclass(frozen=True)
class Spec:
    """The rules of one parameter besides its type (which is the field's annotation)."""

    help: str
    lo: float | None = None  # numbers, and each number inside a tuple
    hi: float | None = None
    multiple_of: int | None = None  # whole numbers
    choices: tuple[Any, ...] | None = None  # strings (also given by a Literal annotation)
    min_items: int | None = None  # variable-length tuples
    max_items: int | None = None
    label: str = ""  # the GUI's label (default: the name, spaced)
    flag: str = ""  # the CLI's option name (default: --name-with-dashes)
    positional: bool = False  # the CLI takes it as a positional argument


def param(default: Any = MISSING, *, help: str, lo: float | None = None, hi: float | None = None,
          multiple_of: int | None = None, choices: tuple[Any, ...] | None = None, min_items: int | None = None,
          max_items: int | None = None, label: str = "", flag: str = "", positional: bool = False) -> Any:
    """A dataclass field with its declared rules (`Spec`). Without a default the parameter is required."""
    spec = Spec(help=help, lo=lo, hi=hi, multiple_of=multiple_of, choices=choices, min_items=min_items,
                max_items=max_items, label=label, flag=flag, positional=positional)
    return field(default=default, metadata={"param": spec})


@dataclass(frozen=True)
class Param:
    """One declared parameter of a class: its name, type annotation, default (MISSING when required) and rules."""

    name: str
    hint: Any
    default: Any
    spec: Spec

    @property
    def required(self) -> bool:
        return self.default is MISSING

    @property
    def label(self) -> str:
        return self.spec.label or self.name.replace("_", " ")

    @property
    def flag(self) -> str:
        return self.spec.flag or "--" + self.name.replace("_", "-")

    @property
    def optional(self) -> bool:
        """`None` is a legal value."""
        return _unwrap_optional(self.hint)[1]

    @property
    def base(self) -> Any:
        """The annotation without `| None`."""
        return _unwrap_optional(self.hint)[0]

    @property
    def choices(self) -> tuple[Any, ...] | None:
        base = self.base
        if get_origin(base) is Literal:
            return tuple(get_args(base))
        return self.spec.choices

    def range_text(self) -> str:
        """'between 2 and 8', 'at least 0', … ('' without limits)."""
        return _range_text(self.spec)


_PARAMS: dict[type, tuple[Param, ...]] = {}


def params_of(cls: type) -> tuple[Param, ...]:
    """The declared parameters of a dataclass, in field order (fields without `param` are not parameters)."""
    known = _PARAMS.get(cls)
    if known is None:
        if not is_dataclass(cls):
            return ()
        hints = typing.get_type_hints(cls)
        known = tuple(Param(f.name, hints[f.name], _default_of(f), f.metadata["param"])
                      for f in fields(cls) if isinstance(f.metadata.get("param"), Spec))
        _PARAMS[cls] = known
    return known


def param_named(cls: type, name: str) -> Param:
    for p in params_of(cls):
        if p.name == name:
            return p
    raise KeyError(f"{cls.__name__} has no parameter {name!r}")


def _default_of(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    if get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) < len(get_args(hint)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True  # noqa: UP007
    return hint, False


def _range_text(spec: Spec) -> str:
    if spec.lo is not None and spec.hi is not None:
        return f"between {_number(spec.lo)} and {_number(spec.hi)}"
    if spec.lo is not None:
        return f"at least {_number(spec.lo)}"
    if spec.hi is not None:
        return f"at most {_number(spec.hi)}"
    return ""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "…"


# --- checking a value --------------------------------------------------------------------------------------------
def check(p: Param, value: Any, where: str = "") -> Any:
    """`value` as the parameter's type, or `BadInput("<where><name>: <reason>")`. Accepts what JSON gives (lists for
    tuples, ints for floats, strings for paths); never guesses (a string is not a number, a float not an int)."""
    name = f"{where}{p.name}"
    if value is None:
        if p.optional:
            return None
        raise BadInput(f"{name}: a value is required")
    return _check_as(p.base, p.spec, value, name)


def _check_as(hint: Any, spec: Spec, value: Any, name: str) -> Any:
    origin = get_origin(hint)
    if origin is Literal:
        return _check_choice(value, tuple(get_args(hint)), name)
    if origin is tuple:
        return _check_tuple(hint, spec, value, name)
    if hint is bool:
        if not isinstance(value, bool):
            raise BadInput(f"{name}: {_shown(value)} is not true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadInput(f"{name}: {_shown(value)} is not a whole number")
        return _check_number(value, spec, name)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInput(f"{name}: {_shown(value)} is not a number")
        if not math.isfinite(value):
            raise BadInput(f"{name}: {_shown(value)} is not a finite number")
        return _check_number(float(value), spec, name)
    if hint is str:
        if not isinstance(value, str):
            raise BadInput(f"{name}: {_shown(value)} is not text")
        return _check_choice(value, spec.choices, name) if spec.choices else value
    if hint is Path:
        if not isinstance(value, (str, Path)) or not str(value):
            raise BadInput(f"{name}: {_shown(value)} is not a path")
        return Path(value)
    if isinstance(hint, type) and params_of(hint):  # a nested parameter object (e.g. a decomposition's options)
        if isinstance(value, hint):
            return value
        return from_json(hint, value, f"{name}.")
    raise TypeError(f"{name}: parameters of type {hint!r} are not supported")


def _check_choice(value: Any, choices: tuple[Any, ...] | None, name: str) -> Any:
    if choices is not None and value not in choices:
        raise BadInput(f"{name}: {_shown(value)} is not one of {', '.join(map(str, choices))}")
    return value


def _check_number(value: float, spec: Spec, name: str) -> Any:
    if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
        raise BadInput(f"{name}: {_shown(value)} is out of range (must be {_range_text(spec)})")
    if spec.multiple_of and int(value) % spec.multiple_of:
        raise BadInput(f"{name}: {_shown(value)} is not a multiple of {spec.multiple_of}")
    return value


def _check_tuple(hint: Any, spec: Spec, value: Any, name: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise BadInput(f"{name}: {_shown(value)} is not a list")
    args = get_args(hint)
    if len(args) == 2 and args[1] is Ellipsis:
        count = len(value)
        if (spec.min_items is not None and count < spec.min_items) or (
                spec.max_items is not None and count > spec.max_items):
            bounds = _range_text(Spec(help="", lo=spec.min_items, hi=spec.max_items))
            raise BadInput(f"{name}: {count} items (must be {bounds})")
        item_hints: tuple[Any, ...] = (args[0],) * count
    else:
        if len(value) != len(args):
            raise BadInput(f"{name}: {len(value)} items (must be {len(args)})")
        item_hints = args
    # limits apply to the numbers inside; a tuple's own item counts do not
    item_spec = Spec(help=spec.help, lo=spec.lo, hi=spec.hi, multiple_of=spec.multiple_of, choices=spec.choices)
    return tuple(_check_as(h, item_spec, v, f"{name}[{i}]") for i, (h, v) in enumerate(zip(item_hints, value)))


def validate(obj: Any) -> None:
    """Check every declared parameter of a (frozen) dataclass instance; normalise its values in place (a list
    becomes a tuple, an int a float, a string a Path). Call from `__post_init__`."""
    for p in params_of(type(obj)):
        value = check(p, getattr(obj, p.name))
        object.__setattr__(obj, p.name, value)


# --- JSON --------------------------------------------------------------------------------------------------------
def from_json(cls: type, data: Any, where: str = "", ignore: tuple[str, ...] = ()) -> Any:
    """An instance of `cls` from a JSON object: unknown keys and missing required parameters are refused with the
    key's path (`where`, e.g. "operations[3]."). Keys in `ignore` are skipped (e.g. the "op" name)."""
    if not isinstance(data, dict):
        raise BadInput(f"{where.rstrip('.') or 'value'}: expected an object, got {type(data).__name__}")
    known = {p.name: p for p in params_of(cls)}
    unknown = sorted(set(data) - set(known) - set(ignore))
    if unknown:
        raise BadInput(f"{where}{unknown[0]}: unknown parameter (known: {', '.join(known) or 'none'})")
    values = {}
    for name, p in known.items():
        if name in data:
            values[name] = check(p, data[name], where)
        elif p.required:
            raise BadInput(f"{where}{name}: missing (a required parameter: {p.spec.help})")
    return cls(**values)


def to_json(obj: Any, defaults: bool = False) -> dict[str, Any]:
    """The declared parameters as JSON values (tuples → lists, paths → strings); without `defaults`, only those
    that differ from their default."""
    out: dict[str, Any] = {}
    for p in params_of(type(obj)):
        value = getattr(obj, p.name)
        if not defaults and not p.required and value == p.default:
            continue
        out[p.name] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if params_of(type(value)):  # a nested parameter object
        return to_json(value)
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
