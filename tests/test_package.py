"""The package's public surface: lazy subpackages, and ``import prosocial`` importing no JAX."""

import importlib
import json
import subprocess
import sys

import pytest

import prosocial

PUBLIC = (
    "games",
    "envs",
    "metrics",
    "learners",
    "adjust",
    "planner",
    "strategies",
    "experiments",
    "errors",
)


def _fresh(code: str) -> str:
    """Run ``code`` in a new interpreter and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return done.stdout


def test_import_prosocial_imports_no_jax_and_no_subpackage():
    out = _fresh(
        "import json, sys\n"
        "import prosocial\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib')"
        " or m.startswith('prosocial.'))\n"
        "print(json.dumps(loaded))\n"
    )
    assert json.loads(out) == []


def test_a_subpackage_is_imported_on_first_access_only():
    out = _fresh(
        "import json, sys\n"
        "import prosocial\n"
        "before = 'prosocial.errors' in sys.modules\n"
        "err = prosocial.errors.ConfigError\n"
        "print(json.dumps([before, 'prosocial.errors' in sys.modules, 'jax' in sys.modules]))\n"
    )
    # prosocial.errors imports nothing of JAX either
    assert json.loads(out) == [False, True, False]


@pytest.mark.parametrize("name", PUBLIC)
def test_each_public_name_resolves_to_its_module(name):
    module = getattr(prosocial, name)
    assert module is importlib.import_module(f"prosocial.{name}")
    assert module.__name__ == f"prosocial.{name}"
    assert getattr(prosocial, name) is module  # cached, same object


def test_all_and_dir_list_the_public_surface():
    assert sorted(prosocial.__all__) == sorted(PUBLIC)
    assert set(PUBLIC) <= set(dir(prosocial))
    assert "__version__" in dir(prosocial)


@pytest.mark.parametrize("name", ["nonexistent", "Games", "jax", "_SUBMODULE"])
def test_unknown_attributes_raise_attribute_error(name):
    with pytest.raises(AttributeError, match=name):
        getattr(prosocial, name)
    assert not hasattr(prosocial, "definitely_not_there")
