"""JAX's persistent compilation cache, on by default for prosocial's commands.

A compiled program is kept in the user's cache folder (``$PROSOCIAL_CACHE_DIR``, else
``$XDG_CACHE_HOME/prosocial/jax``, else ``~/.cache/prosocial/jax``), so that a second
``prosocial reproduce`` skips compiling. ``--no-cache`` or ``PROSOCIAL_NO_CACHE=1`` turns
it off. The library itself never turns it on: Python users call :func:`enable_cache`.
"""

from __future__ import annotations

import os
from pathlib import Path

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
