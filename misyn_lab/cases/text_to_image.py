"""Case 2: text-to-image medical image synthesis, made transparent.

No text-to-image model can be downloaded here, so the case uses a *prompt-conditioned teaching generator*:
a prompt is parsed into the real metadata attributes of the bundled samples (modality, body part, plane,
source) and :class:`misyn_lab.synth.ConditionalGenerator`, fitted on real images with those attributes,
produces the images. Nothing is learned from the words themselves: a word that matches no attribute value
is listed as unknown (never silently dropped), and the images cannot contain what it asks for (L1).

Measured: prompt fidelity (classifiers trained on REAL images predict each requested attribute of each
generated image), coverage and distance per prompt against held-out real images (each with its n and a caveat
when few held-out images back it), copies of training images in pixel space for prompts with few training
images (read against held-out real images), and the L1 point: an unseen attribute combination still yields a
plausible image, flagged ``conditions_observed=False``. Every sentence stating a direction or a size is generated
from these numbers (:func:`bottom_line`, :meth:`Case2Result.measured`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from misyn_lab.cases.release import audit_release, with_provenance
from misyn_lab.errors import InputError
from misyn_lab.imagesets.samples import load_sample, read_metadata
from misyn_lab.metrics import frechet_distance, prdc
from misyn_lab.metrics.copies import pixel_copies, pool_pixel_copies
from misyn_lab.metrics.result import build
from misyn_lab.progress import Progress, report_progress
from misyn_lab.render.numbers import fmt_number, fmt_percent

if TYPE_CHECKING:
    from misyn_lab.imagesets.core import ImageSet

#: Fewer held-out real images than this behind a per-prompt metric: the metric carries a small-n caveat.
SMALL_N = 20
#: Fidelity this far (or more) below the real-image ceiling is called "falls short" in the bottom line.
FIDELITY_SHORTFALL = 0.10

#: Attributes a prompt can set, in the order they are reported.
ATTRIBUTES = ("modality", "body_part", "plane", "source")
#: Metadata column holding each attribute (``source`` is the short sample group, e.g. ``mni152``; the
#: metadata's long ``source`` text identifies a file and is never copied to synthetic rows).
COLUMN = {"modality": "modality", "body_part": "body_part", "plane": "plane", "source": "group"}

#: Extra words for attribute values (keys are the metadata values; lower-case words or phrases).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "modality": {"MR": ("mr", "mri", "t1", "t1-weighted", "magnetic resonance"),
                 "CT": ("ct", "computed tomography"), "CR": ("radiograph", "x-ray", "xray"),
                 "US": ("ultrasound", "sonography"), "NM": ("nuclear medicine", "scintigraphy"),
                 "fundus": ("fundus", "retinal photograph", "fundus photograph", "fundoscopy"),
                 "histology": ("histology", "histopathology", "ihc", "stained")},
    "body_part": {"BRAIN": ("brain", "cerebral"), "HEAD": ("head", "skull"), "EYE": ("eye", "retina", "retinal"),
                  "COLON": ("colon", "colonic", "bowel"), "CHEST": ("chest", "thorax", "thoracic"),
                  "ABDOMEN": ("abdomen", "abdominal"), "PANCREAS": ("pancreas",)},
    "plane": {"axial": ("axial", "transverse", "transaxial"), "coronal": ("coronal", "frontal"),
              "sagittal": ("sagittal",), "patch": ("patch", "tile", "crop"), "whole": ("whole",)},
    "source": {"mni152": ("mni152", "mni", "template"), "colin27": ("colin27", "colin"),
               "retina": (), "histology": ()},
}
#: Words that carry no attribute and are ignored *visibly* (listed in ``ParsedPrompt.ignored``).
FILLER = frozenset("a an the of from in on with and image images slice slices scan scans picture view "
                   "photo photograph showing show synthetic generated please".split())


class ParsedPrompt(dict):
    """The conditions a prompt asks for (a dict ``attribute -> value``) plus what could not be used.

    Attributes: ``prompt`` (the text), ``unknown`` (words matching no attribute value: the generator cannot
    honour them), ``ignored`` (filler words), ``matched`` (``phrase -> (attribute, value)``).
    """

    def __init__(self, prompt: str, conditions: Mapping[str, str], unknown: Sequence[str],
                 ignored: Sequence[str], matched: Mapping[str, tuple[str, str]]):
        super().__init__(conditions)
        self.prompt = prompt
        self.unknown = list(unknown)
        self.ignored = list(ignored)
        self.matched = dict(matched)

    @property
    def conditions(self) -> dict[str, str]:
        return dict(self)

    def describe(self) -> str:
        conds = ", ".join(f"{k}={v}" for k, v in self.items()) or "no attribute"
        unk = f"; NOT understood: {', '.join(self.unknown)}" if self.unknown else ""
        return f"{self.prompt!r} -> {conds}{unk}"


def build_vocabulary(meta: pd.DataFrame | None = None, attributes: Sequence[str] = ATTRIBUTES
                     ) -> dict[str, tuple[str, str]]:
    """``phrase -> (attribute, value)`` for the attribute values present in ``meta`` (default: the bundled
    samples' metadata, with ``source`` = sample group). A value's own name always counts as a phrase."""
    if meta is None:
        meta = prompt_metadata(read_metadata())
    vocab: dict[str, tuple[str, str]] = {}
    for attr in attributes:
        col = COLUMN.get(attr, attr)
        if col not in meta:
            continue
        for value in sorted({str(v) for v in meta[col] if str(v)}):
            for phrase in (value.lower(),) + SYNONYMS.get(attr, {}).get(value, ()):
                other = vocab.get(phrase)
                if other is not None and other != (attr, value):
                    continue  # first attribute wins (e.g. "histology" is a modality before a source)
                vocab[phrase] = (attr, value)
    return vocab


def prompt_metadata(meta: pd.DataFrame) -> pd.DataFrame:
    """The bundled metadata with the attribute columns as clean strings (missing -> empty string)."""
    out = meta.copy()
    for col in COLUMN.values():
        if col in out:
            out[col] = out[col].fillna("").astype(str)
    return out


def parse_prompt(prompt: str, vocabulary: Mapping[str, tuple[str, str]] | None = None) -> ParsedPrompt:
    """Parse a free-text prompt into attribute conditions over the real metadata.

    Longest phrases match first ("computed tomography" before "tomography"). Two different values for one
    attribute ("axial coronal") raise :class:`InputError`; words matching nothing are listed in ``unknown``.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise InputError("the prompt is empty", path="prompt", remedy='write e.g. "axial T1 MR brain slice"')
    vocab = build_vocabulary() if vocabulary is None else dict(vocabulary)
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", prompt.lower())
    max_len = max((len(p.split()) for p in vocab), default=1)
    conditions: dict[str, str] = {}
    matched: dict[str, tuple[str, str]] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(max_len, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            if phrase in vocab:
                attr, value = vocab[phrase]
                if attr in conditions and conditions[attr] != value:
                    raise InputError(f"the prompt asks for two values of {attr}: {conditions[attr]!r} and "
                                     f"{value!r} ({phrase!r})", path="prompt", remedy=f"keep one {attr}")
                conditions[attr] = value
                matched[phrase] = (attr, value)
                i += n
                break
        else:
            (ignored if words[i] in FILLER else unknown).append(words[i])
            i += 1
    ordered = {a: conditions[a] for a in ATTRIBUTES if a in conditions}
    ordered.update({a: v for a, v in conditions.items() if a not in ordered})
    return ParsedPrompt(prompt, ordered, unknown, ignored, matched)


# --------------------------------------------------------------------------- data and generator
def load_case2_data(size: int = 48, min_cell: int = 8, seed: int = 0, holdout: float = 0.25):
    """Bundled real images whose (modality, body_part, plane, source) cell has at least ``min_cell`` images,
    grey, ``size``×``size``; split per cell into training and held-out real images.

    Returns ``(train ImageSet, holdout ImageSet)``.
    """
    cols = [COLUMN[a] for a in ATTRIBUTES]
    real = load_sample("all", size=(size, size)).to_grey()
    real = real.with_meta(**{c: prompt_metadata(real.meta)[c] for c in cols})
    meta = real.meta
    sizes = meta.groupby(cols)["id"].transform("size")
    keep = np.flatnonzero((sizes >= min_cell).to_numpy() & (meta["modality"] != "").to_numpy())
    real = real.take(keep)
    rng = np.random.default_rng(seed)
    test: list[int] = []
    for _, grp in real.meta.groupby(cols, sort=True):
        idx = grp.index.to_numpy()
        n_hold = max(2, int(round(holdout * len(idx))))
        test += rng.choice(idx, n_hold, replace=False).tolist()
    test_set = set(test)
    train = [i for i in range(len(real)) if i not in test_set]
    return real.take(train), real.take(sorted(test))


def fit_generator(train: Any, *, n_components: int = 8):
    """:class:`misyn_lab.synth.ConditionalGenerator` on the prompt attributes, fitted on real training images."""
    from misyn_lab.synth import ConditionalGenerator

    return ConditionalGenerator(columns=[COLUMN[a] for a in ATTRIBUTES], n_components=n_components).fit(train)


def column_conditions(parsed: Mapping[str, str]) -> dict[str, str]:
    """Prompt conditions keyed by metadata column (``source`` -> ``group``)."""
    return {COLUMN.get(a, a): v for a, v in parsed.items()}


def generate(generator: Any, prompt: str, n: int, seed: int, vocabulary=None):
    """Images for a prompt: ``(ParsedPrompt, ImageSet)``; the prompt, its unknown words and the
    ``conditions_observed`` flag travel in the metadata and in each image's provenance record."""
    parsed = parse_prompt(prompt, vocabulary)
    if not parsed:
        raise InputError(f"the prompt {prompt!r} names no known attribute", path="prompt",
                         remedy="name a modality, body part, plane or source, e.g. 'axial MR brain'")
    images = generator.sample(n, seed=seed, conditions=column_conditions(parsed), created="case-study")
    images = images.with_meta(prompt=prompt, unknown_words=" ".join(parsed.unknown))
    return parsed, with_provenance(images, prompt=prompt, unknown_words=parsed.unknown or None)


# --------------------------------------------------------------------------- measurements
def thumbnails(images: np.ndarray, size: int = 24) -> np.ndarray:
    """Flattened grey thumbnails (the input of the attribute classifiers and the embedding)."""
    from skimage.transform import resize

    return np.stack([resize(np.asarray(im, dtype=np.float32), (size, size), anti_aliasing=True).ravel()
                     for im in images])


@dataclass
class AttributeClassifiers:
    """One classifier per attribute, trained on REAL images only, with its held-out real accuracy."""

    models: dict[str, Any]
    real_accuracy: dict[str, float]

    def predict(self, images: np.ndarray) -> pd.DataFrame:
        x = thumbnails(images)
        return pd.DataFrame({a: m.predict(x) for a, m in self.models.items()})


def train_attribute_classifiers(train: Any, holdout: Any, *, seed: int = 0,
                                attributes: Sequence[str] = ATTRIBUTES) -> AttributeClassifiers:
    """PCA + logistic regression per attribute on real training thumbnails; accuracy on held-out real."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_tr, x_te = thumbnails(train.images), thumbnails(holdout.images)
    models, acc = {}, {}
    for attr in attributes:
        y = train.meta[COLUMN.get(attr, attr)].astype(str).to_numpy()
        if len(set(y)) < 2:
            continue
        model = make_pipeline(StandardScaler(), PCA(n_components=min(30, len(y) - 1), random_state=seed),
                              LogisticRegression(max_iter=2000, C=0.5))
        model.fit(x_tr, y)
        models[attr] = model
        acc[attr] = float(np.mean(model.predict(x_te) == holdout.meta[COLUMN.get(attr, attr)].astype(str).to_numpy()))
    return AttributeClassifiers(models, acc)


def prompt_fidelity(classifiers: AttributeClassifiers, parsed: ParsedPrompt, images: ImageSet) -> dict[str, float]:
    """Share of generated images whose requested attributes the real-trained classifiers recognise."""
    pred = classifiers.predict(images.images)
    return {a: float(np.mean(pred[a].astype(str) == str(v))) for a, v in parsed.items() if a in pred}


def _embedding(train: Any, n_components: int = 10):
    from sklearn.decomposition import PCA

    return PCA(n_components=n_components, random_state=0).fit(thumbnails(train.images))


def real_matches(imageset: ImageSet, conditions: Mapping[str, str]) -> np.ndarray:
    """Indices of the images of ``imageset`` whose metadata match every condition (attribute -> value)."""
    mask = np.ones(len(imageset), bool)
    for a, v in conditions.items():
        mask &= imageset.meta[COLUMN.get(a, a)].astype(str).to_numpy() == str(v)
    return np.flatnonzero(mask)


@dataclass
class Case2Result:
    """Everything the case-2 notebook shows."""

    table: pd.DataFrame                      # one row per prompt
    fidelity: pd.DataFrame                   # prompt x attribute accuracy
    classifiers: AttributeClassifiers
    samples: dict[str, Any] = field(default_factory=dict)       # prompt -> ImageSet
    parsed: dict[str, ParsedPrompt] = field(default_factory=dict)
    memorisation: dict[str, Any] = field(default_factory=dict)  # prompt -> metrics.copies.PixelCopyResult
    train: Any = None
    holdout: Any = None
    audit: Any = None
    generator: Any = None                                       # the fitted generator (for its provenance)

    def bottom_line(self) -> str:
        """The case's one-sentence bottom line, generated from its results (see :func:`bottom_line`)."""
        fid = self.fidelity.drop(columns=["prompt"]).to_numpy(dtype=float)
        worst = self.table.sort_values("fidelity (mean)").iloc[0]
        ceiling = float(np.mean(list(self.classifiers.real_accuracy.values()))) if self.classifiers.real_accuracy \
            else float("nan")
        copies = self.measured().get("memorisation.pixel_copy_rate") if self.memorisation else None
        return fidelity_bottom_line(
            float(np.nanmean(fid)), ceiling, str(worst["prompt"]), float(worst["fidelity (mean)"]),
            n_prompts=len(self.table), n_unseen=int((~self.table["conditions_observed"]).sum()),
            copy_verdict=None if copies is None else copies.details["verdict"],
            copy_rate=None if copies is None else float(copies.value))

    def copy_pairs(self, per_prompt: int = 2, limit: int = 6) -> list[tuple[np.ndarray, np.ndarray, str]]:
        """The most similar (generated, training) image pairs of the prompts checked for copies, for
        :func:`misyn_lab.cases.figures.copies_figure`: ``(synthetic, training, caption)``, at most ``per_prompt``
        per prompt and ``limit`` in all."""
        pairs = []
        for prompt, m in self.memorisation.items():
            train_idx = real_matches(self.train, self.parsed[prompt])
            for _, r in m.offenders.head(per_prompt).iterrows():
                pairs.append((self.samples[prompt].images[int(r["synthetic_index"])],
                              self.train.images[train_idx[int(r["train_index"])]],
                              f"{prompt[:22]}: similarity {fmt_number(float(r['score']))}"))
        return pairs[:limit]

    def parsed_table(self) -> pd.DataFrame:
        """One row per prompt: the conditions the run parsed it into, the words it could not use."""
        return pd.DataFrame([{"prompt": prompt, "conditions": ", ".join(f"{k}={v}" for k, v in p.items()),
                              "NOT understood": ", ".join(p.unknown), "ignored filler": ", ".join(p.ignored)}
                             for prompt, p in self.parsed.items()])

    def measured(self) -> dict[str, Any]:
        """Evidence for :meth:`misyn_lab.cases.case.Case.to_review`."""
        fid = self.fidelity.drop(columns=["prompt"]).to_numpy(dtype=float)
        mean_fid = float(np.nanmean(fid)) if np.isfinite(fid).any() else float("nan")
        worst = self.table.sort_values("fidelity (mean)").iloc[0]
        out: dict[str, Any] = {
            "t2i.prompt_fidelity": build(
                "t2i.prompt_fidelity", mean_fid, n={"prompts": len(self.table)},
                interpretation=(f"Classifiers trained on real images recognise the requested attributes in "
                                f"{fmt_percent(mean_fid)} of generated images on average; worst prompt "
                                f"{worst['prompt']!r} at {fmt_percent(worst['fidelity (mean)'])}."),
                details={"per_prompt": self.fidelity.to_dict("records"),
                         "real_accuracy": self.classifiers.real_accuracy}),
        }
        cov = self.table.dropna(subset=["coverage"])
        if len(cov):
            low = cov.sort_values("coverage").iloc[0]
            small = int((cov["n_holdout"] < SMALL_N).sum())
            out["t2i.coverage_min_prompt"] = build(
                "t2i.coverage_min_prompt", float(low["coverage"]),
                n={"prompts": len(cov), "real": int(low["n_holdout"]), "synthetic": int(low["n_synthetic"])},
                split="held-out",
                interpretation=(f"Worst single prompt (not overall coverage): its generated images cover "
                                f"{fmt_number(float(low['coverage']))} of the {int(low['n_holdout'])} held-out real "
                                "images matching "
                                f"{low['prompt']!r}; {small} of {len(cov)} prompts have fewer than {SMALL_N} held-out "
                                "images, so their coverage and Fréchet distance are rough (every prompt's n is in the "
                                "details)."),
                details={"per_prompt": cov[["prompt", "coverage", "frechet", "n_train", "n_holdout",
                                            "caveat"]].to_dict("records"), "small_n_prompts": small})
        if self.memorisation:
            out["memorisation.pixel_copy_rate"] = pool_pixel_copies(list(self.memorisation.items()))
        unseen = self.table[~self.table["conditions_observed"]]
        out["t2i.unseen_combination"] = build(
            "t2i.unseen_combination", float(len(unseen)), n={"prompts": len(self.table)},
            interpretation=(f"{len(unseen)} prompt(s) asked for an attribute combination never observed in "
                            "training and still produced images (flagged "
                            "conditions_observed=False): " + "; ".join(map(repr, unseen["prompt"]))),
            details={"prompts": unseen["prompt"].tolist()})
        if self.audit is not None:
            out["audit.unlabelled_synthetic"] = self.audit.result
        return out


def run_case2(prompts: Sequence[str], *, seed: int = 0, n_per_prompt: int = 24, size: int = 48,
              few_threshold: int = 20, audit_dir: str | None = None, progress: Progress | None = None) -> Case2Result:
    """The complete case-2 measurement for ``prompts``; ``progress`` hears of each prompt
    (:mod:`misyn_lab.progress`)."""
    train, holdout = load_case2_data(size=size, seed=seed)
    vocab = build_vocabulary(pd.concat([train.meta, holdout.meta]))
    gen = fit_generator(train)
    clf = train_attribute_classifiers(train, holdout, seed=seed)
    emb = _embedding(train)
    rows, fid_rows, samples, parsed_all, mem = [], [], {}, {}, {}
    report_progress(progress, "generating and measuring", 0, len(prompts), "prompts")
    for j, prompt in enumerate(prompts):
        parsed, images = generate(gen, prompt, n_per_prompt, seed + j, vocab)
        samples[prompt], parsed_all[prompt] = images, parsed
        fid = prompt_fidelity(clf, parsed, images)
        fid_rows.append({"prompt": prompt, **{a: fid.get(a, np.nan) for a in ATTRIBUTES}})
        tr_idx, ho_idx = real_matches(train, parsed), real_matches(holdout, parsed)
        z_syn = emb.transform(thumbnails(images.images))
        row = {"prompt": prompt, "conditions": ", ".join(f"{k}={v}" for k, v in parsed.items()),
               "unknown words": ", ".join(parsed.unknown), "n_train": len(tr_idx), "n_holdout": len(ho_idx),
               "conditions_observed": bool(images.meta["conditions_observed"].iloc[0]),
               "fidelity (mean)": float(np.mean(list(fid.values()))) if fid else float("nan"),
               "n_synthetic": len(images), "coverage": np.nan, "frechet": np.nan, "copy rate": np.nan,
               "caveat": per_prompt_caveat(len(ho_idx))}
        if len(ho_idx) >= 4:
            z_real = emb.transform(thumbnails(holdout.images[ho_idx]))
            row["coverage"] = float(prdc(z_real, z_syn, k=3).coverage.value)
            row["frechet"] = float(frechet_distance(z_real, z_syn).value)
        if 2 <= len(tr_idx) <= few_threshold and len(ho_idx) >= 2:
            m = pixel_copies(train.images[tr_idx], images.images, holdout.images[ho_idx])
            mem[prompt] = m
            row["copy rate"] = float(m["memorisation.pixel_copy_rate"].value)
        rows.append(row)
        report_progress(progress, "generating and measuring", j + 1, len(prompts), "prompts")
    audit = None
    if audit_dir is not None:
        first = samples[prompts[0]]
        audit = audit_release(first, audit_dir)
    return Case2Result(table=pd.DataFrame(rows), fidelity=pd.DataFrame(fid_rows), classifiers=clf,
                       samples=samples, parsed=parsed_all, memorisation=mem, train=train, holdout=holdout,
                       audit=audit, generator=gen)


def per_prompt_caveat(n_holdout: int) -> str:
    """The caveat a per-prompt metric carries, from the number of held-out real images behind it."""
    if n_holdout < 4:
        return f"only {n_holdout} held-out real images: coverage and Fréchet distance not computed"
    if n_holdout < SMALL_N:
        return f"only {n_holdout} held-out real images (< {SMALL_N}): coverage and Fréchet distance are rough"
    return ""


def fidelity_bottom_line(mean_fidelity: float, ceiling: float, worst_prompt: str, worst_fidelity: float, *,
                         n_prompts: int, n_unseen: int, copy_verdict: str | None = None,
                         copy_rate: float | None = None) -> str:
    """One sentence saying what case 2 measured, from its numbers: whether the generated images carry the
    requested attributes as often as real images are recognised (the ceiling), the worst prompt, the prompts for
    never-observed combinations, and the copy verdict."""
    gap = ceiling - mean_fidelity
    if not np.isfinite(gap):
        reading = "no real-image ceiling was measured to compare with"
    elif gap >= FIDELITY_SHORTFALL:
        reading = f"which falls short of the {fmt_percent(ceiling)} at which they recognise held-out real images"
    elif gap > 0:
        reading = f"slightly below the {fmt_percent(ceiling)} at which they recognise held-out real images"
    else:
        reading = f"as often as they recognise held-out real images ({fmt_percent(ceiling)})"
    copies = ("" if copy_verdict is None else
              f"; {fmt_percent(copy_rate)} of the checked images are copies of training images in pixel space" if
              copy_verdict == "copies" else "; copies of training images: not shown beyond the false-alarm rate "
                                            "(inconclusive)")
    return (f"Bottom line: classifiers trained on real images recognise the requested attributes in "
            f"{fmt_percent(mean_fidelity)} of generated images, {reading}; worst prompt {worst_prompt!r} at "
            f"{fmt_percent(worst_fidelity)}; {n_unseen} of {n_prompts} prompts asked for a combination never observed "
            f"and still produced images{copies}.")


def bottom_line(result: Case2Result) -> str:
    """Case 2's one-sentence bottom line, generated from its results (:meth:`Case2Result.bottom_line`)."""
    return result.bottom_line()


#: The prompts the case study runs (the last two: an unknown word and an unseen combination).
DEFAULT_PROMPTS = (
    "axial T1 MR brain slice",
    "coronal MR brain",
    "sagittal MR brain from the colin27 subject",
    "fundus photograph of the eye",
    "histology patch of colon tissue",
    "MR head scan",
    "axial MR brain slice with a glioblastoma",
    "coronal MR of the head",
)
