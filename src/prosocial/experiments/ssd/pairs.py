"""The command-line forms of the SSD config's structured fields: ``key=value`` pairs and
``name:key=value`` wrapper specs (:mod:`prosocial.experiments.ssd.config`)."""

from __future__ import annotations

from typing import Any

from prosocial.errors import ConfigError


def _value(text: str) -> Any:
    if "/" in text:
        return tuple(_value(part) for part in text.split("/"))
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_pairs(items: tuple[str, ...], field: str, sep: str = "=") -> dict[str, Any]:
    out = {}
    for item in items:
        key, eq, raw = item.partition(sep)
        if not eq or not key.strip() or not raw.strip():
            raise ConfigError(field, f"{item!r} is not accepted; accepted: key=value")
        if key.strip() in out:
            raise ConfigError(field, f"{key.strip()!r} is given twice")
        out[key.strip()] = _value(raw.strip())
    return out


def parse_wrapper(spec: str) -> tuple[str, dict[str, Any]]:
    """``"name:key=value:key=value"`` → ``(name, kwargs)``."""
    name, *pairs = spec.split(":")
    return name.strip(), parse_pairs(tuple(pairs), f"wrappers ({name.strip()})")
