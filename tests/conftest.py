from prosocial.experiments.compilation import cpu_workarounds

cpu_workarounds()  # as the command does, before JAX makes its backend

import functools  # noqa: E402

import jax  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")

import pytest  # noqa: E402
from jax._src import core as jax_core  # noqa: E402  (trace_state_clean: no public name)

FAST_COMPILE = {"xla_backend_optimization_level": 0}
"""Compiler options for compile-bound tests: small programs that run briefly, where XLA's
backend optimisations cost more time than they save (a whole suite at level 0 was not
faster: training-bound tests slow down)."""


class _FastJit:
    """A jitted function that compiles with :data:`FAST_COMPILE` where it is called at the
    top level, and as a plain nested jit inside another trace (which refuses options)."""

    def __init__(self, jit, fun, kwargs):
        options = {**FAST_COMPILE, **(kwargs.get("compiler_options") or {})}
        self._fast = jit(fun, **{**kwargs, "compiler_options": options})
        self._nested = jit(fun, **kwargs)

    def __call__(self, *args, **kwargs):
        top = jax_core.trace_state_clean()
        return (self._fast if top else self._nested)(*args, **kwargs)

    def __get__(self, obj, owner=None):  # a jitted method binds its instance, as jit's does
        return self if obj is None else functools.partial(self, obj)

    def __getattr__(self, name):  # lower, _cache_size, ...: the top-level program's
        return getattr(self._fast, name)


@pytest.fixture
def fast_compile(monkeypatch):
    """Every ``jax.jit`` made while the test runs compiles with :data:`FAST_COMPILE`
    (programs that prosocial jits at call time included; functions jitted at import are
    not affected)."""
    jit = jax.jit
    monkeypatch.setattr(jax, "jit", lambda fun, /, **kwargs: _FastJit(jit, fun, kwargs))
