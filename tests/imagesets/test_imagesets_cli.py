"""``misyn-lab samples build|list`` through the real entry point."""

from __future__ import annotations

import pytest

from misyn_lab.cli import main


def test_samples_list(capsys):
    assert main(["samples", "list"]) == 0
    out = capsys.readouterr().out
    assert "mni152" in out and "PROVENANCE.md" in out and "modalities:" in out


def test_build_and_check(tmp_path, capsys):
    out_dir = tmp_path / "ds"
    assert main(["samples", "build", "--out", str(out_dir), "--only", "histology,microaneurysms"]) == 0
    assert "built 17 images" in capsys.readouterr().out
    assert len(list((out_dir / "images" / "histology").glob("*.png"))) == 16
    assert main(["samples", "build", "--out", str(out_dir), "--only", "histology,microaneurysms", "--check"]) == 0
    assert "check OK" in capsys.readouterr().out
    (out_dir / "images" / "histology" / "histology-r00c00.png").write_bytes(b"tampered")
    assert main(["samples", "build", "--out", str(out_dir), "--only", "histology,microaneurysms", "--check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "differs from MANIFEST.sha256" in err and "histology-r00c00.png" in err


def test_errors_are_one_line(tmp_path, capsys, monkeypatch):
    assert main(["samples", "build", "--out", str(tmp_path), "--only", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("misyn-lab: error:") and "unknown sample groups ['nope']" in err and "\n" not in err
    assert main(["samples", "build", "--out", str(tmp_path / "none"), "--check", "--only", "histology"]) == 2
    assert "no MANIFEST.sha256" in capsys.readouterr().err
    monkeypatch.setenv("MISYN_LAB_DATA", str(tmp_path / "empty"))
    assert main(["samples", "list"]) == 2
    assert "sample archive not found" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["samples", "--help"], ["samples", "build", "--help"],
                                  ["samples", "list", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0 and "usage: misyn-lab samples" in capsys.readouterr().out
