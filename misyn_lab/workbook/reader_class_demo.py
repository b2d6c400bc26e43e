"""The class reader study of notebooks 09 (students) and 10 (instructors): the study every student takes, one
answer file per student, and a SIMULATED class for the instructor notebook and the tests.

:func:`class_study` builds the same study for everyone from the same parameters (the study id, a hash of the tiles
and their truth, tells whether two notebooks built the same one): by default real axial slices of the bundled
MNI152 template and synthetic slices from the PCA-Gaussian teaching generator fitted on them; or the class's own
folders of real and synthetic images. Each reader sees the tiles in their own seeded order.

:func:`simulate_readers` writes answer files of made-up readers. No real person is behind them: each simulated
reader has a skill (logit of the chance to be right on an average tile) and each tile a difficulty; reader 01 is
planted as GUESSING (right with probability 0.5 whatever the tile) and reader 02 as GOOD; the others are drawn
around a modest skill. Everything comes from one seeded generator, so a seed gives the same class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.imagesets.loaders import load_images
from misyn_lab.imagesets.samples import load_sample
from misyn_lab.instruments.reader_study import ReaderStudy

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review

#: Title of every simulated answer file (says what it is wherever the file travels).
TITLE = "SIMULATED reader answers (demo class; no real person)"
#: Skill (logit) of the planted good reader; the guessing reader has none.
GOOD_SKILL = 2.5
#: The other simulated readers' skills are drawn from N(mean, sd) on the logit scale.
SKILL_MEAN, SKILL_SD = 0.4, 0.5
#: Tile difficulties are drawn from N(0, sd) on the logit scale.
TILE_SD = 0.8
#: Number of synthetic images drawn from the teaching generator (tiles are chosen among them).
N_TEACHING_SYNTHETIC = 40


def answer_as_demo_readers(study: ReaderStudy, *, seed: int, right: float = 0.8) -> dict[str, str]:
    """Two SIMULATED readers answer every tile of ``study`` (stored like real answers, under names that say so):
    ``simulated-reader-1`` guesses (confidence 2), ``simulated-reader-2`` is right with probability ``right``
    (confidence 4). Notebook 07 uses them to show what reader-study results look like.

    Parameters
    ----------
    study : ReaderStudy
        The study; its hidden truth is read to simulate the second reader (a real reader never sees it).
    seed : int
        Seed of the simulated answers.
    right : float, optional
        Chance that the second reader is right, in [0, 1].

    Returns
    -------
    dict
        ``{reader: what was planted}``.

    Raises
    ------
    InputError
        ``right`` outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from misyn_lab.imagesets import ImageSet
    >>> rng = np.random.default_rng(0)
    >>> real = ImageSet.from_arrays(rng.random((6, 8, 8)), name="real")
    >>> synthetic = ImageSet.from_arrays(rng.random((6, 8, 8)), synthetic=True, name="syn")
    >>> study = ReaderStudy.from_sets(real, synthetic, n_tiles=4, seed=0, study_id="demo")
    >>> answer_as_demo_readers(study, seed=1, right=1.0)["simulated-reader-2"]
    'right 100 % of the time'
    >>> study.results().per_reader["simulated-reader-2"].accuracy
    1.0
    """
    if not 0.0 <= right <= 1.0:
        raise InputError(f"right must be a probability, got {right}", path="answer_as_demo_readers",
                         remedy="use a value in [0, 1], e.g. 0.8")
    truth = study.reveal()  # scoring only; a real reader never sees this before answering
    sim = np.random.default_rng(seed)
    for tile_id in study.tile_ids:
        study.record_answer("simulated-reader-1", tile_id, sim.choice(["real", "synthetic"]), 2)
        is_right = sim.random() < right
        other = "real" if truth[tile_id] == "synthetic" else "synthetic"
        study.record_answer("simulated-reader-2", tile_id, truth[tile_id] if is_right else other, 4)
    return {"simulated-reader-1": "guessing", "simulated-reader-2": f"right {round(right * 100)} % of the time"}


def images_note(real_path: str | Path | None, synthetic_path: str | Path | None, n_tiles: int) -> str:
    """What the study shows, in plain words (for the consent and debrief texts): the bundled template slices and
    the teaching generator, or the class's folders."""
    n_real, n_syn = n_tiles // 2, n_tiles - n_tiles // 2
    if real_path is None:
        return (f"{n_real} real images are slices of a brain MRI template (MNI152, an average of many healthy "
                f"adults' scans, shipped with the workbook; it shows no single patient) and {n_syn} synthetic images "
                "were made from those slices by a simple teaching generator (PCA-Gaussian)")
    return (f"{n_real} real images come from the folder {Path(real_path).name} and {n_syn} synthetic images from "
            f"the folder {Path(synthetic_path or '').name}, chosen by your instructor")


def class_study(real_path: str | Path | None = None, synthetic_path: str | Path | None = None, *,
                n_tiles: int = 20, seed: int = 0, size: int = 64, review: Review | None = None,
                registry: Any = "default") -> ReaderStudy:
    """The class's reader study: balanced tiles, seeded, each reader in their own order.

    Without paths: real axial MNI152 slices (``size``×``size``) and :data:`N_TEACHING_SYNTHETIC` synthetic ones
    from :class:`~misyn_lab.synth.PCAGaussianGenerator` (8 components) fitted on them with ``seed``. With both
    paths: the class's own folders, loaded at ``size``×``size`` in grey; the real folder is first screened for
    synthetic marks and ``registry`` matches (:func:`misyn_lab.provenance.screen_real`) and refused if any image
    in it is synthetic. Every student and the instructor must use the same parameters (the study id shows it).
    """
    if (real_path is None) != (synthetic_path is None):
        given = real_path if real_path is not None else synthetic_path
        raise InputError("a class reader study needs both a real and a synthetic folder (or neither)",
                         path=str(given), remedy="pass real_path and synthetic_path, or None for both")
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise InputError(f"size must be an integer >= 8, got {size!r}", path="size", remedy="use e.g. 64")
    if real_path is None:
        from misyn_lab.synth import PCAGaussianGenerator

        real = load_sample("mni152", size=(size, size)).subset(plane="axial")
        synthetic = PCAGaussianGenerator(n_components=8).fit(real).sample(N_TEACHING_SYNTHETIC, seed=seed)
    else:
        from misyn_lab.provenance.screen import refuse_marked_real, screen_real

        refuse_marked_real(screen_real(real_path, registry=registry))
        real = load_images(real_path, size=(size, size), grey=True)
        synthetic = load_images(synthetic_path, size=(size, size), grey=True)
    return ReaderStudy.from_sets(real, synthetic, n_tiles=n_tiles, seed=seed, review=review, per_reader_order=True)


def reader_answers_review(path: str | Path, reader: str) -> Review:
    """The answer file of one reader: the review at ``path`` (it must be theirs), or a new one for ``reader``.

    A file that already holds answers of another reader is refused (:class:`InputError`): one file per student.
    """
    reader = str(reader).strip()
    if not reader:
        raise InputError("reader is empty", path="reader", remedy="set reader to your name or a pseudonym")
    path = Path(path)
    if not path.exists():
        return Review.new(f"Reader study answers of {reader}", reviewer=reader)
    review = Review.load(path)
    others = sorted({str(r.get("reader")) for r in review.records("reader_answers")} - {reader})
    if others:
        raise InputError(f"this answer file already holds answers of {', '.join(others)}", path=path,
                         remedy="each reader answers in their own file: choose another answers_path")
    return review


@dataclass(frozen=True)
class SimulatedReaders:
    """Where the simulated answer files are and each simulated reader's planted profile."""

    folder: Path
    profiles: dict[str, str]

    def describe(self) -> str:
        """The planted profiles, in one line (said before the analysis, so nobody mistakes them for findings)."""
        planted = [f"{r} {p}" for r, p in self.profiles.items() if p != "typical"]
        n_typical = sum(p == "typical" for p in self.profiles.values())
        return (f"SIMULATED class of {len(self.profiles)} made-up readers; planted: {', '.join(planted)}; "
                f"{n_typical} typical readers drawn around a modest skill.")


def simulate_readers(folder: str | Path, study: ReaderStudy, *, n_readers: int = 10, seed: int = 0,
                     good_skill: float = GOOD_SKILL) -> SimulatedReaders:
    """Write one SIMULATED answer file per reader (``simulated-reader-01.yaml`` ...) into ``folder``.

    Reader 01 guesses (right with probability 0.5, confidence 1-2); reader 02 is good (skill ``good_skill``);
    the others have skills drawn from N(:data:`SKILL_MEAN`, :data:`SKILL_SD`). Tile *t* has difficulty
    ``d_t ~ N(0, TILE_SD)``; a non-guessing reader *r* is right with probability ``expit(skill_r - d_t)``, with
    a confidence of 3 plus one when right, plus or minus one at random (clipped to 1-5). Readers answer in their
    own order (:meth:`ReaderStudy.order_for`).
    """
    if isinstance(n_readers, bool) or not isinstance(n_readers, int) or n_readers < 2:
        raise InputError(f"n_readers must be an integer >= 2, got {n_readers!r}", path="simulate_readers",
                         remedy="pass n_readers=10 or similar (reader 01 guesses, reader 02 is good)")

    rng = np.random.default_rng(seed)
    difficulty = dict(zip(study.tile_ids, rng.normal(0.0, TILE_SD, len(study))))
    truth = study.reveal()
    flip = {"real": "synthetic", "synthetic": "real"}
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    profiles: dict[str, str] = {}
    width = max(2, len(str(n_readers)))
    for i in range(1, n_readers + 1):
        name = f"simulated-reader-{i:0{width}d}"
        profile = "guessing" if i == 1 else "good" if i == 2 else "typical"
        skill = good_skill if profile == "good" else float(rng.normal(SKILL_MEAN, SKILL_SD))
        review = Review.new(f"{TITLE}; planted profile: {profile}", reviewer=name)
        session = study.with_review(review)
        for tile_id in study.order_for(name):
            p = 0.5 if profile == "guessing" else float(special.expit(skill - difficulty[tile_id]))
            right = bool(rng.random() < p)
            if profile == "guessing":
                confidence = int(rng.integers(1, 3))
            else:
                confidence = int(np.clip(3 + int(right) + int(rng.integers(-1, 2)), 1, 5))
            session.record_answer(name, tile_id, truth[tile_id] if right else flip[truth[tile_id]], confidence)
        review.save(root / f"{name}.yaml", overwrite=True)
        profiles[name] = profile
    return SimulatedReaders(root, profiles)


__all__ = ["GOOD_SKILL", "answer_as_demo_readers", "N_TEACHING_SYNTHETIC", "SimulatedReaders", "TITLE", "class_study",
           "images_note", "reader_answers_review", "simulate_readers"]
