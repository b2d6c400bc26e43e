"""Benchmark: misyn_lab's chunked PRDC against the ``prdc`` package (0.2, Naeem et al.), side by side.

Usage::

    python benchmarks/bench_prdc.py           # N = 1k, 5k, 10k (both) and 50k (ours only); a few minutes
    python benchmarks/bench_prdc.py --quick   # N = 1k, 2k (both) and 5k (ours only); smoke run, writes nothing

The matrices are generated once per size and saved to a temporary .npz; every measurement then runs in its own
subprocess (``python bench_prdc.py --worker IMPL DATA.npz``) reading the same bytes, so peak memory (``ru_maxrss``)
belongs to that one computation. Two kinds of feature matrices, d = 64, k = 5:

* ``gaussian``: real ~ N(0, I), synthetic ~ N(0.1, 1.1² I);
* ``image``: real-derived. Real = 64-d features of random image patches from the bundled samples
  (``misyn_lab.imagesets.load_sample``: 16×16 grey patches, PCA to 64 dims fitted on the real patches) or, when
  the samples are not available, 8×8 patches of scikit-image's bundled photographs (64 pixels). Synthetic = the
  same extraction on Gaussian-blurred copies of the images (a "smoothing generator"). Near-flat patches (std <
  0.02) are dropped and a 1/255 dither is added so exact duplicate patches (black background) do not make the
  comparison depend on floating-point rounding of zero distances.

Reported: the four values of each implementation and their max abs difference (must be <= 1e-9), wall time
(best of the repeats) and time ratio prdc/ours, and peak resident memory of each subprocess. The table is printed
and written to ``benchmarks/results/prdc.md``.
"""

from __future__ import annotations

import argparse
import os
import contextlib
import io
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
D = 64
K = 5
KEYS = ("precision", "recall", "density", "coverage")


# ------------------------------------------------------------------------------------------------------- data
def gaussian_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, D)), rng.standard_normal((n, D)) * 1.1 + 0.1


def _source_images() -> tuple[list[np.ndarray], str]:
    """Grey float images in [0, 1]: the bundled samples if present, else scikit-image's photographs."""
    try:
        from misyn_lab.imagesets.samples import load_sample

        imgs = load_sample("all").to_grey().images
        if len(imgs) >= 4:
            return [np.asarray(im, dtype=np.float64) for im in imgs], f"misyn_lab load_sample('all') ({len(imgs)})"
    except Exception as exc:  # noqa: BLE001 - any failure means "samples not available": fall back, say so
        print(f"[bench] bundled samples unavailable ({type(exc).__name__}: {exc}); using scikit-image images",
              file=sys.stderr)
    from skimage import data as skd
    from skimage.color import rgb2gray

    names = ["camera", "coins", "moon", "page", "text", "clock", "astronaut", "coffee", "chelsea", "rocket",
             "brick", "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "retina"]
    out = []
    for name in names:
        im = getattr(skd, name)()
        im = rgb2gray(im) if im.ndim == 3 else im.astype(np.float64) / (255.0 if im.dtype == np.uint8 else 1.0)
        out.append(np.asarray(im, dtype=np.float64))
    return out, f"scikit-image data ({len(out)} images)"


def _patches(images: list[np.ndarray], n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, size * size))
    got = 0
    while got < n:
        im = images[int(rng.integers(len(images)))]
        y = int(rng.integers(0, im.shape[0] - size + 1))
        x = int(rng.integers(0, im.shape[1] - size + 1))
        p = im[y: y + size, x: x + size]
        if p.std() < 0.02:
            continue
        out[got] = p.ravel()
        got += 1
    return out + rng.uniform(0, 1 / 255, out.shape)


def image_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    from scipy.ndimage import gaussian_filter

    images, source = _source_images()
    blurred = [gaussian_filter(im, 1.0) for im in images]
    rng = np.random.default_rng(seed)
    if source.startswith("misyn_lab"):
        from sklearn.decomposition import PCA

        real = _patches(images, n, 16, rng)
        fake = _patches(blurred, n, 16, rng)
        pca = PCA(n_components=D, random_state=seed).fit(real)
        return pca.transform(real), pca.transform(fake), source + ", 16x16 patches -> PCA 64"
    return _patches(images, n, 8, rng), _patches(blurred, n, 8, rng), source + ", 8x8 patches"


def make_data(kind: str, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    if kind == "gaussian":
        real, fake = gaussian_data(n)
        return real, fake, "N(0, I) vs N(0.1, 1.1^2 I)"
    return image_data(n)


# ----------------------------------------------------------------------------------------------------- worker
def worker(impl: str, data_file: str, repeats: int) -> dict:
    with np.load(data_file) as z:
        real, fake = z["real"], z["fake"]
    n = len(real)
    if impl == "prdc":
        import prdc as peer

        def run() -> dict:
            with contextlib.redirect_stdout(io.StringIO()):
                out = peer.compute_prdc(real, fake, K)
            return {k: float(out[k]) for k in KEYS}
    else:
        from misyn_lab.metrics import prdc as ours

        def run() -> dict:
            return ours(real, fake, K).values()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    values = {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        values = run()
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"impl": impl, "n": n, "values": values, "seconds": min(times), "times": times,
            "peak_rss_mib": peak / 1024, "base_rss_mib": base_rss / 1024}


def measure(impl: str, data_file: Path, repeats: int) -> dict:
    """Run one implementation on the saved matrices in a fresh subprocess."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", impl, str(data_file), "--repeats", str(repeats)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {impl} {data_file.name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def save_data(kind: str, n: int, folder: Path) -> tuple[Path, str]:
    """Generate the matrices once (in a subprocess, so this parent stays small) for both implementations.

    On Linux a child's ``ru_maxrss`` starts at its parent's resident size at fork time, so the parent must never
    hold the data itself or every worker's peak would include it.
    """
    path = folder / f"{kind}_{n}.npz"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--make-data", kind, str(n), str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"data generation {kind} {n} failed:\n{proc.stderr}")
    return path, proc.stdout.strip().splitlines()[-1]


def write_data(kind: str, n: int, path: str) -> str:
    real, fake, source = make_data(kind, n)
    np.savez(path, real=real, fake=fake)
    return source


# ------------------------------------------------------------------------------------------------------- main
def run_benchmark(quick: bool) -> str:
    both_sizes = (1000, 2000) if quick else (1000, 5000, 10000)
    ours_only = (5000,) if quick else (50000,)
    rows = []
    sources = {}
    tmp = tempfile.TemporaryDirectory(prefix="bench_prdc_")
    folder = Path(tmp.name)
    for kind in ("gaussian", "image"):
        for n in both_sizes:
            repeats = 1 if quick or n >= 10000 else 2
            data_file, sources[kind] = save_data(kind, n, folder)
            peer = measure("prdc", data_file, repeats)
            mine = measure("ours", data_file, repeats)
            diff = max(abs(peer["values"][k] - mine["values"][k]) for k in KEYS)
            rows.append((kind, n, peer, mine, diff))
            print(f"[bench] {kind:8s} N={n:>6}: prdc {peer['seconds']:.2f}s, ours {mine['seconds']:.2f}s, "
                  f"max|diff| {diff:.1e}", file=sys.stderr, flush=True)
        for n in ours_only:
            data_file, _ = save_data(kind, n, folder)
            mine = measure("ours", data_file, 1)
            rows.append((kind, n, None, mine, None))
            print(f"[bench] {kind:8s} N={n:>6}: ours {mine['seconds']:.2f}s, peak {mine['peak_rss_mib']:.0f} MiB",
                  file=sys.stderr, flush=True)
    tmp.cleanup()
    return render(rows, sources, quick)


def render(rows: list, sources: dict, quick: bool) -> str:
    lines = [
        f"# PRDC benchmark: misyn_lab vs prdc 0.2 ({'quick' if quick else 'full'} run)",
        "",
        f"d = {D}, k = {K}, N real = N synthetic. Machine: {platform.machine()}, {_cpu_count()} CPU(s), "
        f"Python {platform.python_version()}, numpy {np.__version__}, load average at end "
        f"{os.getloadavg()[0]:.1f} (other processes share the CPUs). Time = best of the repeats in a fresh "
        "process; peak = ru_maxrss of that process (includes Python, numpy, scikit-learn and the data); +Δ = growth "
        "of the peak during the metric calls.",
        "",
        "| data | N | max abs diff | prdc time (s) | ours time (s) | ratio prdc/ours | prdc peak MiB (+Δ) "
        "| ours peak MiB (+Δ) | ours precision | recall | density | coverage |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, n, peer, mine, diff in rows:
        v = mine["values"]
        if peer is None:
            lines.append(
                f"| {kind} | {n} | (prdc skipped) | - | {mine['seconds']:.2f} | - | - | {_mem(mine)} "
                f"| {v['precision']:.4f} | {v['recall']:.4f} | {v['density']:.4f} | {v['coverage']:.4f} |")
        else:
            lines.append(
                f"| {kind} | {n} | {diff:.1e} | {peer['seconds']:.2f} | {mine['seconds']:.2f} | "
                f"{peer['seconds'] / mine['seconds']:.1f}x | {_mem(peer)} | {_mem(mine)} "
                f"| {v['precision']:.4f} | {v['recall']:.4f} | {v['density']:.4f} | {v['coverage']:.4f} |")
    diffs = [r[4] for r in rows if r[4] is not None]
    lines += [
        "",
        "Data sources: " + "; ".join(f"{k}: {s}" for k, s in sources.items()) + ".",
        "",
        f"Agreement: max abs difference over all compared runs = {max(diffs):.1e} "
        f"({'PASS' if max(diffs) <= 1e-9 else 'FAIL'}: target <= 1e-9).",
    ]
    big = [r for r in rows if r[2] is not None and r[1] == max(x[1] for x in rows if x[2] is not None)]
    ratios = [r[2]["seconds"] / r[3]["seconds"] for r in big]
    lines.append(f"Speed at N = {big[0][1]}: prdc/ours = {', '.join(f'{x:.1f}x' for x in ratios)} "
                 f"(target >= 3x at 10k).")
    solo = [r for r in rows if r[2] is None]
    if solo:
        lines.append(f"Ours at N = {solo[0][1]}: peak {max(r[3]['peak_rss_mib'] for r in solo):.0f} MiB "
                     "(target < 2048 MiB); prdc would need three N×N float64 matrices "
                     f"({3 * solo[0][1] ** 2 * 8 / 2**30:.0f} GiB) plus boolean copies.")
    return "\n".join(lines) + "\n"


def _mem(m: dict) -> str:
    return f"{m['peak_rss_mib']:.0f} (+{m['peak_rss_mib'] - m['base_rss_mib']:.0f})"


def _cpu_count() -> int:
    return os.cpu_count() or 1


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat (smoke run)")
    ap.add_argument("--worker", nargs=2, metavar=("IMPL", "DATA_NPZ"), help=argparse.SUPPRESS)
    ap.add_argument("--make-data", nargs=3, metavar=("KIND", "N", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make_data:
        kind, n, path = args.make_data
        print(write_data(kind, int(n), path))
        return 0
    if args.worker:
        impl, data_file = args.worker
        print(json.dumps(worker(impl, data_file, args.repeats)))
        return 0
    table = run_benchmark(args.quick)
    print(table)
    if args.quick:
        print("[bench] quick run: benchmarks/results/prdc.md left unchanged", file=sys.stderr)
        return 0
    from misyn_lab.atomic import atomic_write_text

    out = atomic_write_text(HERE / "results" / "prdc.md", table)
    print(f"written {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
