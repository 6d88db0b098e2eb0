"""How prosocial's commands set up XLA: two CPU workarounds and the compilation cache.

**The CPU workarounds.** jax 0.10.2's CPU backend has two faults that prosocial's
programs meet, and a flag that avoids each:

* *the concurrency-optimised scheduler*: on a 2-core CPU, a jitted training program (a
  rollout scan of Cleanup or Harvest inside a scan of PPO updates, vmapped over seeds)
  compiled and then hung with idle threads, or crawled (tens of environment steps per
  second); with ``--xla_cpu_enable_concurrency_optimized_scheduler=false`` (or the
  process pinned to one core) it ran normally;
* *YNNPACK fusions*: the LASE learner vmapped over cells × seeds (5 seeds × 16
  environments of the iterated Prisoner's Dilemma) died of a segmentation fault inside
  XLA's ``YnnFusionThunk`` (a transpose in YNNPACK's runtime), while 1 × 16 or 5 × 4
  ran; with ``--xla_cpu_experimental_ynn_fusion_type=`` (no YNNPACK fusions) it runs.

prosocial's command adds both flags to ``XLA_FLAGS`` before JAX starts
(:func:`cpu_workarounds`), each unless the user's ``XLA_FLAGS`` already names it. The
library never changes the environment at import: Python users set the flags themselves
before JAX makes its first backend::

    import os
    from prosocial.experiments.compilation import cpu_workarounds
    cpu_workarounds()
    import jax

The flags only concern XLA's CPU backend; on a GPU they change nothing.

**The compilation cache.**

A compiled program is kept in the user's cache folder (``$PROSOCIAL_CACHE_DIR``, else
``$XDG_CACHE_HOME/prosocial/jax``, else ``~/.cache/prosocial/jax``), so that a second
``prosocial reproduce`` skips compiling. ``--no-cache`` or ``PROSOCIAL_NO_CACHE=1`` turns
it off. The library itself never turns it on: Python users call :func:`enable_cache`.
"""

from __future__ import annotations

import os
from pathlib import Path

CPU_WORKAROUNDS = (
    "--xla_cpu_enable_concurrency_optimized_scheduler=false",
    "--xla_cpu_experimental_ynn_fusion_type=",
)
"""The flags :func:`cpu_workarounds` adds (see the module docstring)."""


def cpu_workarounds(environ: dict | None = None) -> str:
    """Add each of :data:`CPU_WORKAROUNDS` to ``XLA_FLAGS`` in ``environ`` (``os.environ``
    by default) unless the flags name it already; return the resulting flags. Call it
    before JAX starts: XLA reads its flags once, when its first backend is made."""
    environ = os.environ if environ is None else environ
    flags = environ.get("XLA_FLAGS", "")
    for flag in CPU_WORKAROUNDS:
        name = flag.split("=", 1)[0]
        if name not in flags:
            flags = f"{flags} {flag}".strip()
    environ["XLA_FLAGS"] = flags
    return flags


CACHE_ENV = "PROSOCIAL_CACHE_DIR"
NO_CACHE_ENV = "PROSOCIAL_NO_CACHE"
MIN_COMPILE_SECONDS = 0.1
"""Programs that compile faster than this are not worth a file."""


def cache_dir() -> Path:
    """Where compiled programs are kept."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "prosocial" / "jax"


def enable_cache(enabled: bool = True) -> Path | None:
    """Turn on JAX's persistent compilation cache; return its folder (None when off).

    Off when ``enabled`` is False or ``PROSOCIAL_NO_CACHE`` is set. A folder that cannot
    be made only costs compile time, so it turns the cache off rather than failing.
    """
    if not enabled or os.environ.get(NO_CACHE_ENV, "").lower() in ("1", "true", "yes"):
        return None
    import jax

    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path
