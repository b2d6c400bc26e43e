"""misyn_lab.atomic: crash-safe writes that leave ordinary file modes."""

from __future__ import annotations

import os
import stat

from misyn_lab.atomic import atomic_write_bytes, atomic_write_text


def test_new_file_gets_umask_mode_not_0600(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "report.html", "<p>x</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "<p>x</p>"


def test_existing_file_keeps_its_mode_and_no_temp_is_left(tmp_path) -> None:
    path = tmp_path / "review.yaml"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_bytes(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["review.yaml"]
