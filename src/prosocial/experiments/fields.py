"""Config fields as data: a default, one line of documentation and the accepted values.

Every field of a preset's config is declared with :func:`option`, which stores its
documentation and its bounds in the dataclass field's metadata. From that one
declaration come the validation of a config (:func:`validate`, called by
:class:`Config`), the parsing of a command-line string (:func:`parse`) and the line that
``prosocial run <preset> --help`` prints (:func:`describe`). Bounds are explicit and fit
the dtype the value ends up in: integers that reach JAX fit int32, seeds fit uint32,
and floats stay well inside float32 so that sums of payoffs cannot overflow.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Small(Config):
    ...     seeds: int = option(4, "independent runs", low=1, high=100)
    >>> Small(seeds=0)
    Traceback (most recent call last):
    ...
    prosocial.errors.ConfigError: seeds: 0 is not accepted; accepted: an integer in 1..100
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Sequence
from typing import Any

from prosocial.errors import ConfigError

INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1
FLOAT_LIMIT = 1e6
"""Default bound on the magnitude of a float field: far inside float32's range, so that
payoffs, rewards and their sums over long runs stay finite."""
SEEDS_MAX = 10_000
"""At most this many seeds in one vmapped batch."""


def option(
    default: Any,
    doc: str,
    *,
    low: float | None = None,
    high: float | None = None,
    strict: bool = False,
    choices: Sequence[Any] | None = None,
    unique: bool = True,
) -> Any:
    """A config field: its default, one line of documentation and its accepted values.

    Args:
        default: the default value.
        doc: one line, shown by ``--help``.
        low: the smallest accepted number (each element's, for a tuple).
        high: the largest accepted number.
        strict: ``low`` itself is not accepted.
        choices: the accepted values of a string field (each element's, for a tuple).
        unique: a tuple field holds each value once.
    """
    meta = {
        "doc": doc,
        "low": low,
        "high": high,
        "strict": strict,
        "choices": None if choices is None else tuple(choices),
        "unique": unique,
    }
    if isinstance(default, list):
        raise TypeError("a list default would be shared; use a tuple")
    return dataclasses.field(default=default, metadata=meta)


def seed_option(default: int = 0) -> Any:
    """The first PRNG seed of a run: an unsigned 32-bit integer."""
    return option(
        default, "first PRNG seed (seeds run as seed, seed + 1, ...)", low=0, high=UINT32_MAX
    )


def seeds_option(default: int, doc: str = "independent runs per cell, vmapped") -> Any:
    return option(default, doc, low=1, high=SEEDS_MAX)


@dataclasses.dataclass(frozen=True)
class Config:
    """Base of every preset and cell config: validates its fields on construction.

    Subclasses declare fields with :func:`option` and may add cross-field rules in
    :meth:`check`, which runs after every field has passed its own bounds.
    """

    def __post_init__(self) -> None:
        validate(self)
        self.check()

    def check(self) -> None:
        """Rules that involve several fields (none by default)."""


# ---------------------------------------------------------------- types


def hints(cls: type) -> dict[str, Any]:
    """The resolved type of every field of the dataclass ``cls``."""
    try:
        resolved = typing.get_type_hints(cls)
    except (NameError, TypeError):
        resolved = {}
    return {f.name: resolved.get(f.name, f.type) for f in dataclasses.fields(cls)}


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """``(inner type, optional)`` of ``X | None``."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return inner[0], type(None) in args
    return hint, False


def _element(hint: Any) -> Any | None:
    """The element type of ``tuple[X, ...]``, or None for a scalar type."""
    if typing.get_origin(hint) is tuple:
        return typing.get_args(hint)[0]
    return None


# ---------------------------------------------------------------- accepted values


def accepted(field: dataclasses.Field, hint: Any) -> str:
    """What the field accepts, in words: ``an integer in 1..10000``, ``one of a, b``..."""
    meta = field.metadata
    inner, optional = _unwrap(hint)
    element = _element(inner)
    base = element if element is not None else inner
    if meta.get("choices") is not None:
        words = "one of " + ", ".join(str(c) for c in meta["choices"])
    elif base is bool:
        words = "true or false"
    elif base is int:
        low, high = meta.get("low"), meta.get("high")
        high = INT32_MAX if high is None else high
        low = -INT32_MAX if low is None else low
        words = f"an integer in {int(low)}..{int(high)}"
    elif base is float:
        words = "a finite number " + _span(meta)
    elif base is str:
        words = "a string"
    else:
        words = getattr(base, "__name__", str(base))
    if element is not None:
        each = "each once" if meta.get("unique", True) else "repeats allowed"
        words = f"one or more, comma-separated ({each}), each {words}"
    return words + (", or none" if optional else "")


def _span(meta: typing.Mapping[str, Any]) -> str:
    low, high, strict = meta.get("low"), meta.get("high"), meta.get("strict")
    low = -FLOAT_LIMIT if low is None else low
    high = FLOAT_LIMIT if high is None else high
    return f"in {'(' if strict else '['}{low:g}, {high:g}]"


def describe(cls: type) -> list[tuple[str, str, str, str, str]]:
    """``(name, type, default, doc, accepted values)`` of every field, for ``--help``."""
    out = []
    types_ = hints(cls)
    for f in dataclasses.fields(cls):
        hint = types_[f.name]
        inner, optional = _unwrap(hint)
        element = _element(inner)
        base = element if element is not None else inner
        kind = getattr(base, "__name__", str(base))
        kind = f"{kind},..." if element is not None else kind
        default = format_value(f.default)
        doc = f.metadata.get("doc", "")
        out.append((f.name, kind + ("|none" if optional else ""), default, doc, accepted(f, hint)))
    return out


def format_value(value: Any) -> str:
    """A value as the command line writes it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------- validation


def _reject(name: str, value: Any, words: str) -> ConfigError:
    return ConfigError(name, f"{value!r} is not accepted; accepted: {words}")


def _check_scalar(name: str, value: Any, base: Any, meta, words: str) -> None:
    if meta.get("choices") is not None:
        if value not in meta["choices"]:
            raise _reject(name, value, words)
        return
    if base is bool:
        if not isinstance(value, bool):
            raise _reject(name, value, words)
        return
    if base is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _reject(name, value, words)
        low = -INT32_MAX if meta.get("low") is None else meta["low"]
        high = INT32_MAX if meta.get("high") is None else meta["high"]
        if not low <= value <= high:
            raise _reject(name, value, words)
        return
    if base is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)
        if ok:
            low = -FLOAT_LIMIT if meta.get("low") is None else meta["low"]
            high = FLOAT_LIMIT if meta.get("high") is None else meta["high"]
            ok = (value > low if meta.get("strict") else value >= low) and value <= high
        if not ok:
            raise _reject(name, value, words)
        return
    if base is str and not isinstance(value, str):
        raise _reject(name, value, words)


def validate(config: Any) -> None:
    """Check every field of ``config`` against its declared type and bounds."""
    types_ = hints(type(config))
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        hint = types_[f.name]
        inner, optional = _unwrap(hint)
        words = accepted(f, hint)
        if value is None:
            if not optional:
                raise _reject(f.name, value, words)
            continue
        element = _element(inner)
        if element is None:
            _check_scalar(f.name, value, inner, f.metadata, words)
            continue
        if not isinstance(value, tuple) or not value:
            raise _reject(f.name, value, words)
        for v in value:
            _check_scalar(f.name, v, element, f.metadata, words)
        if f.metadata.get("unique", True) and len(set(value)) != len(value):
            twice = next(v for i, v in enumerate(value) if v in value[:i])
            raise ConfigError(f.name, f"{twice!r} is given twice; accepted: {words}")


# ---------------------------------------------------------------- parsing


def _parse_scalar(name: str, raw: str, base: Any, words: str) -> Any:
    text = raw.strip()
    if base is bool:
        low = text.lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise _reject(name, raw, words)
    if base is int:
        try:
            return int(text.replace("_", ""))
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise _reject(name, raw, words) from None
        if math.isfinite(number) and number == int(number) and abs(number) < 2**53:
            return int(number)  # "1e4" is an integer
        raise _reject(name, raw, words)
    if base is float:
        try:
            return float(text)
        except ValueError:
            raise _reject(name, raw, words) from None
    return text


def parse(cls: type, name: str, raw: str) -> Any:
    """The value of field ``name`` of ``cls`` that the command-line string ``raw`` means."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields:
        raise ConfigError(name, f"unknown field; accepted: {', '.join(fields)}")
    hint = hints(cls)[name]
    inner, optional = _unwrap(hint)
    words = accepted(fields[name], hint)
    if optional and raw.strip().lower() == "none":
        return None
    element = _element(inner)
    if element is None:
        return _parse_scalar(name, raw, inner, words)
    parts = [p for p in (s.strip() for s in raw.split(","))]
    if not raw.strip() or any(not p for p in parts):
        raise _reject(name, raw, words)
    return tuple(_parse_scalar(name, p, element, words) for p in parts)


def override(config: Any, pairs: typing.Mapping[str, str]) -> Any:
    """``config`` with the fields named in ``pairs`` set from strings, then validated."""
    cls = type(config)
    changes = {}
    for raw_name, raw in pairs.items():
        key = raw_name.replace("-", "_")
        changes[key] = parse(cls, key, raw)
    return dataclasses.replace(config, **changes)


def check_log_every(config: Any, total: str) -> None:
    """``config.log_every`` must divide ``config.<total>`` (the units a run plays)."""
    units, every = getattr(config, total), config.log_every
    if units % every:
        raise ConfigError(
            "log_every", f"{every} does not divide {total}={units}; accepted: a divisor"
        )


def names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))
