"""A SIMULATED class for the instructor notebook and the tests: review files of made-up students.

No real student is behind these files. Each simulated student answers every item of an answer key (default:
the vignette key of notebooks 02-06): with a probability set by the student's skill and the item's difficulty
they give the key's answer, otherwise a plausible wrong one (a neighbouring status, more often than a far one);
a few items are left unanswered. Everything is drawn from one seeded generator, so a seed gives the same class.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from misyn_lab.checklist.agreement import key_statuses
from misyn_lab.checklist.answers import MissingJustificationWarning
from misyn_lab.checklist.review import Review
from misyn_lab.errors import InputError
from misyn_lab.workbook.vignettes import vignette_key

#: Wrong answers a simulated student gives instead of the key's, most likely first.
CONFUSIONS: dict[str, tuple[str, ...]] = {
    "yes": ("partly", "no", "unknown"),
    "partly": ("yes", "no", "unknown"),
    "no": ("partly", "yes", "unknown", "not_applicable"),
    "not_applicable": ("no", "yes", "unknown"),
    "unknown": ("no", "partly", "yes"),
}
#: Title of every simulated review file (says what it is wherever the file travels).
TITLE = "SIMULATED student review (demo class; no real student)"


def simulate_class(folder: str | Path, *, n_students: int = 12, seed: int = 0, key: Review | None = None,
                   skill: tuple[float, float] = (0.5, 0.95), max_difficulty: float = 0.4,
                   p_unanswered: float = 0.01) -> Path:
    """Write ``n_students`` simulated review files ``simulated-01.yaml`` ... into ``folder`` (made-up students, for
    class mode without a class).

    Student *s* gets skill ``u_s ~ U(skill)``, item *i* difficulty ``d_i ~ U(0, max_difficulty)``; the student gives
    the key's answer with probability ``clip(u_s - d_i, 0.05, 0.95)``, else one of :data:`CONFUSIONS` (weights 1/1,
    1/2, 1/3 ...), and leaves an item unanswered with probability ``p_unanswered``.

    Parameters
    ----------
    folder : str or Path
        Where the files go (created).
    n_students : int, optional
        Number of students.
    seed : int, optional
        Seed.
    key : Review, optional
        The answer key (default: the vignette keys).
    skill : (float, float), optional
        Range of the students' skill.
    max_difficulty : float, optional
        Highest item difficulty.
    p_unanswered : float, optional
        Chance of leaving an item unanswered.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    InputError
        ``n_students`` below 1 or probabilities outside [0, 1].

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> sorted(p.name for p in simulate_class(folder, n_students=3).glob("*.yaml"))
    ['simulated-01.yaml', 'simulated-02.yaml', 'simulated-03.yaml']
    """
    if n_students < 1:
        raise InputError(f"n_students must be at least 1, got {n_students}", path="simulate_class",
                         remedy="pass n_students=12 or similar")
    lo, hi = skill
    if not 0.0 <= lo <= hi <= 1.0 or not 0.0 <= max_difficulty <= 1.0 or not 0.0 <= p_unanswered < 1.0:
        raise InputError(f"skill {skill}, max_difficulty {max_difficulty} and p_unanswered {p_unanswered} must be "
                         "probabilities (skill low <= high)", path="simulate_class", remedy="use values in [0, 1]")
    key = vignette_key() if key is None else key
    keyed = key_statuses(key)
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0.0, max_difficulty, size=len(keyed))
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for s in range(1, n_students + 1):
        name = f"simulated-{s:02d}"
        u = rng.uniform(lo, hi)
        review = Review.new(TITLE, reviewer=name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingJustificationWarning)
            for (item, right), d in zip(keyed.items(), difficulty):
                draw, skip = rng.random(), rng.random()
                if skip < p_unanswered:
                    continue
                if draw < float(np.clip(u - d, 0.05, 0.95)):
                    status = right
                else:
                    options = CONFUSIONS[right]
                    weights = 1.0 / np.arange(1, len(options) + 1)
                    status = str(rng.choice(options, p=weights / weights.sum()))
                review.set_answer(item, name, status, f"Simulated answer of {name} (demo class).")
        review.save(root / f"{name}.yaml", overwrite=True)
    return root


__all__ = ["CONFUSIONS", "TITLE", "simulate_class"]
