"""misyn_lab.lazy: a package's names imported on first use, and the name clash it refuses."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from misyn_lab.lazy import exports


def test_a_name_that_is_also_a_module_of_the_package_is_refused(tmp_path, monkeypatch):
    """`from package import name` would return the module once that module had been imported anywhere."""
    (tmp_path / "demo_clash").mkdir()
    (tmp_path / "demo_clash" / "__init__.py").write_text("")
    (tmp_path / "demo_clash" / "thing.py").write_text("def thing():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import demo_clash

    with pytest.raises(ValueError) as err:
        exports("demo_clash", {"thing": "demo_clash.thing", "other": "json:dumps"})
    assert str(err.value) == "demo_clash: ['thing'] are also module names; import them in the package itself"
    monkeypatch.delitem(sys.modules, "demo_clash")
    assert demo_clash.__name__ == "demo_clash"


def test_a_package_outside_a_folder_skips_the_clash_check(monkeypatch):
    pkg = types.ModuleType("demo_zipped")
    pkg.__path__ = ["/nonexistent/archive.zip/demo_zipped"]
    monkeypatch.setitem(sys.modules, "demo_zipped", pkg)
    getattr_, dir_ = exports("demo_zipped", {"loads": "json"})
    assert getattr_("loads")("[2]") == [2] and "loads" in dir_()


def test_importing_an_audit_loads_neither_pandas_nor_matplotlib():
    """An audit worker imports the audit module only: the packages' lazy names keep pandas out of it."""
    code = ("import sys, misyn_lab.provenance.audit; "
            "print(sorted(m for m in ('pandas', 'matplotlib', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
