"""misyn-lab works from a wheel, outside any checkout: the wheel carries the notebooks and the sample images;
``samples list``, ``workbook DIR`` and ``report --quick`` run in an empty folder, and a copied notebook executes
headless. The wheel is built from the tracked files and installed into a fresh virtual environment (its
third-party dependencies come from this test environment's site-packages, added behind the venv's own by a
``.pth`` file, and their Jupyter data files through ``JUPYTER_PATH``, so nothing is downloaded; the package itself only from the wheel, checked by where it is imported
from)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc


def _tracked_copy(dest: Path) -> Path:
    """The files git tracks (as a fresh clone has them), or the tree without build products outside git."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        files = [f for f in listed.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
    if not files:
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info",
                                                                  "__pycache__", "misyn-lab-report"))
        return dest
    for rel in files:
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """``(venv bin folder, environment, wheel)`` of a fresh venv with misyn-lab installed from its wheel."""
    base = tmp_path_factory.mktemp("wheel")
    src = _tracked_copy(base / "src")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(base / "dist"),
          str(src)], cwd=base, env=dict(os.environ))
    (wheel,) = (base / "dist").glob("misyn_lab-*.whl")
    _run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")], cwd=base, env=dict(os.environ))
    bin_dir = base / "venv" / "bin"
    (venv_site,) = (base / "venv" / "lib").glob("python3*/site-packages")
    dirs = [d for d in site.getsitepackages() if Path(d).is_dir()]
    (venv_site / "_test_dependencies.pth").write_text(
        "".join(f"import site; site.addsitedir({d!r})\n" for d in dirs), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MISYN_LAB_DATA", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    # data files of the shared dependencies (nbconvert templates, kernelspecs) live under this environment's prefix
    env["JUPYTER_PATH"] = os.pathsep.join(str(Path(p) / "share" / "jupyter") for p in {sys.prefix, sys.base_prefix})
    _run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--no-deps", "--no-index",
          "-q", str(wheel)], cwd=base, env=env)
    return bin_dir, env, wheel


def test_wheel_carries_notebooks_and_samples(installed):
    _, _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "misyn_lab/notebooks/05_evaluation.md" in names
    assert "misyn_lab/data_samples/metadata.csv" in names
    assert sum(n.startswith("misyn_lab/data_samples/images/") and n.endswith(".png") for n in names) == 285
    assert "misyn_lab/checklist/recommendations.yaml" in names
    assert "misyn_lab/workbook/vignettes/design.key.yaml" in names and "misyn_lab/notebooks/stakeholder_app.md" in names
    assert "misyn_lab/workbook/reader_study_texts/consent.md" in names
    assert "misyn_lab/workbook/reader_study_texts/debrief.md" in names


def test_commands_work_outside_a_checkout(installed, tmp_path):
    bin_dir, env, _ = installed
    where = _run([str(bin_dir / "python"), "-c", "import misyn_lab; print(misyn_lab.__file__)"], tmp_path, env)
    assert str(bin_dir.parent) in where.stdout, f"misyn_lab imported from {where.stdout.strip()}, not the wheel"

    listing = _run([str(bin_dir / "misyn-lab"), "samples", "list"], tmp_path, env)
    assert "mni152" in listing.stdout and "colin27" in listing.stdout

    made = _run([str(bin_dir / "misyn-lab"), "workbook", "wb"], tmp_path, env)
    assert "jupyter lab" in made.stdout and (tmp_path / "wb" / "reviews").is_dir()
    copied = sorted(p.name for p in (tmp_path / "wb").glob("*.ipynb"))
    assert "00_start_here.ipynb" in copied and "case1_segmentation.ipynb" in copied and len(copied) == 15

    _run([str(bin_dir / "python"), "-m", "papermill", "--no-progress-bar", "wb/00_start_here.ipynb", "wb/out.ipynb",
          "-p", "review_path", "reviews/r.yaml"], tmp_path, env)
    assert (tmp_path / "wb" / "out.ipynb").is_file()

    _run([str(bin_dir / "misyn-lab"), "report", "--quick", "--no-progress", "--out", "rep"], tmp_path, env)
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "case1_segmentation" in html or "Case 1" in html or "case1" in html
