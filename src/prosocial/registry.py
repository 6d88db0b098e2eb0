"""One registry per component family: ``register`` and ``make``.

This module is the base layer beside :mod:`prosocial.errors`: it imports nothing else of
ours, so every family (games, learners, adjustments, presets) keeps one ``Registry``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from prosocial.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of factories of one family.

    Example:
        >>> games = Registry("game")
        >>> @games.register("unit")
        ... def unit():
        ...     return 1
        >>> games.make("unit")
        1
    """

    def __init__(self, family: str):
        self.family = family
        self._entries: dict[str, Callable[..., T]] = {}

    def register(self, name: str, factory: Callable[..., T] | None = None) -> Any:
        """Register ``factory`` under ``name``; usable as a decorator."""

        def add(f: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.family} '{name}' is already registered")
            self._entries[name] = f
            return f

        return add if factory is None else add(factory)

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``; a clear error names the accepted ones."""
        try:
            return self._entries[name]
        except KeyError:
            accepted = ", ".join(sorted(self._entries))
            raise UnknownNameError(
                f"unknown {self.family} '{name}'; accepted: {accepted}"
            ) from None

    def make(self, name: str, /, **kwargs: Any) -> T:
        """Build the entry registered under ``name``; a keyword it does not take is a clear
        error naming the accepted ones."""
        factory = self.get(name)
        try:
            signature = inspect.signature(factory)
        except (TypeError, ValueError):  # a builtin without a signature: call it as it is
            return factory(**kwargs)
        try:
            signature.bind(**kwargs)
        except TypeError:
            params = [p for p in signature.parameters.values() if p.kind is not p.VAR_POSITIONAL]
            accepted = ", ".join(p.name for p in params) or "none"
            unknown = (
                ", ".join(k for k in kwargs if k not in signature.parameters) or "a missing one"
            )
            raise ConfigError(
                f"{self.family} '{name}'",
                f"keyword {unknown} is not accepted; accepted: {accepted}",
            ) from None
        return factory(**kwargs)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
