"""Contamination lab: unlabelled synthetic images in a benchmark's test set and in a retraining set, the drift of
the reported score, and the recovery after an audit with a registry (trust erosion made visible).

The setting is case 1's (:mod:`misyn_lab.cases.segmentation`): real MNI152 slices with their grey/white-matter
masks, the random-forest pixel segmenter, and synthetic (image, mask) pairs from the label-conditioned teaching
generator fitted on the real training pairs. Every seed is one replication: a new split of the real pairs into
``k_train`` training and ``n_test`` test pairs, a new generator fit, new synthetic pairs, a new injection order.

* **Test-set contamination**: a segmenter trained on the clean real training pairs is scored on the real test
  pairs plus ``m`` synthetic pairs, ``m = round(rate / (1 - rate) · n_test)``, so that ``rate`` is the share of
  synthetic pairs in the contaminated test set. The *reported* Dice is the mean over that set.
* **Retraining contamination**: the segmenter is retrained on the real training pairs plus
  ``round(rate / (1 - rate) · k_train)`` synthetic pairs and scored on the clean real test pairs.

Synthetic pairs are nested: a lower rate uses the first pairs of the higher one. Every synthetic image is
registered when it is generated (:func:`misyn_lab.provenance.export_imageset` writes a labelled copy into the
registry), then stripped of its mark (saved again as a plain PNG, as files that lose their metadata are) and
mixed, under neutral names, with the real images into the benchmark folder ``<workdir>/benchmark`` (one
``seed-NN/test`` and ``seed-NN/retrain`` folder per seed, holding the highest rate's files). One audit of that
folder with the registry (:func:`misyn_lab.provenance.audit_folder`, what ``misyn-lab audit DIR --registry FILE``
runs) flags files; removing the flagged files gives the score *after the audit*. Nothing here assumes the audit
finds the right files: the numbers after it are measured on what it actually flagged, and misses and real images
flagged by mistake are counted.

Pixels are quantised to 8 bits before anything is measured, so the arrays scored are exactly the files audited.
The CIs are 95 % t-intervals over seeds (``statsmodels`` ``DescrStatsW``): of the clean Dice, and of the paired
per-seed differences (contaminated minus clean, after-audit minus clean). Every sentence stating a direction or
a size (:meth:`ContaminationResult.sentences`) is generated from these numbers.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.cases.release import _plain_png, with_provenance
from misyn_lab.cases.segmentation import (dice, label_conditioned_set, load_case1_data, pixel_features,
                                          predict_masks, train_segmenter)
from misyn_lab.errors import InputError
from misyn_lab.imagesets.core import ImageSet

#: Contamination rates (share of synthetic pairs in the contaminated set) of the lab.
RATES: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: Rates of a quick run (tests, ``quick=True``).
QUICK_RATES: tuple[float, ...] = (0.0, 0.3, 0.5)
#: The two scenarios.
SCENARIOS = {"test": "benchmark test set", "retrain": "retraining set"}
#: Marker file of a contamination-lab work folder (only such a folder is ever cleared).
MARKER = ".misyn-contamination-lab"
#: Audit statuses that count as "found synthetic".
FLAGGED = ("unlabelled_registry_match", "labelled_synthetic")


def n_injected(rate: float, n_clean: int) -> int:
    """Synthetic items to add to ``n_clean`` real ones so that ``rate`` is their share: ``round(r/(1-r)·n)``."""
    return int(round(rate / (1.0 - rate) * n_clean))


def quantise(images: np.ndarray) -> np.ndarray:
    """Pixels rounded to 8 bits (what a PNG file holds), as float32 in [0, 1]."""
    return (np.clip(np.round(np.asarray(images, dtype=np.float64) * 255.0), 0, 255) / 255.0).astype(np.float32)


def check_rates(rates: Sequence[float]) -> tuple[float, ...]:
    """Sorted unique rates in [0, 0.9], always including 0 (the clean baseline)."""
    try:
        values = sorted({float(r) for r in rates} | {0.0})
    except (TypeError, ValueError):
        raise InputError(f"rates must be numbers, got {rates!r}", path="rates",
                         remedy="pass shares such as (0, 0.1, 0.3, 0.5)") from None
    if values[-1] > 0.9 or values[0] < 0 or len(values) < 2:
        raise InputError(f"rates must lie in [0, 0.9] with at least one above 0, got {list(rates)}", path="rates",
                         remedy="pass shares such as (0, 0.1, 0.3, 0.5)")
    return tuple(values)


def prepare_workdir(workdir: str | Path) -> Path:
    """An empty or earlier contamination-lab folder, cleared of the lab's earlier output; anything else is
    refused so the lab never deletes files it did not write."""
    root = Path(workdir)
    if root.exists() and not root.is_dir():
        raise InputError("not a folder", path=root, remedy="give a new or empty folder for the lab")
    if root.exists() and any(root.iterdir()) and not (root / MARKER).is_file():
        raise InputError("folder is not empty and is not a contamination-lab folder; not touching it", path=root,
                         remedy="give a new or empty folder for the lab")
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("benchmark", "generated"):
        if (root / sub).exists():
            shutil.rmtree(root / sub)
    for name in ("registry.sqlite", "registry.sqlite-journal", "registry.sqlite-wal", "registry.sqlite-shm"):
        if (root / name).exists():
            (root / name).unlink()
    (root / MARKER).write_text("misyn-lab contamination lab: this folder is rewritten on every run\n",
                               encoding="utf-8")
    return root


@dataclass
class _Seed:
    """One seed's data: indices of real train/test pairs, synthetic pairs, file names of every item."""

    seed: int
    train: np.ndarray
    test: np.ndarray
    syn_images: np.ndarray
    syn_masks: np.ndarray
    syn_feats: np.ndarray
    files: dict[tuple[str, str, int], Path]  # (scenario, "real"/"synthetic", index) -> file


def _write_seed(root: Path, registry: Any, s: _Seed, syn_set: ImageSet, images: np.ndarray, m_test: int,
                m_train: int, rng: np.random.Generator, unregistered: float) -> None:
    """Register the synthetic images (labelled copies under ``generated/``; a share ``unregistered`` of them,
    drawn at random, never reaches the registry), then write the benchmark folders with real files and stripped
    synthetic files under shuffled neutral names."""
    from misyn_lab.provenance import export_imageset

    n_off = int(round(unregistered * len(syn_set)))
    registered = np.sort(rng.permutation(len(syn_set))[n_off:])
    if len(registered):
        export_imageset(syn_set.take(registered), root / "generated" / f"seed-{s.seed:02d}", registry=registry)
    items = {"test": [("real", int(i)) for i in s.test] + [("synthetic", j) for j in range(m_test)],
             "retrain": [("real", int(i)) for i in s.train] + [("synthetic", m_test + j) for j in range(m_train)]}
    for scenario, members in items.items():
        folder = root / "benchmark" / f"seed-{s.seed:02d}" / scenario
        folder.mkdir(parents=True, exist_ok=True)
        for number, pos in enumerate(rng.permutation(len(members)), start=1):
            kind, idx = members[int(pos)]
            pixels = images[idx] if kind == "real" else s.syn_images[idx]
            s.files[(scenario, kind, idx)] = _plain_png(pixels, folder / f"case-{number:04d}.png").resolve()


def _num(x: float, *, signed: bool = False) -> str:
    """Three decimals; a non-zero value that would print as 0.000 keeps two significant digits."""
    text = f"{x:+.3f}" if signed else f"{x:.3f}"
    if x != 0 and abs(x) < 0.0005:
        text = f"{x:+.2g}" if signed else f"{x:.2g}"
    return text


def _ci(ci: tuple[float, float]) -> str:
    return f"95% CI [{_num(ci[0], signed=True)}, {_num(ci[1], signed=True)}]"


def _mean_ci(values: Sequence[float]) -> tuple[float, tuple[float, float]]:
    """Mean and 95 % t-interval (statsmodels DescrStatsW); a constant sample gives a zero-width interval."""
    from statsmodels.stats.weightstats import DescrStatsW

    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        raise InputError(f"a CI over seeds needs at least 2 seeds, got {len(x)}", path="n_seeds",
                         remedy="run the lab with n_seeds >= 2")
    if np.ptp(x) == 0:
        return float(x[0]), (float(x[0]), float(x[0]))
    low, high = DescrStatsW(x).tconfint_mean(alpha=0.05)
    return float(x.mean()), (float(low), float(high))


@dataclass
class ContaminationResult:
    """Per-seed measurements (``per_seed``), the synthetic vs real test Dice per seed (``pairs``), the audit
    counts, and where the files are. Summaries and sentences are computed from these."""

    per_seed: pd.DataFrame
    pairs: pd.DataFrame
    audit_counts: dict[str, int]
    workdir: Path
    registry_path: Path
    rates: tuple[float, ...]
    n_seeds: int
    k_train: int
    n_test: int
    unregistered: float = 0.0

    # ------------------------------------------------------------------ tables
    def summary(self) -> pd.DataFrame:
        """Per scenario and rate: the realised synthetic share, the mean reported Dice, its drift from clean with
        a t-interval over seeds, the Dice after the audit and its difference from clean, and the files the audit
        removed (synthetic found, synthetic missed, real removed), summed over seeds."""
        rows = []
        for scenario in SCENARIOS:
            part = self.per_seed[self.per_seed["scenario"] == scenario]
            clean = part[part["rate"] == 0.0].set_index("seed")["dice_reported"]
            for rate, grp in part.groupby("rate", sort=True):
                g = grp.set_index("seed").loc[clean.index]
                drift, drift_ci = _mean_ci(g["dice_reported"] - clean)
                after, after_ci = _mean_ci(g["dice_after_audit"] - clean)
                rows.append({"scenario": scenario, "rate": rate, "share": float(g["share"].mean()),
                             "n_synthetic": int(g["n_synthetic"].iloc[0]), "n_total": int(g["n_total"].iloc[0]),
                             "dice_reported": float(g["dice_reported"].mean()), "drift": drift,
                             "drift_low": drift_ci[0], "drift_high": drift_ci[1],
                             "dice_after_audit": float(g["dice_after_audit"].mean()),
                             "after_minus_clean": after, "after_low": after_ci[0], "after_high": after_ci[1],
                             "synthetic_found": int(g["synthetic_found"].sum()),
                             "synthetic_missed": int(g["synthetic_missed"].sum()),
                             "real_removed": int(g["real_removed"].sum()), "seeds": len(g)})
        return pd.DataFrame(rows)

    def clean(self, scenario: str) -> tuple[float, tuple[float, float]]:
        """Mean clean Dice of a scenario over seeds with its 95 % t-interval."""
        part = self.per_seed[(self.per_seed["scenario"] == scenario) & (self.per_seed["rate"] == 0.0)]
        return _mean_ci(part["dice_reported"])

    def row(self, scenario: str, rate: float | None = None) -> dict[str, Any]:
        """The summary row of a scenario at ``rate`` (default: the highest rate)."""
        if scenario not in SCENARIOS:
            raise InputError(f"unknown scenario {scenario!r}", path="scenario", remedy="use 'test' or 'retrain'")
        table = self.summary()
        part = table[table["scenario"] == scenario]
        rate = float(part["rate"].max()) if rate is None else float(rate)
        hit = part[np.isclose(part["rate"], rate)]
        if hit.empty:
            raise InputError(f"no rate {rate:g} in this run", path="rate",
                             remedy=f"use one of {sorted(part['rate'].tolist())}")
        return hit.iloc[0].to_dict()

    # ------------------------------------------------------------------ sentences
    def mechanism_sentence(self) -> str:
        """Synthetic vs real test pairs under the clean-trained segmenter: which are segmented better."""
        diff, ci = _mean_ci(self.pairs["synthetic"] - self.pairs["real"])
        syn, real = self.pairs["synthetic"].mean(), self.pairs["real"].mean()
        if ci[0] > 0:
            how = "easier for this segmenter than real ones: each one added pulls the reported mean up"
        elif ci[1] < 0:
            how = "harder for this segmenter than real ones: each one added pulls the reported mean down"
        else:
            how = "neither shown easier nor harder than real ones at this number of seeds"
        return (f"Synthetic test pairs were segmented with a mean Dice of {_num(syn)}, real test pairs {_num(real)} "
                f"(difference {_num(diff, signed=True)}, {_ci(ci)} over {len(self.pairs)} seeds): synthetic pairs "
                f"are {how}.")

    def drift_sentence(self, scenario: str, rate: float | None = None) -> str:
        """What contamination at ``rate`` did to the score of a scenario, from the drift and its CI."""
        r = self.row(scenario, rate)
        interval = f"{_ci((r['drift_low'], r['drift_high']))} over {r['seeds']} seeds"
        if r["drift_low"] > 0:
            change = f"rose by {_num(abs(r['drift']))} ({interval})"
        elif r["drift_high"] < 0:
            change = f"fell by {_num(abs(r['drift']))} ({interval})"
        else:
            change = f"changed by {_num(r['drift'], signed=True)} ({interval}): no drift shown at this number of seeds"
        if scenario == "test":
            lead = (f"At {r['share']:.0%} contamination of the test set ({r['n_synthetic']} unlabelled synthetic pairs "
                    f"among {r['n_total']}), the reported Dice {change}")
            meaning = ("; the benchmark overstates how well the segmenter does on real images" if r["drift_low"] > 0
                       else "; the benchmark understates how well the segmenter does on real images"
                       if r["drift_high"] < 0 else "")
        else:
            lead = (f"Retrained on a set that is {r['share']:.0%} synthetic ({r['n_synthetic']} unlabelled synthetic "
                    f"pairs among {r['n_total']}), the segmenter's Dice on the clean real test set {change}")
            meaning = ("; the unlabelled synthetic training pairs made it better on real images" if r["drift_low"] > 0
                       else "; the unlabelled synthetic training pairs made it worse on real images"
                       if r["drift_high"] < 0 else "")
        return f"{lead}{meaning}."

    def audit_sentence(self) -> str:
        """What the audit found over all seeds, against what was injected."""
        top = {s: self.row(s) for s in SCENARIOS}
        found = sum(r["synthetic_found"] for r in top.values())
        missed = sum(r["synthetic_missed"] for r in top.values())
        real_removed = sum(r["real_removed"] for r in top.values())
        n_real = int(self.per_seed.groupby("scenario")["n_real"].first().sum()) * self.n_seeds
        unreg = (f"; {self.unregistered:.0%} of the synthetic images were never registered, so the audit had nothing "
                 "to match them against" if self.unregistered else "")
        return (f"The audit with the registry flagged {found} of the {found + missed} stripped synthetic files in the "
                f"benchmark folder ({missed} missed{unreg}) and {real_removed} of its {n_real} real files; the "
                "flagged files were removed.")

    def recovery(self, scenario: str, rate: float | None = None) -> str:
        """``"identical"`` (equal to clean in every seed), ``"not shown to differ"`` (the paired CI of after-audit
        minus clean includes 0) or ``"still differs"`` (it excludes 0)."""
        r = self.row(scenario, rate)
        part = self.per_seed[(self.per_seed["scenario"] == scenario) & np.isclose(self.per_seed["rate"], r["rate"])]
        clean = self.per_seed[(self.per_seed["scenario"] == scenario) & (self.per_seed["rate"] == 0.0)]
        if np.array_equal(part.sort_values("seed")["dice_after_audit"].to_numpy(),
                          clean.sort_values("seed")["dice_reported"].to_numpy()):
            return "identical"
        return "not shown to differ" if r["after_low"] <= 0 <= r["after_high"] else "still differs"

    def recovery_sentence(self, scenario: str, rate: float | None = None) -> str:
        """Whether the audit restored the clean score: the paired difference after the audit minus clean decides;
        the clean value's CI over seeds is given beside it."""
        r = self.row(scenario, rate)
        clean, ci = self.clean(scenario)
        what = "reported Dice" if scenario == "test" else "retrained segmenter's Dice"
        verdict = {"identical": "identical to the clean value in every seed: the audit restored the clean numbers",
                   "not shown to differ": "not shown to differ from the clean value",
                   "still differs": "still different from the clean value: the audit did not restore the clean "
                                    "numbers"}[self.recovery(scenario, rate)]
        inside = "within" if ci[0] <= r["dice_after_audit"] <= ci[1] else "outside"
        return (f"After the audit, the {what} at {r['share']:.0%} contamination is {_num(r['dice_after_audit'])}, "
                f"{verdict} (paired difference {_num(r['after_minus_clean'], signed=True)}, "
                f"{_ci((r['after_low'], r['after_high']))}; clean {_num(clean)}, the value after the audit lies "
                f"{inside} its 95% CI [{_num(ci[0])}, {_num(ci[1])}] over seeds).")

    def sentences(self) -> list[str]:
        """Every statement of the lab, generated from its numbers: mechanism, drift at the highest rate in each
        scenario, the audit, and the recovery in each scenario."""
        return [self.mechanism_sentence(), self.drift_sentence("test"), self.drift_sentence("retrain"),
                self.audit_sentence(), self.recovery_sentence("test"), self.recovery_sentence("retrain")]

    def audit_command(self) -> str:
        """The command line that runs the same audit."""
        return f"misyn-lab audit {self.workdir / 'benchmark'} --registry {self.registry_path}"


def run_contamination(workdir: str | Path, *, rates: Sequence[float] = RATES, n_seeds: int = 8, seed: int = 0,
                      k_train: int = 6, n_test: int = 16, size: int = 64, per_plane: int = 12,
                      unregistered: float = 0.0) -> ContaminationResult:
    """Run the lab (see the module doc) with seeds ``seed .. seed + n_seeds - 1``; files go under ``workdir``
    (a new, empty or earlier lab folder: :func:`prepare_workdir`).

    ``unregistered`` is the share of synthetic images whose generator never registered them (say, a second source
    of synthetic images): the audit has nothing to match them against, so it shows what an audit cannot do.
    """
    from misyn_lab.provenance import Registry, audit_folder

    rates = check_rates(rates)
    if isinstance(unregistered, bool) or not isinstance(unregistered, (int, float)) or not 0 <= unregistered <= 1:
        raise InputError(f"unregistered must be a share in [0, 1], got {unregistered!r}", path="unregistered",
                         remedy="use 0 (every synthetic image registered) ... 1 (none)")
    for name, value, low in (("n_seeds", n_seeds, 2), ("k_train", k_train, 1), ("n_test", n_test, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"{name} must be an integer >= {low}, got {value!r}", path=name,
                             remedy="use the defaults, e.g. n_seeds=8, k_train=6, n_test=16")
    images, masks, meta = load_case1_data(size=size, per_plane=per_plane)
    if k_train + n_test > len(images):
        raise InputError(f"k_train + n_test = {k_train + n_test} pairs, but only {len(images)} real pairs",
                         path="n_test", remedy=f"use k_train + n_test <= {len(images)} (or raise per_plane)")
    images = quantise(images)
    real_feats = pixel_features(images)
    ids = meta["id"].astype(str).tolist()
    top = rates[-1]
    m_test, m_train = n_injected(top, n_test), n_injected(top, k_train)
    root = prepare_workdir(workdir)
    registry_path = root / "registry.sqlite"
    seeds: list[_Seed] = []
    with Registry(registry_path) as registry:
        for s in range(seed, seed + n_seeds):
            rng = np.random.default_rng([seed, s])
            order = rng.permutation(len(images))
            train, test = order[:k_train], order[k_train:k_train + n_test]
            syn_set, syn_masks = label_conditioned_set(images[train], masks[train], m_test + m_train, s,
                                                       ids=[ids[i] for i in train])
            syn_q = quantise(syn_set.images)
            syn_set = with_provenance(ImageSet.from_arrays(syn_q, syn_set.meta, synthetic=True,
                                                           name=f"contamination-seed-{s}"))
            one = _Seed(s, train, test, syn_q, np.asarray(syn_masks).astype(np.int64), pixel_features(syn_q), {})
            _write_seed(root, registry, one, syn_set, images, m_test, m_train, rng, float(unregistered))
            seeds.append(one)
    report = audit_folder(root / "benchmark", registry=registry_path, progress=False)
    flagged = {Path(r.path).resolve() for r in report.records if r.status in FLAGGED}
    rows, pairs = [], []
    for one in seeds:
        seed_rows, pair = _measure_seed(one, images, masks, real_feats, rates, flagged, k_train, n_test)
        rows += seed_rows
        pairs.append(pair)
    return ContaminationResult(pd.DataFrame(rows), pd.DataFrame(pairs), report.counts(), root, registry_path,
                               rates, n_seeds, k_train, n_test, float(unregistered))


def _measure_seed(one: _Seed, images: np.ndarray, masks: np.ndarray, real_feats: np.ndarray,
                  rates: tuple[float, ...], flagged: set[Path], k_train: int, n_test: int
                  ) -> tuple[list[dict], dict]:
    """Reported Dice and Dice after the audit, per rate, in both scenarios, for one seed; and the mean Dice of the
    clean-trained segmenter on the real and on the synthetic test pairs."""
    m_test = n_injected(rates[-1], n_test)
    # test scenario: one segmenter trained on the clean real training pairs scores every test item once
    clf = train_segmenter(images[one.train], masks[one.train], seed=one.seed, features=real_feats[one.train])
    pred_real = predict_masks(clf, images[one.test], features=real_feats[one.test])
    pred_syn = predict_masks(clf, one.syn_images[:m_test], features=one.syn_feats[:m_test])
    scores = {("real", int(i)): dice(p, masks[i]) for p, i in zip(pred_real, one.test)}
    scores.update({("synthetic", j): dice(p, one.syn_masks[j]) for j, p in enumerate(pred_syn)})

    def kept(scenario: str, members: list[tuple[str, int]]) -> list[tuple[str, int]]:
        return [m for m in members if one.files[(scenario, *m)] not in flagged]

    # retrain scenario: the Dice on the clean real test pairs of a segmenter trained on a given set (memoised)
    memo: dict[tuple, float] = {}

    def retrained(members: list[tuple[str, int]]) -> float:
        key = tuple(sorted(members))
        if key not in memo:
            ims = np.stack([images[i] if k == "real" else one.syn_images[i] for k, i in members])
            mks = np.stack([masks[i] if k == "real" else one.syn_masks[i] for k, i in members])
            fts = np.stack([real_feats[i] if k == "real" else one.syn_feats[i] for k, i in members])
            model = train_segmenter(ims, mks, seed=one.seed, features=fts)
            pred = predict_masks(model, images[one.test], features=real_feats[one.test])
            memo[key] = float(np.mean([dice(p, masks[i]) for p, i in zip(pred, one.test)]))
        return memo[key]

    rows = []
    for rate in rates:
        for scenario in SCENARIOS:
            n_clean = n_test if scenario == "test" else k_train
            m = n_injected(rate, n_clean)
            real = [("real", int(i)) for i in (one.test if scenario == "test" else one.train)]
            offset = 0 if scenario == "test" else m_test
            members = real + [("synthetic", offset + j) for j in range(m)]
            after = kept(scenario, members)
            if not after:
                raise InputError(f"seed {one.seed}: the audit flagged every file of the {SCENARIOS[scenario]}",
                                 path="benchmark", remedy="check the registry: it should hold synthetic images only")
            if scenario == "test":
                reported = float(np.mean([scores[x] for x in members]))
                after_audit = float(np.mean([scores[x] for x in after]))
            else:
                reported, after_audit = retrained(members), retrained(after)
            removed = [x for x in members if x not in after]
            rows.append({"seed": one.seed, "scenario": scenario, "rate": rate, "share": m / (n_clean + m),
                         "n_real": n_clean, "n_synthetic": m, "n_total": n_clean + m, "dice_reported": reported,
                         "dice_after_audit": after_audit,
                         "synthetic_found": sum(k == "synthetic" for k, _ in removed),
                         "synthetic_missed": sum(k == "synthetic" for k, _ in after),
                         "real_removed": sum(k == "real" for k, _ in removed)})
    pair = {"seed": one.seed, "real": float(np.mean([scores[("real", int(i))] for i in one.test])),
            "synthetic": float(np.mean([scores[("synthetic", j)] for j in range(m_test)]))}
    return rows, pair


__all__ = ["FLAGGED", "MARKER", "QUICK_RATES", "RATES", "SCENARIOS", "ContaminationResult", "check_rates",
           "n_injected", "prepare_workdir", "quantise", "run_contamination"]
