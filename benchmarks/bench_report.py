"""Benchmark: wall time of ``misyn-lab report`` (both bundled case studies, computed in-process) against the
notebook-executing design, measured in the same run.

Usage::

    python benchmarks/bench_report.py           # full and --quick reports; writes benchmarks/results/report.md
    python benchmarks/bench_report.py --quick   # --quick reports only; prints only, writes nothing

Ours: ``misyn-lab report [--quick] --no-progress --out DIR`` in a fresh process (the command a user runs; its time
includes Python start-up and imports). Target: <= 45 s for the full report on two idle cores.

Peer (the previous design, still runnable): the two case notebooks exported from the package
(``misyn-lab workbook``'s ``.ipynb`` files) executed headless with ``papermill`` (one kernel each, the same
parameters the report uses: 20 seeds / 24 images per prompt, or 4 / 12 with --quick) and turned into code-free HTML
with ``nbconvert`` (``HTMLExporter``, inputs excluded), each in a fresh process, one after the other.

The machine may be shared: the load average before and after each measurement is printed with the table; the
ratio peer/ours is steadier than the absolute seconds. Each measurement runs once (they take tens of seconds).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from misyn_lab import notebooks  # noqa: E402
from misyn_lab.atomic import atomic_write_text  # noqa: E402

CASES = {"case1_segmentation": {"full": {"n_seeds": 20}, "quick": {"n_seeds": 4}},
         "case2_text_to_image": {"full": {"n_per_prompt": 24}, "quick": {"n_per_prompt": 12}}}
TARGET_S = 45.0

PEER = """
import sys, nbformat, papermill as pm
from nbconvert import HTMLExporter
src, out, html, params = sys.argv[1], sys.argv[2], sys.argv[3], eval(sys.argv[4])
pm.execute_notebook(src, out, parameters=params, kernel_name="python3", progress_bar=False, log_output=False)
body, _ = HTMLExporter(template_name="basic", exclude_input=True).from_notebook_node(nbformat.read(out, as_version=4))
open(html, "w", encoding="utf-8").write(body)
"""


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} / {five:.2f}"


def run(cmd: list[str], cwd: Path) -> float:
    """Wall seconds of ``cmd`` in a fresh process (its output captured; a failure stops the benchmark)."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return seconds


def ours(work: Path, quick: bool) -> float:
    cmd = [sys.executable, "-m", "misyn_lab.cli", "report", "--no-progress", "--out", str(work / "ours")]
    return run(cmd + (["--quick"] if quick else []), work)


def peer(work: Path, quick: bool) -> float:
    exported, _ = notebooks.export(work / "notebooks", list(CASES), overwrite=True)
    total = 0.0
    for src in exported:
        params = {**CASES[src.stem]["quick" if quick else "full"], "out_dir": str(work / "peer")}
        total += run([sys.executable, "-c", PEER, str(src), str(work / f"{src.stem}.out.ipynb"),
                      str(work / f"{src.stem}.html"), repr(params)], work)
    return total


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_known_args(argv)[1]
    quick_only = "--quick" in args
    modes = [True] if quick_only else [False, True]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        for quick in modes:
            name = "--quick" if quick else "full"
            work = Path(tmp) / name.strip("-")
            work.mkdir()
            before = load()
            t_ours = ours(work, quick)
            middle = load()
            t_peer = peer(work, quick)
            rows.append((name, t_ours, t_peer, before, middle, load()))
            print(f"{name}: misyn-lab report {t_ours:.1f} s, papermill + nbconvert {t_peer:.1f} s", flush=True)
    lines = ["| report | misyn-lab report (in-process) | peer: papermill + nbconvert of the 2 case notebooks | "
             "peer / ours | load before / during peer / after (1 min, 5 min) |", "|---|---|---|---|---|"]
    for name, t_ours, t_peer, before, middle, after in rows:
        lines.append(f"| {name} | {t_ours:.1f} s | {t_peer:.1f} s | {t_peer / t_ours:.2f}x | {before}; {middle}; "
                     f"{after} |")
    full = next((r for r in rows if r[0] == "full"), None)
    verdict = "" if full is None else (f"\nTarget: full report <= {TARGET_S:.0f} s on two idle cores; measured "
                                       f"{full[1]:.1f} s on this machine at the load shown "
                                       f"({'within' if full[1] <= TARGET_S else 'over'} the target here).\n")
    table = "\n".join(lines) + "\n" + verdict
    header = (f"# misyn-lab report vs the notebook-executing design\n\nMachine: {platform.platform()}, "
              f"{os.cpu_count()} CPUs, Python {platform.python_version()}. Command: `python benchmarks/"
              f"bench_report.py`. See the module docstring for what each column runs.\n\n")
    print("\n" + table)
    if not quick_only:
        atomic_write_text(HERE / "results" / "report.md", header + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
