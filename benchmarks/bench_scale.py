"""Archive scale: features, audit, memorisation and PRDC as the collection grows, against named peers, same run.

Usage::

    python benchmarks/bench_scale.py            # full run (~25-40 min on 2 shared cores); writes results/scale.md
    python benchmarks/bench_scale.py --quick    # small sizes (~8 min); prints only
    python benchmarks/bench_scale.py --only audit,dask   # re-measure some sections (results/scale.json keeps the
                                                         # others) and re-render results/scale.md

Sections (every measurement runs in a fresh subprocess, so its peak resident memory, ``ru_maxrss``, is its own):

* **features** — ``misyn-lab features``' path (file-backed ``ImageFiles`` + chunked ``extract_table``, embedding
  fitted on the seeded sample) vs the in-memory peer (``load_folder`` + ``PCAEmbedding.fit`` +
  ``extract_features``, what ``evaluate_imagesets`` did before), intensity + texture + embedding features, at
  256×256 (2,000 and 8,000 files) and 64×64 (10,000 and 50,000 files). Images: grey 8-bit PNGs derived from the
  bundled samples (resized, flipped, shifted, noise added; 1,000 distinct files, the rest hard links).
* **audit** — 20,000 files (bundled sample PNGs plus planted labelled and unlabelled re-encoded synthetic copies)
  against registries of 10^3, 10^4 and 10^5 synthetic images (blends of random sample pairs, one turned by a
  random angle, shifted, noisy): the indexed lookup vs the linear scan it replaces (same process, ``match_hashes_linear``), decisions
  compared file by file; a naive peer (Pillow full decode + ``imagehash.phash`` against every registered hash in a
  Python loop) on a sample of files.
* **dask** — the 10^5-registry audit with ``--workers 2`` (the audit process, which holds the one registry index,
  and a Dask worker process under Dask's multiprocessing scheduler) vs one process, CSVs compared.
* **knn** — memorisation (train N vs synthetic N, d = 64, k = 1) at N = 2k, 10k, 50k: ours (``knn_backend``
  ``auto``: faiss for the train-train search, one fused float32 NumPy pass for synthetic<->train; and ``numpy``
  only) vs faiss-cpu's exact ``IndexFlatL2`` (the three searches memorisation needs) and scikit-learn's
  brute-force ``NearestNeighbors``.
* **prdc** — ``misyn_lab.metrics.prdc`` (unchanged algorithm) at 2k, 10k, 50k vs the ``prdc`` package (2k, 10k).

Growth: every series is fitted with a stated model (linear in N for features and the linear registry scan,
``a + b·log10 R`` for the indexed lookup, ``c·N²`` for k-NN and PRDC) and extrapolated to 10^6.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
SAMPLES = Path(__import__("misyn_lab.imagesets.samples", fromlist=["BUNDLED_DIR"]).BUNDLED_DIR) / "images"
KIND = "intensity+texture+embedding"
SECTIONS = ("features", "audit", "dask", "knn", "prdc")
#: One-process and ``--workers 2`` audits, alternated this many times (the ratio of each pair is reported; this
#: machine's speed drifts by 20 % and more over minutes, so the median of 5).
DASK_ROUNDS = 5
#: The issue's one-process audit target: files/s on 20,000 files with a registry of this many images.
AUDIT_TARGET = 1000
AUDIT_TARGET_REGISTRY = 100_000
#: The archive-sized folder of the parallel section: the audit folder this many times over (hard links), and the
#: alternated rounds on it; with the 20,000-file rounds it separates the start-up cost from the cost per file.
DASK_LARGE_COPIES = 5
DASK_LARGE_ROUNDS = 3


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def mem_available_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def run_worker(*args: str, timeout: float = 7200) -> dict:
    """One measurement in a fresh subprocess; its last stdout line is JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------------------ data: images
def _sample_greys() -> list[np.ndarray]:
    from PIL import Image

    return [np.asarray(Image.open(p).convert("L"), dtype=np.float64) for p in sorted(SAMPLES.rglob("*.png"))]


def make_image_folder(folder: Path, n: int, side: int, distinct: int = 1000) -> None:
    """``n`` grey PNGs of side×side under ``folder`` (sub-folders of 1,000): ``distinct`` generated ones, the
    rest hard links to them (decoding and features cost the same; the disk stays small)."""
    from PIL import Image

    rng = np.random.default_rng(side)
    greys = _sample_greys()
    made: list[Path] = []
    for i in range(n):
        sub = folder / f"part{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"img{i:06d}.png"
        if i < distinct:
            g = greys[int(rng.integers(len(greys)))]
            im = Image.fromarray(g.astype(np.float32), mode="F").resize((side, side), Image.Resampling.BILINEAR)
            a = np.asarray(im)
            a = np.rot90(a, int(rng.integers(4)))
            a = np.roll(a, tuple(int(v) for v in rng.integers(-side // 8, side // 8 + 1, 2)), axis=(0, 1))
            a = np.clip(a + rng.normal(0, 3, a.shape), 0, 255).astype(np.uint8)
            Image.fromarray(a).save(path)
            made.append(path)
        else:
            os.link(made[i % distinct], path)


# ------------------------------------------------------------------------------------------------ features
def worker_features(impl: str, folder: str, chunk: str) -> dict:
    from misyn_lab.features import PCAEmbedding, extract_features
    from misyn_lab.features.stream import extract_table
    from misyn_lab.imagesets import load_folder
    from misyn_lab.imagesets.files import ImageFiles

    t0 = time.perf_counter()
    base = peak_mib()
    if impl == "ours":
        files = ImageFiles.from_folder(folder)
        table = extract_table(files, KIND, fit_embedding=True, chunk_size=int(chunk) if chunk != "auto" else None)
        n, d = table.features.shape
        chunk_files = files.chunk_files(int(chunk) if chunk != "auto" else None)
    else:
        images = load_folder(folder)
        h, w = images.image_shape[:2]
        emb = PCAEmbedding.fit(images, n_components=16, size=(min(h, 64), min(w, 64)))
        fm = extract_features(images, KIND, embedding=emb, cache=False, progress=False)
        n, d = fm.shape
        chunk_files = 0
    return {"seconds": time.perf_counter() - t0, "peak_rss_mib": peak_mib(), "base_rss_mib": base, "n": n, "d": d,
            "chunk_files": chunk_files}


def section_features(quick: bool, tmp: Path) -> dict:
    plans = [(256, (300, 1200) if quick else (2000, 8000)), (64, (2000, 6000) if quick else (10000, 50000))]
    rows = []
    for side, sizes in plans:
        for n in sizes:
            folder = tmp / f"img{side}_{n}"
            t0 = time.perf_counter()
            make_image_folder(folder, n, side)
            log(f"features: {n} files of {side}² written in {time.perf_counter() - t0:.0f} s")
            ours = run_worker("features", "ours", str(folder), "auto")
            log(f"features {side}² N={n}: ours {ours['seconds']:.0f} s, peak {ours['peak_rss_mib']:.0f} MiB")
            need = n * side * side * 4 * 2.6 / 2**30 + 1.0  # float32 stack, its copies, the interpreter
            if need < mem_available_gib() - 3:
                peer = run_worker("features", "memory", str(folder), "auto")
                log(f"features {side}² N={n}: in-memory {peer['seconds']:.0f} s, peak {peer['peak_rss_mib']:.0f} MiB")
            else:
                peer = None
                log(f"features {side}² N={n}: in-memory peer skipped (needs ~{need:.0f} GiB)")
            rows.append({"side": side, "n": n, "ours": ours, "peer": peer, "load": load()})
            shutil.rmtree(folder)
    return {"rows": rows}


# ------------------------------------------------------------------------------------------------ audit
def _blend(greys: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A stand-in generated image: two random samples, one turned by a random angle, blended, shifted, noisy
    (no bundled sample lies within the registry's match limit of such a blend, so only planted copies match)."""
    from PIL import Image

    a = greys[int(rng.integers(len(greys)))]
    b = greys[int(rng.integers(len(greys)))]
    w = rng.uniform(0.4, 0.6)
    turned = np.asarray(Image.fromarray(b.astype(np.float32), mode="F").rotate(
        rng.uniform(15, 345), resample=Image.Resampling.BILINEAR))
    arr = w * np.rot90(a, int(rng.integers(4))) + (1 - w) * turned
    arr = np.roll(arr, tuple(int(v) for v in rng.integers(-10, 11, 2)), axis=(0, 1))
    return np.clip(arr + rng.normal(0, 2, arr.shape), 0, 255).astype(np.uint8)


def build_audit_data(tmp: Path, sizes: tuple[int, ...], n_files: int) -> dict:
    """Registries of growing size (each a prefix of the next) and the folder to audit."""
    from PIL import Image

    from misyn_lab.provenance import Provenance, Registry, label_file

    greys = [g for g in _sample_greys() if g.shape == (128, 128)]
    rng = np.random.default_rng(0)
    prov = Provenance(generator="bench-generator", generator_version="1")
    reg_path = tmp / "registry.sqlite"
    registries: dict[int, Path] = {}
    planted: list[np.ndarray] = []
    done = 0
    t0 = time.perf_counter()
    for size in sorted(sizes):
        with Registry(reg_path) as reg:
            batch = []
            while done < size:
                arr = _blend(greys, rng)
                if len(planted) < 40:
                    planted.append(arr)
                # one provenance per image (its own seed), as a generator run labels them: no row shares its text
                batch.append((arr, Provenance(generator="bench-generator", generator_version="1", seed=done)))
                done += 1
                if len(batch) == 5000:
                    reg.register_many(batch)
                    batch = []
            if batch:
                reg.register_many(batch)
        registries[size] = tmp / f"registry_{size}.sqlite"
        shutil.copy(reg_path, registries[size])
        log(f"audit: registry of {size:,} built ({time.perf_counter() - t0:.0f} s so far)")
    data = tmp / "archive"
    sources = sorted(SAMPLES.rglob("*.png"))
    counts = {"labelled": 0, "leaked": 0, "real": 0}
    syn_dir = tmp / "syn_src"
    syn_dir.mkdir()
    for i in range(n_files):
        sub = data / f"part{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        if i % 1000 == 1 and counts["labelled"] < 20:
            src = syn_dir / f"l{i}.png"
            Image.fromarray(planted[counts["labelled"]]).save(src)
            label_file(src, prov, out=sub / f"img{i:06d}.png", registry=None)
            counts["labelled"] += 1
        elif i % 1000 == 2 and counts["leaked"] < 20:
            Image.fromarray(planted[20 + counts["leaked"]]).save(sub / f"img{i:06d}.jpg", quality=90)
            counts["leaked"] += 1
        else:
            os.link(sources[i % len(sources)], sub / f"img{i:06d}.png")
            counts["real"] += 1
    subset = tmp / "archive_subset"
    for i, p in enumerate(sorted(data.rglob("*"))):
        if p.is_file() and (i % (n_files // 1000 or 1) == 0 or p.suffix == ".jpg"):
            dst = subset / p.relative_to(data)
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.link(p, dst)
    return {"registries": registries, "folder": data, "subset": subset, "counts": counts}


def worker_audit(mode: str, folder: str, registry: str, csv_out: str) -> dict:
    from misyn_lab.provenance import audit_folder
    from misyn_lab.provenance.audit import LOCAL_MIN_FILES
    from misyn_lab.provenance.registry import Registry, RegistryIndex

    if mode == "linear":  # the scan the index replaces, for single lookups and a chunk's
        RegistryIndex.match_hashes = RegistryIndex.match_hashes_linear
        RegistryIndex.match_many = lambda self, hashes: [self.match_hashes_linear(h) for h in hashes]
    index_s, rows = None, None
    if mode != "dask":  # the index build is timed apart (on Dask the audit builds it while the workers examine)
        t0 = time.perf_counter()
        with Registry(registry) as reg:
            rows = reg.index().n_rows
        index_s = time.perf_counter() - t0
        del reg  # its cached index would stay in memory beside the audit's own and inflate the measured peak
    kwargs = {"workers": 2} if mode == "dask" else {}  # --workers 2: this process and a Dask worker process
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    rep = audit_folder(folder, registry=registry, progress=False, **kwargs)
    secs = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0  # this process plus its reaped children (the Dask workers)
    Path(csv_out).write_text(rep.to_csv())
    return {"seconds": secs, "cpu_seconds": cpu, "files": len(rep.records), "counts": rep.counts(),
            "peak_rss_mib": peak_mib(), "index_build_s": index_s, "rows": rows, "start_at": LOCAL_MIN_FILES}


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have ended."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def worker_naive(folder: str, registry: str) -> dict:
    """bench_audit.py's naive peer (Pillow full decode + imagehash.phash against every registered hash)."""
    import imagehash

    from bench_audit import naive_audit
    from misyn_lab.provenance.registry import Registry

    with Registry(registry) as reg:
        hashes = [imagehash.hex_to_hash(r["phash"]) for r in reg.rows()]
    files = sum(1 for p in Path(folder).rglob("*") if p.is_file())
    t0 = time.perf_counter()
    flagged = naive_audit(Path(folder), hashes)
    return {"seconds": time.perf_counter() - t0, "files": files, "flagged": flagged}


def worker_candidates(registry: str, folder: str) -> dict:
    """How many registry rows the hash radii admit per query vs how many the thumbnail bound leaves."""
    from misyn_lab.provenance.registry import Registry, hashes_of

    with Registry(registry) as reg:
        index = reg.index()
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())[:300]
    admitted, survivors = [], []
    for p in files:
        h = hashes_of(p).perceptual
        admitted.append(index._perceptual.candidates_linear(h.phash, h.dhash))
        survivors.append(len(index._perceptual.survivors(h.thumb)))
    return {"admitted_mean": float(np.mean(admitted)), "admitted_max": int(np.max(admitted)),
            "survivors_mean": float(np.mean(survivors)), "survivors_max": int(np.max(survivors)),
            "queries": len(files)}


def section_audit(quick: bool, tmp: Path, with_dask: bool, only_dask: bool) -> dict:
    sizes = (1000, 10000) if quick else (1000, 10000, 100000)
    n_files = 4000 if quick else 20000
    data = build_audit_data(tmp, sizes, n_files)
    out: dict = {"n_files": n_files, "counts": data["counts"], "rows": [], "dask": None}
    largest = max(sizes)
    if not only_dask:
        for size in sizes:
            reg = str(data["registries"][size])
            ours = run_worker("audit", "index", str(data["folder"]), reg, str(tmp / f"idx_{size}.csv"))
            log(f"audit R={size:,}: indexed {ours['files'] / ours['seconds']:.0f} files/s")
            full_linear = size <= 10000
            folder = data["folder"] if full_linear else data["subset"]
            lin = run_worker("audit", "linear", str(folder), reg, str(tmp / f"lin_{size}.csv"))
            if full_linear:
                ref_csv = (tmp / f"idx_{size}.csv").read_text()
            else:
                ours_sub = run_worker("audit", "index", str(folder), reg, str(tmp / f"idxsub_{size}.csv"))
                ref_csv = (tmp / f"idxsub_{size}.csv").read_text()
                ours["subset"] = ours_sub
            identical = ref_csv == (tmp / f"lin_{size}.csv").read_text()
            log(f"audit R={size:,}: linear {lin['files'] / lin['seconds']:.0f} files/s on {lin['files']} files, "
                f"identical decisions: {identical}")
            cand = run_worker("candidates", reg, str(data["subset"]))
            out["rows"].append({"size": size, "ours": ours, "linear": lin, "identical": identical,
                                "linear_full": full_linear, "candidates": cand, "load": load()})
        naive = run_worker("naive", str(data["subset"]), str(data["registries"][min(sizes)]))
        out["naive"] = naive
        log(f"audit naive peer (R={min(sizes):,}): {naive['files'] / naive['seconds']:.0f} files/s")
    if with_dask:
        reg = str(data["registries"][largest])
        rounds = []
        for k in range(1 if quick else DASK_ROUNDS):  # alternated: this machine's speed drifts by ±20 % over minutes
            one = run_worker("audit", "index", str(data["folder"]), reg, str(tmp / "one.csv"))
            two = run_worker("audit", "dask", str(data["folder"]), reg, str(tmp / "dask.csv"))
            same = (tmp / "one.csv").read_text() == (tmp / "dask.csv").read_text()
            rounds.append({"one": one, "dask": two, "identical": same, "load": load()})
            log(f"audit dask (R={largest:,}) round {k + 1}: one {one['seconds']:.1f} s, --workers 2 "
                f"{two['seconds']:.1f} s ({one['seconds'] / two['seconds']:.2f}x), same CSV {same}")
        out["dask"] = {"size": largest, "rounds": rounds}
        if not quick:
            big = tmp / "archive_large"
            files = [p for p in sorted(data["folder"].rglob("*")) if p.is_file()]
            for copy in range(DASK_LARGE_COPIES):
                for p in files:
                    dst = big / f"copy{copy}" / p.relative_to(data["folder"])
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.link(p, dst)
            large = []
            for k in range(DASK_LARGE_ROUNDS):
                one = run_worker("audit", "index", str(big), reg, str(tmp / "one_large.csv"))
                two = run_worker("audit", "dask", str(big), reg, str(tmp / "dask_large.csv"))
                same = (tmp / "one_large.csv").read_text() == (tmp / "dask_large.csv").read_text()
                large.append({"one": one, "dask": two, "identical": same, "load": load()})
                log(f"audit dask on {one['files']:,} files, round {k + 1}: one {one['seconds']:.1f} s, --workers 2 "
                    f"{two['seconds']:.1f} s ({one['seconds'] / two['seconds']:.2f}x), same CSV {same}")
            out["dask"]["large"] = {"copies": DASK_LARGE_COPIES, "rounds": large}
    return out


# ------------------------------------------------------------------------------------------------ k-NN, PRDC
def knn_data(n: int, path: Path) -> None:
    rng = np.random.default_rng(n)
    centres = rng.standard_normal((64, 64)) * 2
    train = centres[rng.integers(0, 64, n)] + rng.standard_normal((n, 64))
    syn = centres[rng.integers(0, 64, n)] + rng.standard_normal((n, 64))
    syn[: n // 50] = train[: n // 50] + rng.normal(0, 1e-3, (n // 50, 64))  # 2 % planted near-copies
    np.savez(path, train=train, syn=syn)


def worker_knn(impl: str, data: str) -> dict:
    import faiss  # every library is imported before the clock starts
    from sklearn.neighbors import NearestNeighbors

    from misyn_lab.metrics import memorisation

    with np.load(data) as z:
        train, syn = z["train"], z["syn"]
    base = peak_mib()
    t0 = time.perf_counter()
    if impl in ("auto", "numpy"):
        res = memorisation(train, syn, knn_backend=impl)
        s_dist, s_idx, t_dist = res.syn_nearest_train_dist, res.syn_nearest_train, res.train_nearest_syn_dist
        extra = {"copy_rate": res["copy_rate"].value}
    elif impl == "faiss":
        t32, s32 = train.astype(np.float32), syn.astype(np.float32)
        it = faiss.IndexFlatL2(64)
        it.add(t32)
        it.search(t32, 2)
        d, i = it.search(s32, 1)
        isyn = faiss.IndexFlatL2(64)
        isyn.add(s32)
        td, _ = isyn.search(t32, 1)
        s_dist, s_idx, t_dist = np.sqrt(d[:, 0]), i[:, 0], np.sqrt(td[:, 0])
        extra = {}
    else:
        nt = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(train)
        nt.kneighbors(n_neighbors=1)
        d, i = nt.kneighbors(syn)
        td, _ = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(syn).kneighbors(train)
        s_dist, s_idx, t_dist = d[:, 0], i[:, 0], td[:, 0]
        extra = {}
    secs = time.perf_counter() - t0
    np.savez(data + f".{impl}.out.npz", s_dist=s_dist, s_idx=s_idx, t_dist=t_dist)
    return {"seconds": secs, "peak_rss_mib": peak_mib(), "base_rss_mib": base, **extra}


def worker_prdc(impl: str, data: str) -> dict:
    import prdc as peer  # imported before the clock starts

    from misyn_lab.metrics import prdc

    with np.load(data) as z:
        real, fake = z["train"], z["syn"]
    base = peak_mib()
    t0 = time.perf_counter()
    if impl == "prdc":
        with contextlib.redirect_stdout(io.StringIO()):
            out = peer.compute_prdc(real, fake, 5)
        values = {k: float(v) for k, v in out.items()}
    else:
        values = prdc(real, fake, 5).values()
    return {"seconds": time.perf_counter() - t0, "peak_rss_mib": peak_mib(), "base_rss_mib": base, "values": values}


def section_knn(quick: bool, tmp: Path, what: str) -> dict:
    sizes = (2000, 5000) if quick else (2000, 10000, 50000)
    rows = []
    for n in sizes:
        path = tmp / f"knn_{n}.npz"
        knn_data(n, path)
        row: dict = {"n": n, "load": None}
        if what == "knn":
            impls = ["auto", "numpy", "faiss", "sklearn"]
            for impl in impls:
                row[impl] = run_worker("knn", impl, str(path))
                log(f"memorisation N={n}: {impl} {row[impl]['seconds']:.1f} s")
            ref = np.load(str(path) + ".faiss.out.npz")
            for impl in ("auto", "numpy"):
                got = np.load(str(path) + f".{impl}.out.npz")
                row[impl]["max_abs_dist_vs_faiss"] = float(max(np.abs(got["s_dist"] - ref["s_dist"]).max(),
                                                               np.abs(got["t_dist"] - ref["t_dist"]).max()))
                row[impl]["same_nn_as_faiss"] = float(np.mean(got["s_idx"] == ref["s_idx"]))
            a, b = np.load(str(path) + ".auto.out.npz"), np.load(str(path) + ".numpy.out.npz")
            row["backends_identical"] = bool(all(np.array_equal(a[k], b[k]) for k in ("s_dist", "s_idx", "t_dist")))
        else:
            row["ours"] = run_worker("prdc", "ours", str(path))
            if n <= 10000:
                row["prdc"] = run_worker("prdc", "prdc", str(path))
                row["max_abs_diff"] = max(abs(row["ours"]["values"][k] - row["prdc"]["values"][k])
                                          for k in row["ours"]["values"])
            log(f"prdc N={n}: ours {row['ours']['seconds']:.1f} s"
                + (f", prdc {row['prdc']['seconds']:.1f} s" if "prdc" in row else ""))
        row["load"] = load()
        rows.append(row)
    return {"rows": rows}


# ------------------------------------------------------------------------------------------------ growth fits
def fit_linear(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``y = a + b·x``."""
    b, a = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return float(a), float(b)


def fit_quadratic(xs: list[float], ys: list[float]) -> float:
    """Least-squares ``y = c·x²`` (through the origin)."""
    x2 = np.asarray(xs, float) ** 2
    return float(np.dot(x2, ys) / np.dot(x2, x2))


def _peak(m: dict | None) -> str:
    return "–" if m is None else f"{m['peak_rss_mib']:.0f}"


def human_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


# ------------------------------------------------------------------------------------------------ report
def dask_lines(d: dict) -> list[str]:
    """The parallel-audit section: one row pair per alternated round, and the median ratio against the target."""
    rounds = d.get("rounds") or [{"one": d["one"], "dask": d["dask"], "identical": d["identical"], "load": d["load"]}]
    ratios = [r["one"]["seconds"] / r["dask"]["seconds"] for r in rounds]
    median = float(np.median(ratios))
    lines = ["## Audit in parallel: `--workers 2` (the audit process and a Dask worker process) vs one process",
             "",
             f"Registry of {d['size']:,}, {rounds[0]['one']['files']:,} files; the `--workers 2` time includes "
             "starting the worker process (spawned, under Dask's multiprocessing scheduler), which begins as soon "
             f"as the folder scan has found {rounds[0]['dask'].get('start_at', 5000):,} files. The audit "
             "process builds the one registry index while the Dask worker takes the first chunks of 200 files, "
             "and takes chunks itself once the index is built; the Dask worker takes chunks from the moment it has "
             "started, reads and hashes the files and sends the hashes back (it never opens the registry); the "
             "audit process looks them up. "
             f"{len(rounds)} rounds, one process and `--workers 2` alternated.", "", *round_rows(rounds)]
    cpu = [r["dask"]["cpu_seconds"] / r["one"]["cpu_seconds"] - 1 for r in rounds
           if "cpu_seconds" in r["one"] and "cpu_seconds" in r["dask"]]
    lines += ["", f"Median ratio {median:.2f}× (rounds: {', '.join(f'{x:.2f}×' for x in ratios)}). A load near 2 "
              "is the parallel run's own processes."
              + (f" CPU time over the one-process run: {np.median(cpu):+.0%} (median): start-up of the worker "
                 "process (it imports misyn-lab), Dask's scheduler loop in the audit process, sending the hashes "
                 "back, and the cost per file when two processes work at once." if cpu else "")
              + f" The target of 1.5× one process on two cores is {'reached' if median >= 1.5 else 'not reached'} "
              f"on {rounds[0]['one']['files']:,} files.", ""]
    big = d.get("large")
    if big:
        lines += large_lines(big, rounds)
    return lines


def round_rows(rounds: list[dict]) -> list[str]:
    """The table of alternated rounds: one process and `--workers 2`, each pair's ratio."""
    lines = ["| round | run | seconds | files/s | ratio | CPU seconds (all processes) | same CSV | load |",
             "|---:|---|---:|---:|---:|---:|---|---:|"]
    for k, r in enumerate(rounds, 1):
        one, two = r["one"], r["dask"]
        lines += [f"| {k} | one process | {one['seconds']:.1f} | {one['files'] / one['seconds']:,.0f} | 1.00× | "
                  f"{one.get('cpu_seconds', float('nan')):.1f} | – | {r['load']} |",
                  f"| {k} | `--workers 2` | {two['seconds']:.1f} | {two['files'] / two['seconds']:,.0f} | "
                  f"{one['seconds'] / two['seconds']:.2f}× | {two.get('cpu_seconds', float('nan')):.1f} | "
                  f"{'yes' if r['identical'] else 'NO'} | {r['load']} |"]
    return lines


def target_line(a: dict) -> str:
    """The issue's one-process target (1,000 files/s with the largest registry), checked on this run's figures: the
    median of every one-process run of that audit (the audit row, and the one-process rounds of the parallel section,
    the same audit measured again), because one run on this machine can be 25 % off its neighbours."""
    row = max(a["rows"], key=lambda r: r["size"])
    if row["size"] < AUDIT_TARGET_REGISTRY:
        return (f"The target, at least {AUDIT_TARGET:,} files/s in one process with a registry of "
                f"{AUDIT_TARGET_REGISTRY:,}, is checked in a full run (this run's largest registry: {row['size']:,}).")
    speed = row["ours"]["files"] / row["ours"]["seconds"]
    again = [r["one"]["files"] / r["one"]["seconds"] for r in (a.get("dask") or {}).get("rounds", [])]
    median = float(np.median([speed, *again]))
    return (f"Target: at least {AUDIT_TARGET:,} files/s in one process with a registry of {row['size']:,}: "
            f"{'reached' if median >= AUDIT_TARGET else 'not reached'} in these measurements (median {median:,.0f} files/s over "
            f"its {1 + len(again)} one-process runs of this audit: {speed:,.0f} in the table above"
            + (f", {min(again):,.0f}–{max(again):,.0f} in the {len(again)} one-process rounds below" if again else "")
            + ")" + _apart(a) + ".")


def _apart(a: dict) -> str:
    """Says so when ``--only dask`` re-measured the parallel rounds at another time than the audit table."""
    table, rounds = a.get("measured"), (a.get("dask") or {}).get("measured")
    return f" (the table above was measured {table}, the rounds below {rounds})" if rounds and rounds != table else ""


def large_lines(big: dict, small_rounds: list[dict]) -> list[str]:
    """The archive-sized rounds, and what the two folder sizes say: start-up cost and cost per file of each run
    (a straight line through the medians), the ratio they give at 10^6 files."""
    rounds = big["rounds"]
    n_big, n_small = rounds[0]["one"]["files"], small_rounds[0]["one"]["files"]
    ratios = [r["one"]["seconds"] / r["dask"]["seconds"] for r in rounds]
    lines = [f"The same on an archive-sized folder: {n_big:,} files (the {n_small:,} files {big['copies']} times "
             "over, as hard links: a stand-in for a larger archive, with the same mix of files), "
             f"{len(rounds)} rounds alternated.", "", *round_rows(rounds)]
    fit = {}
    for run in ("one", "dask"):
        small = float(np.median([r[run]["seconds"] for r in small_rounds]))
        large = float(np.median([r[run]["seconds"] for r in rounds]))
        per_file = (large - small) / (n_big - n_small)
        fit[run] = (small - per_file * n_small, per_file)
    (a1, b1), (a2, b2) = fit["one"], fit["dask"]
    at = 10 ** 6
    spread = max(max(x) / min(x) - 1 for x in ([r["one"]["seconds"] for r in small_rounds],
                                                [r["one"]["seconds"] for r in rounds]))
    rough = min(a1, a2) < 0 or spread > 0.1
    lines += ["", f"Median ratio {float(np.median(ratios)):.2f}× on {n_big:,} files (rounds: "
              f"{', '.join(f'{x:.2f}×' for x in ratios)}). A straight line through the medians of the two folder "
              f"sizes (model: seconds = start-up + files × cost per file): one process {a1:.1f} s + "
              f"{b1 * 1e3:.3f} ms per file, `--workers 2` {a2:.1f} s + {b2 * 1e3:.3f} ms per file"
              + (f"; the one-process rounds on one folder spread by up to {spread:.0%} on this machine, more than "
                 "the start-ups being fitted, so the fit separates start-up and cost per file only roughly and "
                 "the measured medians are the figures to use" if rough else "")
              + f". Per file `--workers 2` is {b1 / b2:.2f}× one process, and at 10^6 files the model gives "
              f"{(a1 + b1 * at) / (a2 + b2 * at):.2f}× (extrapolated, not measured).", ""]
    return lines


def render(res: dict, quick: bool, started: float) -> str:
    lines = [f"# Archive scale ({'quick' if quick else 'full'} run)", "",
             f"`python benchmarks/bench_scale.py{' --quick' if quick else ''}` on {platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}. The machine was "
             "shared with other jobs while this ran: the load average (1 min) is given per measurement; a load "
             "above ~1 on 2 cores slows every timing, so ratios measured one after the other are steadier than "
             "absolute times. Peak = `ru_maxrss` of the measuring subprocess (includes the interpreter and "
             "libraries).", ""]
    if "features" in res:
        lines += ["## Features: chunked file-backed path vs the in-memory path", "",
                  f"Features {KIND} (61 per image, embedding fitted on a seeded sample of ≤ 2,000 images).", "",
                  "| size | N files | ours s | ours img/s | ours peak MiB | in-memory s | in-memory peak MiB | "
                  "memory ratio | load |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in res["features"]["rows"]:
            o, p = r["ours"], r["peer"]
            lines.append(f"| {r['side']}² | {r['n']:,} | {o['seconds']:.0f} | {r['n'] / o['seconds']:.0f} | "
                         f"{o['peak_rss_mib']:.0f} | {p['seconds']:.0f} | {p['peak_rss_mib']:.0f} | "
                         f"{p['peak_rss_mib'] / o['peak_rss_mib']:.1f}× | {r['load']} |" if p else
                         f"| {r['side']}² | {r['n']:,} | {o['seconds']:.0f} | {r['n'] / o['seconds']:.0f} | "
                         f"{o['peak_rss_mib']:.0f} | skipped (not enough free memory) | – | – | {r['load']} |")
        lines += ["", "Growth to 10^6 images. Models: time linear in N (fitted on the two sizes); ours' peak "
                  "memory = the largest measured peak (one chunk of pixels and its working memory) + the feature "
                  "values it keeps (N × 61 float64 = 488 bytes per image, plus ~200 bytes of ids and metadata); the "
                  "in-memory peak linear in N (fitted):", ""]
        for side in sorted({r["side"] for r in res["features"]["rows"]}, reverse=True):
            rows = [r for r in res["features"]["rows"] if r["side"] == side]
            ns = [r["n"] for r in rows]
            a, b = fit_linear(ns, [r["ours"]["seconds"] for r in rows])
            top = max(rows, key=lambda r: r["ours"]["peak_rss_mib"])
            per_image = 61 * 8 + 200
            peak = top["ours"]["peak_rss_mib"] * 2**20 + (1e6 - top["n"]) * per_image
            text = (f"* {side}²: ours {human_seconds(a + b * 1e6)} on one process, peak ≈ {peak / 2**30:.1f} GiB")
            peers = [r for r in rows if r["peer"]]
            if len(peers) == 2:
                _, bp = fit_linear([r["n"] for r in peers], [r["peer"]["peak_rss_mib"] for r in peers])
                text += f"; the in-memory path would need ≈ {bp * 1e6 / 1024:,.0f} GiB"
            lines.append(text + ".")
        lines.append("")
    if "audit" in res and res["audit"]["rows"]:
        a = res["audit"]
        lines += ["## Audit: indexed registry lookup vs the linear scan", "",
                  f"{a['n_files']:,} files ({a['counts']['real']:,} sample PNGs, {a['counts']['labelled']} labelled "
                  f"synthetic, {a['counts']['leaked']} unlabelled re-encoded synthetic JPEGs), one process.", "",
                  "| registry | indexed files/s | indexed CPU ms/file | linear files/s (files) | speed-up | "
                  "identical decisions | rows admitted by hash radii (mean / max) | rows left by the thumbnail "
                  "bound (mean / max) | index build s | peak MiB | unlabelled found | load |",
                  "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
        for r in a["rows"]:
            o, lin, c = r["ours"], r["linear"], r["candidates"]
            o_rate = o["files"] / o["seconds"]
            l_rate = lin["files"] / lin["seconds"]
            cpu_ms = 1e3 * o.get("cpu_seconds", float("nan")) / o["files"]
            lines.append(f"| {r['size']:,} | {o_rate:,.0f} | {cpu_ms:.2f} | {l_rate:,.0f} ({lin['files']:,}) | "
                         f"{o_rate / l_rate:.1f}× | {'yes' if r['identical'] else 'NO'} "
                         f"({'all files' if r['linear_full'] else 'on the subset'}) | {c['admitted_mean']:.0f} / "
                         f"{c['admitted_max']} | {c['survivors_mean']:.1f} / {c['survivors_max']} | "
                         f"{o['index_build_s']:.1f} | {o['peak_rss_mib']:.0f} | "
                         f"{o['counts']['unlabelled_registry_match']} | {r['load']} |")
        n = a.get("naive")
        if n:
            lines += ["", f"Naive peer (Pillow full decode + imagehash.phash ≤ 10 bits against every registered hash "
                      f"in a Python loop) at R = {a['rows'][0]['size']:,}: {n['files'] / n['seconds']:,.0f} files/s "
                      f"on {n['files']} files, {n['flagged']} flagged (the subset holds "
                      f"{a['counts']['leaked']} planted copies)."]
        sizes = [r["size"] for r in a["rows"]]
        per_lin = [r["linear"]["seconds"] / r["linear"]["files"] for r in a["rows"]]
        cpu = all("cpu_seconds" in r["ours"] for r in a["rows"])
        per_idx = [r["ours"]["cpu_seconds" if cpu else "seconds"] / r["ours"]["files"] for r in a["rows"]]
        la, lb = fit_linear(sizes, per_lin)
        ia, ib = fit_linear(list(np.log10(sizes)), per_idx)
        lines += ["", "CPU ms/file is the audit process's user + system CPU time per file: less sensitive to other "
                  "jobs than wall time, 1,000 / CPU ms is what one idle core would sustain.",
                  "", target_line(a),
                  "", "Growth to a registry of 10^6 (per-file cost; models: linear scan `a + b·R` on wall time, "
                  f"indexed lookup `a + b·log10 R` on {'CPU' if cpu else 'wall'} time, fitted on the sizes above):",
                  f"* linear scan: {1e3 * (la + lb * 1e6):.0f} ms per file → {1 / (la + lb * 1e6):,.0f} files/s;",
                  f"* indexed: {1e3 * (ia + ib * 6):.2f} ms per file → {1 / (ia + ib * 6):,.0f} files/s (slope "
                  f"{1e3 * ib:+.2f} ms per tenfold registry); the index holds ~2 KiB per registered image in memory "
                  "(~2 GiB at 10^6).", ""]
    if res.get("audit", {}).get("dask"):
        lines += dask_lines(res["audit"]["dask"])
    if "knn" in res:
        lines += ["## Memorisation k-NN (train N × synthetic N, d = 64)", "",
                  "| N | ours auto s | ours numpy s | faiss IndexFlatL2 s | scikit-learn brute s | faiss/ours auto | "
                  "ours auto peak MiB | faiss peak MiB | max abs distance diff vs faiss | same NN as faiss | "
                  "backends identical | load |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
        for r in res["knn"]["rows"]:
            sk = f"{r['sklearn']['seconds']:.1f}" if "sklearn" in r else "–"
            lines.append(f"| {r['n']:,} | {r['auto']['seconds']:.1f} | {r['numpy']['seconds']:.1f} | "
                         f"{r['faiss']['seconds']:.1f} | {sk} | {r['faiss']['seconds'] / r['auto']['seconds']:.2f}× | "
                         f"{r['auto']['peak_rss_mib']:.0f} | {r['faiss']['peak_rss_mib']:.0f} | "
                         f"{r['auto']['max_abs_dist_vs_faiss']:.1e} | {r['auto']['same_nn_as_faiss']:.4f} | "
                         f"{'yes' if r['backends_identical'] else 'NO'} | {r['load']} |")
        ns = [r["n"] for r in res["knn"]["rows"]]
        c_auto = fit_quadratic(ns, [r["auto"]["seconds"] for r in res["knn"]["rows"]])
        c_faiss = fit_quadratic(ns, [r["faiss"]["seconds"] for r in res["knn"]["rows"]])
        lines += ["", "Ours returns exact distances (from the differences, float64) and breaks ties by index; faiss "
                  "works in float32, so its distances differ by float32 rounding and on near-ties its neighbour may "
                  "differ. Growth (model `c·N²`, exact brute force): at N = 10^6 ours "
                  f"≈ {human_seconds(c_auto * 1e12)}, faiss ≈ {human_seconds(c_faiss * 1e12)} on these 2 cores; "
                  "`approximate=True` (faiss IVF, recall reported) is the way past that.", ""]
    if "prdc" in res:
        lines += ["## PRDC (k = 5, d = 64; algorithm unchanged)", "",
                  "| N | ours s | prdc s | prdc/ours | max abs diff | ours peak MiB | prdc peak MiB | load |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in res["prdc"]["rows"]:
            p = r.get("prdc")
            lines.append(f"| {r['n']:,} | {r['ours']['seconds']:.1f} | "
                         + (f"{p['seconds']:.1f} | {p['seconds'] / r['ours']['seconds']:.1f}× | "
                            f"{r['max_abs_diff']:.1e} | " if p else "– (3 N×N float64 matrices) | – | – | ")
                         + f"{r['ours']['peak_rss_mib']:.0f} | {_peak(p)} | {r['load']} |")
        ns = [r["n"] for r in res["prdc"]["rows"]]
        c = fit_quadratic(ns, [r["ours"]["seconds"] for r in res["prdc"]["rows"]])
        lines += ["", f"Growth (model `c·N²`): ours at N = 10^6 ≈ {human_seconds(c * 1e12)} with bounded memory; the "
                  f"prdc package would need {3 * 1e12 * 8 / 2**40:.0f} TiB for its matrices.", ""]
    if quick:
        lines.append(f"Total benchmark time: {human_seconds(time.perf_counter() - started)}; load average at the "
                     f"end {load()}.")
    else:
        lines.append("Sections measured: " + "; ".join(
            f"{k} {v.get('measured', '?')}" for k, v in res.items() if isinstance(v, dict)) + ". A full run of all "
            "sections takes 25-40 min on 2 cores; `--only SECTIONS` re-measures some and keeps the others.")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run, writes nothing)")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    ap.add_argument("--render", action="store_true",
                    help="only re-render results/scale.md from the measurements in results/scale.json")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.render:
        from misyn_lab.atomic import atomic_write_text

        table = render(json.loads((HERE / "results" / "scale.json").read_text()), False, time.perf_counter())
        atomic_write_text(HERE / "results" / "scale.md", table)
        print(table)
        return 0
    if args.worker:
        name, *rest = args.worker
        fn = {"features": worker_features, "audit": worker_audit, "naive": worker_naive, "knn": worker_knn,
              "prdc": worker_prdc, "candidates": worker_candidates}[name]
        print(json.dumps(fn(*rest)))
        return 0
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = sorted(set(only) - set(SECTIONS))
    if bad:
        ap.error(f"unknown sections {bad}; choose from {SECTIONS}")
    started = time.perf_counter()
    res: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp_name:
        tmp = Path(tmp_name)
        if "knn" in only:
            res["knn"] = section_knn(args.quick, tmp, "knn")
        if "prdc" in only:
            res["prdc"] = section_knn(args.quick, tmp, "prdc")
        if "features" in only:
            res["features"] = section_features(args.quick, tmp)
        if "audit" in only or "dask" in only:
            res["audit"] = section_audit(args.quick, tmp, with_dask="dask" in only, only_dask="audit" not in only)
    if args.quick:
        print(render(res, True, started))
        print("[bench] quick run: benchmarks/results/scale.md left unchanged", file=sys.stderr)
        return 0
    # a full run of some sections replaces those sections in scale.json; scale.md is rendered from all of them
    from misyn_lab.atomic import atomic_write_text

    store = HERE / "results" / "scale.json"
    merged = json.loads(store.read_text()) if store.is_file() else {}
    stamp = time.strftime("%Y-%m-%d %H:%M")
    for key, value in res.items():
        if key == "audit" and "audit" not in only and "audit" in merged:  # --only dask: keep the measured rows
            merged["audit"]["dask"] = {**value["dask"], "measured": stamp}
            continue
        merged[key] = {**value, "measured": stamp, "seconds_total": time.perf_counter() - started}
    atomic_write_text(store, json.dumps(merged, indent=1, default=str))
    table = render(merged, False, started)
    print(table)
    out = atomic_write_text(HERE / "results" / "scale.md", table)
    print(f"written {out} (sections: {', '.join(sorted(merged))})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
