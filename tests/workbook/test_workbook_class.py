"""`misyn-lab class collect` on a generated class of 12 students: the kappas it reports equal statsmodels' and
scikit-learn's computed directly from the students' files; refused files are named; the demo class is labelled
simulated and reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from misyn_lab.checklist import Review, load_checklist
from misyn_lab.checklist.agreement import CATEGORIES, class_agreement
from misyn_lab.cli import main
from misyn_lab.workbook import simulate_class, vignette_key
from misyn_lab.workbook.class_demo import TITLE

SEED = 5


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = simulate_class(tmp_path_factory.mktemp("course") / "students", n_students=12, seed=SEED)
    return folder


def _raw_answers(folder) -> dict[str, dict[str, str]]:
    """``{student: {item: status}}`` read straight from the YAML files (not through misyn_lab)."""
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        (name,) = data["reviewers"]
        out[name] = {item: per[name]["status"] for item, per in data["answers"].items()}
    return out


def _direct_fleiss(raw: dict[str, dict[str, str]], items: list[str]) -> tuple[float, int]:
    complete = [s for s, ans in raw.items() if all(i in ans for i in items)]
    codes = np.array([[CATEGORIES.index(raw[s][i]) for s in complete] for i in items])
    table, _ = aggregate_raters(codes, n_cat=len(CATEGORIES))
    return float(fleiss_kappa(table)), len(complete)


def test_collect_reports_the_kappas_statsmodels_and_sklearn_compute(generated, tmp_path, capsys):
    out = tmp_path / "class.yaml"
    assert main(["class", "collect", str(generated), "--out", str(out), "--vignette-key"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("collected 12 student review(s) from ")
    result = class_agreement(Review.load(out), key=vignette_key(), n_resamples=200)
    assert len(result.students) == 12 and len(result.items) == 45

    raw = _raw_answers(generated)
    assert len(raw) == 12
    checklist = load_checklist()
    keyed = {i: s for i, s in _raw_key().items()}
    stages = {k.scope: k for k in result.by_stage}
    for stage in ("technical_standards", "problem_formulation", "design", "evaluation", "oversight"):
        items = [it.id for it in checklist.by_stage(stage)]
        kappa, n = _direct_fleiss(raw, items)
        assert stages[stage].kappa == pytest.approx(kappa, abs=1e-12)
        assert stages[stage].n_students == n
        assert f"Fleiss' kappa {stage}: {kappa:.2f} (" in printed
    kappa, n = _direct_fleiss(raw, list(keyed))
    assert result.overall.kappa == pytest.approx(kappa, abs=1e-12) and result.overall.n_students == n
    assert 2 <= n < 12  # the simulated class leaves some items unanswered: listwise exclusion is exercised

    per_student = result.against_key.set_index("student")
    for name, answers in raw.items():
        both = [i for i in keyed if i in answers]
        expected = cohen_kappa_score([keyed[i] for i in both], [answers[i] for i in both], labels=list(CATEGORIES))
        assert per_student.loc[name, "kappa"] == pytest.approx(expected, abs=1e-12)
        assert per_student.loc[name, "n_items"] == len(both)
        differ = sum(answers[i] != keyed[i] for i in both) / len(both)
        assert per_student.loc[name, "distance"] == pytest.approx(differ)
        missed = sum(answers[i] == "yes" and keyed[i] in ("no", "partly", "unknown") for i in both)
        assert per_student.loc[name, "missed_gap"] == missed
        assert f"  {name}: Cohen's kappa {expected:.2f}, distance {differ:.2f} over {len(both)} items, " \
               f"{missed} missed gap(s)" in printed


def _raw_key() -> dict[str, str]:
    from misyn_lab.workbook.vignettes import VIGNETTE_DIR

    out = {}
    for path in sorted(VIGNETTE_DIR.glob("*.key.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.update({item: per["answer key"]["status"] for item, per in data["answers"].items()})
    return out


def test_refused_files_exit_3_and_are_named(generated, tmp_path, capsys):
    import shutil

    folder = tmp_path / "students"
    shutil.copytree(generated, folder)
    (folder / "late.yaml").write_text("kind: [oops\n", encoding="utf-8")
    out = tmp_path / "c.yaml"
    assert main(["class", "collect", str(folder), "--out", str(out)]) == 3
    printed = capsys.readouterr().out
    assert "refused late.yaml: malformed YAML in review file at line 2" in printed
    assert f"wrote the class file {out}" in printed and out.is_file()
    assert "Against the key" not in printed  # no key given
    assert main(["class", "collect", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"misyn-lab: error: {out}: class file already exists; not overwriting (fix: choose another "
                   "--out or pass --force)\n")
    assert main(["class", "collect", str(folder), "--out", str(out), "--force", "--key",
                 str(tmp_path / "nokey.yaml")]) == 2
    assert "answer key file not found" in capsys.readouterr().err


def test_default_class_file_sits_beside_the_folder(generated, tmp_path, capsys):
    import shutil

    folder = tmp_path / "wk3"
    shutil.copytree(generated, folder)
    assert main(["class", "collect", str(folder)]) == 0
    assert (tmp_path / "wk3-class.yaml").is_file()
    assert f"wrote the class file {tmp_path / 'wk3-class.yaml'}" in capsys.readouterr().out


def test_the_demo_class_is_simulated_and_reproducible(generated, tmp_path):
    again = simulate_class(tmp_path / "again", n_students=12, seed=SEED)
    assert _raw_answers(again) == _raw_answers(generated)
    other = simulate_class(tmp_path / "other", n_students=12, seed=SEED + 1)
    assert _raw_answers(other) != _raw_answers(generated)
    first = Review.load(generated / "simulated-01.yaml")
    assert first.title == TITLE and "SIMULATED" in TITLE
    assert all(a.justification.startswith("Simulated answer") for per in first.answers.values()
               for a in per.values())


@pytest.mark.parametrize("kwargs,message", [
    ({"n_students": 0}, "n_students must be at least 1, got 0"),
    ({"skill": (0.9, 0.5)}, "must be probabilities"),
    ({"p_unanswered": 1.0}, "must be probabilities"),
])
def test_simulate_class_refuses_bad_parameters(tmp_path, kwargs, message):
    from misyn_lab.errors import InputError

    with pytest.raises(InputError, match=message):
        simulate_class(tmp_path / "x", **kwargs)
