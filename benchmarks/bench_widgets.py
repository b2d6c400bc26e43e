"""Widget responsiveness and headless notebook run time.

1. DistributionExplorer: median time of one interaction (subgroup / histogram-feature / cached knob change:
   recompute the view + redraw the figure + encode the PNG) at 2,000 real and 2,000 synthetic images.
   Target <= 150 ms. The live readout uses a seeded subsample of at most 1,000 images per set (stated in the
   readout); the scatter shows at most 1,000 points per set. Peer (same run): the naive path, i.e. a full recompute without any cache (features
   re-extracted, embedding refitted, a new figure laid out) for the same interactions.
   Also reported: knob changes to values not seen before (the generator fitted once is reused through
   ``Generator.with_params``: resample + features of the new set + readout + redraw), median over several
   values, for the PCA-Gaussian ``n_components``, the memorising ``strength`` and the subgroup-skewed
   ``minority_weight`` knobs; and a revisited knob value, which the cache serves.
2. Headless run time of all workbook notebooks 00-06 with their default parameters (papermill, no front end).
   Target <= 120 s on 2 cores.

Usage: ``python benchmarks/bench_widgets.py [--quick]``; writes ``benchmarks/results/widgets.md``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore")

from misyn_lab.imagesets.core import ImageSet  # noqa: E402
from misyn_lab import notebooks, workbook  # noqa: E402
from misyn_lab.widgets.explorer import DistributionExplorer, ExplorerCanvas  # noqa: E402
from misyn_lab.widgets.explorer_model import ExplorerModel  # noqa: E402

NOTEBOOKS = ["00_start_here", "01_intrinsic_limits", "02_technical_standards", "03_problem_formulation",
             "04_design", "05_evaluation", "06_oversight"]


def augmented_real(n: int, seed: int = 0, size: tuple[int, int] = (64, 64)) -> ImageSet:
    """``n`` real-looking images: the bundled brain slices with seeded small shifts and intensity jitter."""
    base = workbook.teaching_real_set(size=size)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), n)
    imgs = base.images[idx]
    shifts = rng.integers(-2, 3, (n, 2))
    imgs = np.stack([np.roll(im, tuple(s), axis=(0, 1)) for im, s in zip(imgs, shifts)])
    imgs = np.clip(imgs * rng.uniform(0.9, 1.1, (n, 1, 1)), 0, 1).astype(np.float32)
    meta = base.meta.iloc[idx].reset_index(drop=True).copy()
    meta["id"] = [f"aug-{i:05d}" for i in range(n)]
    return ImageSet(imgs, meta[["id", "source_path", "synthetic", "plane", "subject"]], name="bench-real")


def interactions(model: ExplorerModel, k: int) -> list[dict]:
    values = model.subgroup_values
    names = model.view().feature_names
    steps = []
    for i in range(k):
        steps.append({"subgroup_value": values[i % len(values)]} if i % 2 == 0
                     else {"hist_feature": names[(i * 3) % len(names)]})
    return steps


def time_cached(ex: DistributionExplorer, steps: list[dict], *, fresh_readout: bool = True) -> list[float]:
    """Interaction times; ``fresh_readout`` recomputes the metrics every time (features/embedding stay cached)."""
    out = []
    for step in steps:
        if fresh_readout:
            ex.model.clear_readout_cache()
        t = time.perf_counter()
        ex._changed(**step)
        out.append(time.perf_counter() - t)
        assert ex.status.value == "", ex.status.value
    return out


#: Knob values not seen before (each explorer starts at its generator's default knob value).
FIRST_VISITS = {"pca_gaussian": [8, 12, 24, 32, 4], "memorising": [0.5, 0.3, 0.7, 0.1, 1.0],
                "subgroup_skewed": [0.5, 0.8, 0.1, 0.35, 1.0]}
KNOB_LABELS = {"pca_gaussian": "n_components", "memorising": "strength", "subgroup_skewed": "minority_weight"}


def time_knob(ex: DistributionExplorer, values: list[float]) -> list[float]:
    """Times of knob moves to values the explorer has not seen (resample, features, readout, redraw)."""
    out = []
    for value in values:
        assert value not in ex.model._synthetic, value
        t = time.perf_counter()
        ex._changed(knob_value=value)
        out.append(time.perf_counter() - t)
        assert ex.status.value == "" and ex.model.knob_value == value, ex.status.value
    return out


def time_naive(real: ImageSet, syn: ImageSet, steps: list[dict]) -> list[float]:
    """The same interactions with nothing reused: new model (features + embedding), new figure each time."""
    from misyn_lab.features import cache

    out = []
    state: dict = {"feature_kind": "embedding"}
    for step in steps:
        state.update(step)
        cache_clear = getattr(cache, "clear", None)
        if cache_clear:
            cache_clear()
        t = time.perf_counter()
        model = ExplorerModel(real, syn, subgroup="plane").set(**state)
        canvas = ExplorerCanvas()
        canvas.update(model.view())
        canvas.png()
        out.append(time.perf_counter() - t)
    return out


def run_notebooks(work: Path) -> dict[str, float]:
    import papermill as pm

    times = {}
    for name in NOTEBOOKS:
        src = work / f"{name}.ipynb"
        notebooks.export(src.parent, [name])
        t = time.perf_counter()
        pm.execute_notebook(str(src), str(work / f"out_{name}.ipynb"), kernel_name="python3", cwd=str(work),
                            progress_bar=False, parameters={})
        times[name] = time.perf_counter() - t
    return times


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 500 if quick else 2000
    k = 5 if quick else 10
    real = augmented_real(n)
    t = time.perf_counter()
    ex = DistributionExplorer(real, generator="pca_gaussian", n_synthetic=n, subgroup="plane", seed=0,
                              feature_kind="embedding")
    setup = time.perf_counter() - t
    steps = interactions(ex.model, k)
    time_cached(ex, steps[:2])  # warm-up (matplotlib font cache, first draws)
    cached = time_cached(ex, steps)
    revisit = time_cached(ex, steps, fresh_readout=False)
    knob_new = time_knob(ex, FIRST_VISITS["pca_gaussian"])
    t = time.perf_counter()
    ex._changed(knob_value=16)
    knob_cached = time.perf_counter() - t
    other_knobs = {}
    for gen in ("memorising", "subgroup_skewed"):
        other = DistributionExplorer(real, generator=gen, n_synthetic=n, subgroup="plane", seed=0,
                                     feature_kind="embedding")
        time_cached(other, steps[:2])  # warm-up
        other_knobs[gen] = time_knob(other, FIRST_VISITS[gen])
        del other
    naive = time_naive(real, ex.model.synthetic(), steps[: max(3, k // 2)])
    with tempfile.TemporaryDirectory() as tmp:
        nb_times = run_notebooks(Path(tmp))
    med_c, med_n = statistics.median(cached), statistics.median(naive)
    total_nb = sum(nb_times.values())
    lines = [
        "# Widget benchmark",
        "",
        f"Machine: {os.cpu_count()} CPU(s); load average at start {os.getloadavg()[0]:.1f}. "
        f"Images: {n} real (bundled brain MR slices, 64×64, augmented) + {n} synthetic (PCA-Gaussian).",
        "",
        "| measurement | ours | naive peer (no cache) | ratio | target |",
        "|---|---|---|---|---|",
        f"| explorer interaction (readout recomputed; features, embedding cached), median of {k} (ms) | {med_c * 1e3:.0f} | {med_n * 1e3:.0f} | "
        f"{med_n / med_c:.1f}× faster | ≤ 150 ms |",
        f"| same interactions revisited (readout cached), median (ms) | {statistics.median(revisit) * 1e3:.0f} "
        "| | | |",
        f"| knob change, first visit (resample + features + readout, fit reused), median of "
        f"{len(knob_new)} values (ms) | {statistics.median(knob_new) * 1e3:.0f} | | | ≤ 150 ms |",
        *(f"| {gen} knob ({KNOB_LABELS[gen]}), first visit, median of {len(ts)} values (ms) | "
          f"{statistics.median(ts) * 1e3:.0f} | | | ≤ 150 ms |" for gen, ts in other_knobs.items()),
        f"| knob change, revisited value (cached) (ms) | {knob_cached * 1e3:.0f} | | | ≤ 150 ms |",
        f"| explorer set-up (features, embedding, first draw) (s) | {setup:.1f} | | | |",
        f"| headless run of notebooks 00-06, default parameters (s) | {total_nb:.1f} | | | ≤ 120 s |",
        "",
        "Per notebook (s): " + ", ".join(f"{k_} {v:.1f}" for k_, v in nb_times.items()),
        "",
        f"Interaction times (ms): {', '.join(f'{x * 1e3:.0f}' for x in cached)}",
        "",
        "Knob first visits (ms): " + "; ".join(
            f"{gen} " + ", ".join(f"{v}: {x * 1e3:.0f}" for v, x in zip(FIRST_VISITS[gen], ts))
            for gen, ts in {"pca_gaussian": knob_new, **other_knobs}.items()),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not quick:
        out = ROOT / "benchmarks" / "results" / "widgets.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
