"""Build every notebook in ``notebooks/`` (workbook 00-07 and the case studies) from the cell texts below.

Run: ``python notebooks/_build_notebooks.py [NAME ...]``.

Committed notebooks carry no outputs and no execution counts; every notebook has one ``parameters`` cell
(papermill injects its values after it) and stable cell ids (``NN-II``) for clean diffs. Edit the texts here and
rebuild; do not edit the ``.ipynb`` files by hand. Keep code cells short: logic belongs in ``misyn_lab``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
CITE = ("Framework: Jin, Sinha, Abhishek, Hamarneh, *Ethical Medical Image Synthesis*, "
        "[arXiv:2508.09293](https://arxiv.org/abs/2508.09293) (2025). The workbook's text is our own summary.")
STAGE_PARAMS = ('review_path = "reviews/my-review.yaml"  # one file holds every answer and piece of evidence\n'
                'reviewer = "student"  # your name or initials\n'
                "seed = 0")
IMPORTS = ("from misyn_lab import workbook\n"
           "from misyn_lab.metrics.result import results_table\n"
           "from misyn_lab.widgets.checklist import ChecklistWidget\n"
           "from misyn_lab.widgets.display import show_figure\n"
           "from misyn_lab.widgets.quiz import Quiz")


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str, *, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def params(text: str) -> nbformat.NotebookNode:
    return code(text, tags=("parameters",))


def checklist_cells(stage: str) -> list[nbformat.NotebookNode]:
    return [
        md("## The checklist for this stage\nChoose a status for each item and write why. *Yes* and *Partly* "
           "need a justification you can show; *N/A* and *Unknown* need a reason and never count as *yes*. "
           "Every change is saved to `review_path` within a second (see the saved state at the top)."),
        code(f'review = workbook.open_review(review_path)\n'
             f'checklist = ChecklistWidget(review, "{stage}", reviewer=reviewer, path=review_path)\n'
             f'checklist'),
    ]


def demo_results_cells(demo: str) -> list[nbformat.NotebookNode]:
    """Show a teaching demonstration's results without attaching them to the user's review."""
    return [
        md("These results come from a **teaching demonstration on bundled data**, not from your images, so they "
           "are **not attached** to your review. Evidence about your own images is attached in notebook 05 "
           "(or with `checklist.attach_evidence(item_id, result)`)."),
        code(f"results_table({demo}.results)"),
    ]


def closing_cells() -> list[nbformat.NotebookNode]:
    return [
        md("## Save and check\nThe next cell writes any pending change and shows where your answers are."),
        code("checklist.flush()\nprint(workbook.review_status(review, review_path))"),
    ]


# ---------------------------------------------------------------------------------------------- notebooks
def nb00() -> list:
    return [
        md(f"""
# MISyn workbook: start here

**Medical image synthesis (MISyn)** computes images that look like medical images: from another scan
(MR→CT, low→high resolution), from a label map or mask, from a text prompt, or from noise. It is used for data
augmentation, privacy-motivated sharing, teaching, simulation and reconstruction.

This workbook helps you check whether a MISyn work is *ethical*: whether its synthetic images stay
recognisable as synthetic, whether it answers a real clinical problem, and whether its evaluation shows
weaknesses as well as strengths.

{CITE}
"""),
        md("""
## Who it is for
* **Students**: work through notebooks 01-06 in order; each has short self-checks.
* **Review teams** (developers, clinicians, ethics boards): answer the checklist with evidence, one reviewer
  name each, in one shared review file.
* **Non-technical stakeholders**: notebook 06 asks the questions in plain language.
"""),
        md("""
## How to use it
1. Set your review file and name in the **parameters** cell below (the same values in every notebook).
2. Run the notebooks top to bottom (*Run → Run All Cells*).
3. Answer the checklist widgets. Measured results appear under the items they support.
4. Produce a report with `misyn-lab report` (HTML, no code).
"""),
        params(STAGE_PARAMS),
        code("from misyn_lab import workbook\nfrom misyn_lab.widgets.quiz import Quiz\n"
             "review = workbook.open_review(review_path)\nprint(workbook.review_status(review, review_path))"),
        md("""
## How answers are saved
All answers, evidence and records live in **one YAML file** (`review_path`). Every change is written
atomically (a temporary file is renamed over the old one), under a file lock, and merged with changes
other reviewers saved meanwhile; a conflicting change to the same answer is reported, never lost.
You can close the notebook at any time and continue later: opening the file again restores everything.
"""),
        md("""
## The three intrinsic limits (notebook 01 shows each on real images)
* **L1 No grounding**: a synthetic image depicts no patient; its findings were never observed in anyone.
* **L2 Incomplete representation**: rare cases, small subgroups and tails get thinned or dropped, and some
  training images may be copied (memorised).
* **L3 New shifts and biases**: synthesis adds its own distribution shift, which downstream models inherit.
"""),
        code('Quiz("A generator was trained on 10,000 scans and produces excellent images. Which limit still applies?",\n'
             '     ["None: a good enough generator removes them", "L1, L2 and L3: they hold for every synthetic image",\n'
             '      "Only L3"], 1,\n'
             '     "The limits are intrinsic: no technical advance removes them, so they must be acknowledged.")'),
        md("""
## The notebooks
| Notebook | What you do |
|---|---|
| 01 Intrinsic limits | See L1, L2, L3 on real images with transparent teaching generators |
| 02 Technical standards | Terminology, usage declarations, marking synthetic files |
| 03 Problem formulation | Ground the synthesis in a clinical problem and its stakeholders |
| 04 Design | Assumptions, conditioning, memorisation, provenance by design |
| 05 Evaluation | Measure fidelity, diversity, subgroups, memorisation and utility on your images |
| 06 Oversight | Plain-language questions for stakeholders, regulators and the public |
"""),
    ]


def nb01() -> list:
    return [
        md(f"""
# 01 Intrinsic limits: what no generator can avoid

Three limits hold for **every** synthetic image, however good the generator. We show each one on real brain MR
slices with small, transparent *teaching generators* fitted in seconds on a CPU. Synthetic images are marked
**SYNTHETIC** (red) in every figure.

{CITE}
"""),
        params("seed = 0\nn = 60  # synthetic images per demonstration"),
        code("from misyn_lab.widgets.display import show_figure\nfrom misyn_lab.widgets.gallery import ImageGallery\n"
             "from misyn_lab.widgets.quiz import Quiz\nfrom misyn_lab.workbook import lessons"),
        md("""
## L1 No grounding: invented detail
A "super-resolution" model receives a small image and returns a detailed one. Where does the detail come from?
Not from the patient: the input does not contain it. The model fills it in from what it learned.
"""),
        code("l1 = lessons.invented_detail(seed=seed)\nshow_figure(l1.figure)\nl1.table"),
        md("""
## L2 Incomplete representation
### Thinned tails
A generator with few components learns the common images well and the unusual ones poorly.
"""),
        code("tails = lessons.thinned_tails(n=max(n, 60), seed=seed)\nshow_figure(tails.figure)\ntails.table"),
        md("### A dropped subgroup\nHere the generator under-samples the smaller subgroup (the second subject)."),
        code("drop = lessons.dropped_subgroup(n=max(n, 60), seed=seed)\nshow_figure(drop.figure)\ndrop.table"),
        md("### Near-copies of training images\nA memorising generator returns training images with a little "
           "noise. Each synthetic image (marked SYNTHETIC) is shown beside its nearest training image."),
        code("copies = lessons.near_copies(n=n, seed=seed)\n"
             'print(copies.results["memorisation.copy_rate"].interpretation)\n'
             'ImageGallery(copies.extra["train"], copies.extra["synthetic"], pairs="nearest", max_tiles=8, columns=4)'),
        md("Takeaway: near-copies can reveal the training patients' images (privacy), and add no new information."),
        md("""
## L3 New shifts and biases
A generator fitted well still adds its own shift (here: smoother images). A simple classifier tells its
images from real ones, and any model trained on them inherits the shift.
"""),
        code("shift = lessons.new_shift(n=max(n, 60), seed=seed)\nshow_figure(shift.figure)\n"
             'print(shift.results["detection.auc"].interpretation)\nshift.table'),
        md("## Self-check"),
        code('Quiz("The restored images in the L1 figure look sharper than the input. Whose anatomy is the added detail?",\n'
             '     ["The patient\'s", "Nobody\'s: the model invented it", "The radiologist\'s"], 1,\n'
             '     "The input did not contain that detail; it was generated (L1, no grounding).")'),
        code('Quiz("A synthetic dataset has almost no images of one subgroup. Which limit is this?",\n'
             '     ["L1 No grounding", "L2 Incomplete representation", "L3 New shift"], 1,\n'
             '     "Small subgroups and tails are thinned or dropped: incomplete representation (L2).")'),
        code('Quiz("A classifier separates real from synthetic images almost perfectly. What does that show?",\n'
             '     ["The generator is perfect", "Synthesis added its own shift (L3)", "The real images are wrong"], 1,\n'
             '     "Synthesis adds its own distribution shift, which downstream models inherit (L3).")'),
    ]


def nb02() -> list:
    return [
        md(f"""
# 02 Technical standards: keep synthetic images recognisable

A synthetic image looks like a medical image but depicts no patient (L1). Technical standards keep the two
apart in **every output**: the words used about the images, a declaration of allowed uses, a mark inside each
file (DICOM *Synthetic Data* = YES; the IPTC *digital source type* in PNG/TIFF metadata), a visible mark in
viewers, and provenance (generator, version, training data, inputs, seed) that travels with the image.
When this fails, synthetic images pass as medical images: the paper calls it *misinformation of MISyn*.

{CITE}
"""),
        params(STAGE_PARAMS + "\nn = 8"),
        code(IMPORTS),
        md("## Measure: are exported synthetic files marked?\nWe export a few synthetic images with the "
           "package's labeller, strip the mark from one copy (as some de-identification tools do), and audit the folder."),
        code("audit = workbook.labelling_demo(review_path, n=n, seed=seed)\naudit.table"),
        *demo_results_cells("audit"),
        *checklist_cells("technical_standards"),
        code('Quiz("A DICOM de-identification profile removed the Synthetic Data attribute. What still identifies the image?",\n'
             '     ["Nothing", "A registry of the synthetic images\' hashes, and a visible burned-in mark",\n'
             '      "The file name"], 1,\n'
             '     "Attributes can be stripped; a hash registry and a visible mark survive that.")'),
        *closing_cells(),
    ]


def nb03() -> list:
    return [
        md(f"""
# 03 Problem formulation: is synthesis the answer to a clinical problem?

Ground the work in a **real clinical problem and its stakeholders**, not in a technical need ("we need a
large dataset") or in novelty ("a new text-to-image model exists"). Ask whether synthesis is the right answer
at all: for an under-represented group, collecting real data is the lasting fix. State intended and
out-of-scope uses and which intrinsic limits matter for them. Be wary of "overcoming human error" as a
motivation: it presumes the model knows better than clinicians and pushes evaluation toward hiding weaknesses.

{CITE}
"""),
        params(STAGE_PARAMS + "\nsubgroup = \"plane\""),
        code(IMPORTS),
        md("## Measure: how well is each subgroup represented in the real data?\n"
           "A small subgroup in the real data is one a generator will thin further (L2)."),
        code("real = workbook.teaching_real_set(seed=seed)\nrep = workbook.representation(real, subgroup)\nrep.table"),
        *demo_results_cells("rep"),
        *checklist_cells("problem_formulation"),
        code('Quiz("A paper motivates its generator with \\"we need a large annotated dataset\\". What is missing?",\n'
             '     ["Nothing: more data is always better", "The clinical problem and who it serves",\n'
             '      "A bigger generator"], 1,\n'
             '     "A technical need is not a clinical problem; the reformulation names the patients and users.")'),
        *closing_cells(),
    ]


def nb04() -> list:
    return [
        md(f"""
# 04 Design: build the requirements in from the start

Make the model's **assumptions explicit**; build task-specific and clinical requirements in from the start,
not as a post-hoc fix; choose conditioning inputs knowingly and check that they represent the patients;
build labelling and provenance into the pipeline; **design against memorisation**; keep real data for
evaluation; never let the design depend on passing synthetic images off as real.

{CITE}
"""),
        params(STAGE_PARAMS + "\nn = 40\nsubgroup = \"plane\""),
        code(IMPORTS),
        md("## Measure: does a design copy its training images?\nA generator that mixes stored training images "
           "into its output (the *memorising* teaching generator) against one that does not (PCA-Gaussian)."),
        code("design = workbook.design_checks(n=n, seed=seed, subgroup=subgroup)\ndesign.table"),
        code("show_figure(design.figure)"),
        *demo_results_cells("design"),
        *checklist_cells("design"),
        code('Quiz("Which design choice protects against memorisation?",\n'
             '     ["Training longer", "Checking nearest-neighbour distances to training images against held-out '
             'real images", "Adding more layers"], 1,\n'
             '     "Copies are found by comparing distances to training vs held-out real images (a calibrated test).")'),
        *closing_cells(),
    ]


def nb05() -> list:
    return [
        md(f"""
# 05 Evaluation: measure on real images, show weaknesses as well as strengths

After the paper's **five-phased evaluation paradigm**, evidence climbs a ladder: (1) metrics in model space on
held-out real data, then expert readers, the downstream clinical task, the clinical workflow with its users,
and follow-up after deployment. Everything in this notebook stands on **rung 1**: it cannot show clinical value.
Good practice: evaluate against held-out real data; report fidelity and diversity separately; per subgroup;
look for new shifts; test memorisation; test downstream utility on real data; report uncertainty.
Claims need results; "significant" needs a named test; report the worst subgroup, not only averages.

{CITE}
"""),
        params(STAGE_PARAMS + "\nreal_path = None  # folder of real images (None: the bundled brain MR slices)\n"
               "synthetic_path = None  # folder of synthetic images (None: a teaching generator)\n"
               "subgroup = \"plane\"  # metadata column for per-subgroup results (None: no subgroups)\n"
               "n = 120  # synthetic images when a teaching generator is used\n"
               "bootstrap = 200  # resamples for confidence intervals"),
        code(IMPORTS + "\nfrom misyn_lab import viz\nfrom misyn_lab.metrics.evidence import evaluate_imagesets\n"
             "from misyn_lab.widgets.display import attach_matching\n"
             "from misyn_lab.widgets.explorer import DistributionExplorer"),
        code("data = workbook.load_inputs(real_path, synthetic_path, n=n, seed=seed, subgroup=subgroup)\n"
             "print(data.note)\nprint(len(data.train), 'real (train),', len(data.holdout), 'real (held out),', "
             "len(data.synthetic), 'synthetic')"),
        md("## All measurements\nFidelity/diversity (PRDC), distances, memorisation, subgroups, utility (TSTR), "
           "detectability. CIs are bootstrap percentiles; p-values name their test in the interpretation."),
        code("ev = evaluate_imagesets(data.train, data.holdout, data.synthetic, subgroup=subgroup, seed=seed,\n"
             "                        bootstrap=bootstrap, permutations=bootstrap)\n"
             "print(*ev.notes, sep='\\n')\nmetrics_table = results_table(ev.results)\n"
             "saved = workbook.save_metrics_table(metrics_table, review_path)\nmetrics_table"),
        md("## Per subgroup: who does the synthetic set serve worst?\n(Skipped when `subgroup` is None.)"),
        code("if len(ev.by_subgroup):\n"
             "    show_figure(viz.subgroup_shares(ev.by_subgroup, subgroup,\n"
             "                                    takeaway=ev.results['subgroup.coverage_min'].interpretation))\n"
             "ev.by_subgroup"),
        md("## Memorisation: copies of training images?"),
        code("show_figure(viz.copy_ratio_histogram(ev.memorisation.ratio, ev.memorisation.threshold,\n"
             "                                     takeaway=ev.results['memorisation.copy_rate'].interpretation))\n"
             "ev.memorisation.offenders.head()"),
        md("## Explore the distributions\nChoose a feature set and subgroup. Where real points have no synthetic "
           "neighbours, the synthetic set misses part of the real data."),
        code("DistributionExplorer(data.train, data.synthetic, subgroup=subgroup or None, seed=seed)"),
        *checklist_cells("evaluation"),
        md("The measurements above are attached to the items that name them (evidence, rung 1)."),
        code("attached = attach_matching(checklist, ev.results)\nattached"),
        code('Quiz("TSTR accuracy is lower than TRTR accuracy on the real test set. What should the report say?",\n'
             '     ["Nothing: averages look fine", "The gap, its confidence interval, and the worst subgroup",\n'
             '      "Only the TSTR accuracy"], 1,\n'
             '     "Balanced reporting shows the gap with its uncertainty and the worst subgroup.")'),
        *closing_cells(),
    ]


def nb06() -> list:
    return [
        md(f"""
# 06 Oversight: questions anyone can ask

Developers should not be the only ones who judge a MISyn. Patients, clinicians, regulators and the public need
**plain-language questions** they can ask, and the means to **question, refuse or reject** a MISyn. Oversight
also means disclosure (saying where synthetic images are used) and records of synthetic content in shared
datasets.

{CITE}
"""),
        params(STAGE_PARAMS),
        code(IMPORTS),
        md("## The questions in plain words\nEvery checklist item has a plain-language version for stakeholders:"),
        code("workbook.stakeholder_questions()"),
        *checklist_cells("oversight"),
        code('Quiz("A hospital shares a dataset in which some images are synthetic but not flagged. Which risk is this?",\n'
             '     ["Erosion of trust in the medical imaging dataset environment", "None, if the images look real",\n'
             '      "Only a privacy risk"], 0,\n'
             '     "Unflagged synthetic images contaminate datasets, benchmarks and future training data.")'),
        *closing_cells(),
    ]


def nb07() -> list:
    """Notebook 07: the review instruments (claims, ladder, limitations, reader study, stakeholders)."""
    return [
        md("""
# 07 · Review instruments: claims, the evaluation ladder, limitations, reader study, stakeholder checklist

The paper behind this workbook (Jin, Sinha, Abhishek, Hamarneh, *Ethical Medical Image Synthesis*,
arXiv:2508.09293, 2025) does not stop at a list of recommendations: its case studies review published MISyn
work with a few specific instruments. This notebook shows each one on a small worked example. All the logic
lives in `misyn_lab.instruments`; everything is saved in one review file (a `Review`), the same file the
checklist answers go into.

1. **Claims and overclaims** — every claim gets a status (supported / not supported / untested / overclaimed)
   from fixed, documented rules (`misyn_lab/instruments/CLAIM_RULES.md`), and the statistics to settle a claim
   when the per-case data are at hand.
2. **The evaluation-phase ladder** — five rungs from model space to the real world; where does the evidence stop,
   and which claims reach beyond it?
3. **Limitation analysis in three aspects** — scope and failure modes, assumptions, intrinsic limits L1–L3.
4. **Reader study** — a small visual Turing test (rung 2).
5. **Stakeholder checklist** — the checklist in plain language, for anyone to question, object or refuse.
"""),
        params("""
# Parameters (papermill injects its values after this cell)
seed = 0
review_path = None  # None: a temporary file
n_cases = 24        # paired cases in the claims example
"""),
        code("""
import dataclasses
import tempfile
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from misyn_lab.checklist import Review
from misyn_lab.instruments import claims as cl
from misyn_lab.instruments import ladder, limitations, reader_study, stakeholder, stats
from misyn_lab.viz.ladder import ladder_figure
from misyn_lab.widgets.reader_study import ReaderStudyWidget
from misyn_lab.widgets.stakeholder import StakeholderWidget
"""),
        code("""
if review_path is None:
    review_path = Path(tempfile.mkdtemp(prefix="misyn-07-")) / "review.yaml"
review_path = Path(review_path)
review = Review.new(title="Worked example: review instruments", reviewer="student")
print("review file:", review_path)
"""),
        md("""
## 1. Claims and overclaims

A MISyn paper says things like *"synthetic augmentation significantly improves Dice"*. The paper's checks
against unscientific claims ask: is every claimed benefit backed by a reported result? Does "significant" mean
a statistical test was run, and which? Is reporting balanced (failures, worst cases, subgroups — not only good
averages)? Do private data and user studies state ethics approval? And (the ladder, below) does the claim reach
beyond the evaluation phase its evidence stands on?

Below: per-case Dice of a segmentation model trained on real data only (`a`) and on real + synthetic data
(`b`), for the same test cases. The numbers are simulated with a fixed seed so the example is reproducible.
"""),
        code("""
rng = np.random.default_rng(seed)
dice_real_only = np.clip(rng.beta(18, 4, n_cases), 0, 1)                                  # a: baseline
dice_with_synth = np.clip(dice_real_only + rng.normal(0.012, 0.03, n_cases), 0, 1)       # b: + synthetic

summary = stats.paired_summary(dice_real_only, dice_with_synth, seed=seed)
for result in summary.results():
    print("-", result.interpretation)
"""),
        md("""
The bootstrap CI and the two tests answer slightly different questions (mean difference vs. signed ranks);
near the threshold they can disagree, which is itself a finding: the effect is marginal, and the test must be
chosen before looking at the data. The power note says how many cases a convincing answer would need.

Now the claims a (hypothetical) paper makes. `settle_claim` runs the statistics on the paired data and fills
the claim's test fields (Wilcoxon signed-rank p-value, n, Cohen's d_z, bootstrap CI of the mean difference) and
stores them as rung-1 evidence in the review. `check_claims` Holm-corrects the p-values of all claims together
and applies the rules.
"""),
        code("""
paper_claims = [
    cl.Claim(id="C1", text="Synthetic augmentation significantly improves Dice.", kind="significance",
             location="Abstract", evidence_cited="Table 2 (mean Dice)", result_reported=True),
    cl.Claim(id="C2", text="Our synthetic images are indistinguishable from real scans.", kind="indistinguishable",
             location="Sec. 4.1", evidence_cited="FID", result_reported=True, evidence_rung=1),
    cl.Claim(id="C3", text="The method will improve diagnosis for patients.", kind="clinical",
             location="Conclusion", evidence_cited="Dice on the test set", result_reported=True,
             evidence_rung=1, subgroups_reported=True),
    cl.Claim(id="C4", text="Synthetic data make sharing private data unnecessary.", kind="privacy",
             location="Discussion", uses_private_data=True, ethics_approval_stated=None),
]
"""),
        code("""
settled = cl.settle_claim(paper_claims[0], dice_real_only, dice_with_synth, review=review, seed=seed)
paper_claims[0] = settled
verdicts = cl.check_claims(paper_claims, review)
cl.save_claims(review, paper_claims, verdicts=verdicts)
pd.DataFrame([{"claim": c.id, "text": c.text, "status": v.status, "rules": ", ".join(v.rules),
               "flags": ", ".join(v.flags)} for c, v in zip(paper_claims, verdicts)])
"""),
        code("""
for v in verdicts:
    print(v)
"""),
        md("""
C1 carries a real test now, yet it is still an **overclaim**: only averages are reported (rule R4,
imbalanced reporting). Reporting the worst cases changes that — a reviewer would ask the authors for it:
"""),
        code("""
balanced = cl.check_claim(dataclasses.replace(paper_claims[0], worst_cases_reported=True), review)
print(balanced)
print("Power note:", summary.power.interpretation)
"""),
        md("""
## 2. The evaluation-phase ladder

After the paper's *five-phased evaluation paradigm* (phase 1 in model space, later phases in the real-world
problem space; the rung names are our reading, since the paper's own names were not available to us). Every
piece of evidence in the review carries its rung; every claim says which rung it speaks for.
"""),
        code("""
for k, rung in ladder.RUNGS.items():
    print(f"{k}. {rung.name}: {rung.description}")
print("\\nevidence per rung:", {k: len(v) for k, v in ladder.evidence_rungs(review).items()})
print("highest rung reached:", ladder.highest_rung(review))
for c in ladder.claims_beyond_rung(review):
    print(f"claim {c.claim_id} claims rung {c.claimed_rung} but its evidence stops at rung {c.evidence_rung}")
"""),
        code("fig = ladder_figure(review)"),
        md("""
## 3. Limitation analysis in three aspects

(a) scope, weaknesses and failure modes, with measured evidence where it exists; (b) the assumptions and
limitations of this design, data and evaluation; (c) the intrinsic limits L1–L3, stated for this use. Whatever
is missing is listed as a gap.
"""),
        code("""
worst = int(np.argmin(dice_with_synth - dice_real_only))
worst_ev = review.add_evidence({"key": "paired.worst_case", "value": float(dice_with_synth[worst] - dice_real_only[worst]),
                                "n": {"pairs": n_cases},
                                "interpretation": f"Worst case: Dice changes by {dice_with_synth[worst] - dice_real_only[worst]:+.3f} on case {worst}."},
                               rung=1, source="notebook 07")
analysis = limitations.LimitationAnalysis(review, author="student")
analysis.add_scope("On its worst test case the augmented model loses Dice; the average hides it.",
                   evidence_ids=[worst_ev], consequence="Some patients get a worse segmentation.")
analysis.add_assumption("The test cases come from one scanner and site; other settings are untested.")
analysis.state_intrinsic("L2", "Rare lesion shapes are thinned out in the synthetic set, so they gain least.")
print("gaps before stating L1 and L3:", limitations.missing_aspects(review))
analysis.state_intrinsic("L1", "Synthetic training images depict no patient; their lesion outlines were never observed.")
analysis.state_intrinsic("L3", "The generator's smoothing is a new shift the segmentation model may learn.")
display(Markdown(analysis.to_markdown()))
"""),
        md("""
## 4. Reader study (rung 2)

A small visual Turing test: a seeded, shuffled mix of real and synthetic tiles; each reader answers real or
synthetic and how sure they are. Here the real images are axial slices of the MNI152 T1 template from
`data_samples/`, and the synthetic ones come from the PCA-Gaussian teaching generator fitted on them. In a live notebook the widget below runs the test; when this notebook runs
headless (papermill), it shows a static explanation and records nothing.
"""),
        code("""
from misyn_lab.imagesets import load_sample
from misyn_lab.synth import PCAGaussianGenerator

real = load_sample("mni152", size=(64, 64)).subset(plane="axial")
synthetic = PCAGaussianGenerator(n_components=8).fit(real).sample(30, seed=seed)
study = reader_study.ReaderStudy.from_sets(real, synthetic, n_tiles=20, seed=seed, review=review)
ReaderStudyWidget(study, reader="student", save_path=review_path)
"""),
        md("""
To show what the results look like, two **simulated** readers answer every tile here (reader 1 guesses;
reader 2 is right 80 % of the time). Their answers are stored like real ones, under names that say so.
"""),
        code("""
truth = study.reveal()  # scoring only; a real reader never sees this before answering
sim = np.random.default_rng(seed + 1)
for tile_id in study.tile_ids:
    study.record_answer("simulated-reader-1", tile_id, sim.choice(["real", "synthetic"]), 2)
    right = sim.random() < 0.8
    other = "real" if truth[tile_id] == "synthetic" else "synthetic"
    study.record_answer("simulated-reader-2", tile_id, truth[tile_id] if right else other, 4)
res = study.results()
print(res.interpretation())
display(pd.DataFrame({r: a.to_dict() for r, a in {**res.per_reader, "pooled": res.pooled}.items()}).T)
print("most mistaken tiles:", [(t["tile_id"], t["truth"], f"{t['wrong']}/{t['answers']}") for t in res.most_mistaken[:3]])
reader_ev = study.add_evidence()
print("stored as rung-2 evidence", reader_ev)
"""),
        md("""
## 5. The checklist for stakeholders and the public

The same recommendations, as one short question each that anyone can ask, with what a good answer looks like
(generated from the checklist data, not a second copy). A stakeholder can record a question, objection or
refusal; it stays open until the developers answer.
"""),
        code("""
concern = stakeholder.raise_concern(review, "TS-1", name="A. Patient", role="patient representative",
                                    kind="objection", text="I object to images of nobody being called 'scans'.")
print("open concerns:", [c["id"] for c in stakeholder.open_concerns(review)])
stakeholder.respond(review, concern, responder="developer team",
                    text="Agreed: every figure and file now says 'synthetic image'.")
print("open after the response:", len(stakeholder.open_concerns(review)))
display(Markdown("\\n".join(stakeholder.to_markdown(review=review).splitlines()[:14]) + "\\n\\n…"))
"""),
        code("StakeholderWidget(review, save_path=review_path)"),
        md("""
## Save

Everything above lives in one review file: claims with their verdicts, evidence with rungs, limitations,
reader answers and stakeholder concerns. From the command line: `misyn-lab claims check REVIEW.yaml`,
`misyn-lab ladder REVIEW.yaml --out ladder.png`, `misyn-lab stakeholder checklist --format html`.
"""),
        code("""
review.save(review_path)
reloaded = Review.load(review_path)
print({s: len(reloaded.records(s)) for s in ("claims", "limitations", "reader_answers", "stakeholder_questions")},
      "evidence:", len(reloaded.evidence))
"""),
    ]

# ------------------------------------------------------------------------------------- case studies
CASE_CITE = ("Method after Jin, Sinha, Abhishek and Hamarneh, *Ethical Medical Image Synthesis*, arXiv:2508.09293 "
        "(2025): a paper review of a MISyn practice against the recommendations. The reviewed work is described "
        "generically; it is not named in what we could read, and nothing here cites or quotes it.")
CASE_SETUP = """
import tempfile
from pathlib import Path
import matplotlib
import pandas as pd
from IPython.display import HTML, Markdown, display
from misyn_lab.cases import figures, report_view
from misyn_lab.cases.case import load_case
pd.set_option("display.precision", 3)
case = load_case(case_path or "{bundled}")
out = Path(out_dir or tempfile.mkdtemp(prefix="misyn-case-"))
out.mkdir(parents=True, exist_ok=True)
display(HTML(report_view.practice_html(case)))
"""


def case1() -> list:
    """Case study 1: synthetic (image, mask) pairs as segmentation training data."""
    return [
    md("# Case study 1: synthetic images as training data for segmentation\n\n" + CASE_CITE),
    md("""**Stand-in data, said plainly.** No wound or skin images can be obtained offline. The measurements below use
REAL images with REAL masks instead: slices of the MNI152 T1 brain template with the template's own grey- and
white-matter maps as label masks (bundled in `data_samples/`, derived from nilearn). The numbers are about this
stand-in, not about the reviewed work. A label-conditioned teaching generator (elastic warps of the few real
pairs) makes the synthetic (image, mask) pairs; a small CPU segmenter (multiscale pixel features + random forest)
is trained on *k* real pairs versus *k* real + synthetic pairs, over many seeds and splits."""),
    code('case_path = ""  # case file (empty: the bundled case 1)\nout_dir = ""  # folder for the review and audit files (empty: a temporary folder)\nseed = 0\nn_seeds = 20  # seeds/splits (paired replications)\nk = 3  # real training pairs\nn_synthetic = 12  # synthetic pairs added per seed', tags=("parameters",)),
    code(CASE_SETUP.format(bundled="case1")),
    md("## What the practice did not measure: the paired test behind \"significant\"\nEach seed draws a new split (k training pairs, held-out real test images), a new synthetic set fitted on the k pairs only, and a new forest. The same held-out images score both arms, so the comparison is paired. The unit of replication is the seed/split (mean Dice per seed)."),
    code("""from misyn_lab.cases.segmentation import run_case1
result = run_case1(seed=seed, n_seeds=n_seeds, k=k, n_synthetic=n_synthetic, audit_dir=str(out / "case1-release"))
display(HTML(report_view.paired_table_html(result.paired, "per seed/split (the test behind the claim)")))
display(HTML(report_view.paired_table_html(result.paired_images, "per (seed, held-out image) pair, for comparison")))"""),
    md("""**Read the two tables together.** The first test uses one paired value per seed/split, the unit that was
replicated. The second treats every (seed, held-out image) pair as independent although the same images recur
across seeds and share a trained segmenter within a seed: this pseudo-replication inflates *n* and can make a
negligible difference look "significant". A claim of significant improvement must name its test and its unit."""),
    code("""syn_im, syn_mask, train_ids = result.experiment.synthetic[seed]
ids = result.meta["id"].astype(str).tolist(); tr = [ids.index(t) for t in train_ids]
figures.pairs_figure(result.images[tr], result.masks[tr], syn_im, syn_mask);"""),
    code("figures.paired_dice_figure(result.experiment.per_seed(), result.experiment.per_image());"),
    md("## Spread, worst cases and subgroups (what a mean hides)"),
    code("""wide = result.experiment.per_image().merge(result.meta[["id", "plane", "slice_region"]].rename(columns={"id": "image_id"}), on="image_id")
figures.subgroup_figure(wide);
display(HTML(report_view.frame_html(result.by_plane, "Dice by plane")))
display(HTML(report_view.frame_html(result.by_region, "Dice by slice region (tertile of slice position within its plane)")))
ws = result.worst_subgroup()
hs = result.most_harmed_subgroup()
display(Markdown(f"**Worst subgroup with synthetic pairs:** {ws['column']} = {ws['group']}: mean Dice {ws['mean']:.3f}, worst case {ws['min']:.3f}, mean change {ws['mean difference']:+.3f}, {ws['share worse']:.0%} of its images made worse.  \\n**Most harmed subgroup:** {hs['column']} = {hs['group']}: mean change {hs['mean difference']:+.3f}, {hs['share worse']:.0%} of its images made worse."))"""),
    code("""figures.worst_cases_figure(result.images, result.masks, result.meta, result.worst);
display(HTML(report_view.frame_html(result.worst[["seed", "image_id", "plane", "slice_region", "real", "real+synthetic", "difference"]], "Worst cases")))"""),
    md("## Near-copies among the synthetic pairs\nEach synthetic image is compared with the training images (16×16 thumbnails): it counts as a near-copy when it lies closer to a training image than the training images lie to each other (`misyn_lab.metrics.memorisation`; held-out images are the negative controls)."),
    code("""display(Markdown(result.copies.interpretation))
top = result.copy_pairs.head(5)
pairs = []
for _, r in top.iterrows():
    s_im = result.experiment.synthetic[int(r["seed"])][0][int(r["synthetic_index"])]
    pairs.append((s_im, result.images[ids.index(r["train_id"])], f"seed {int(r['seed'])}, ratio {r['ratio']:.2f}"))
figures.copies_figure(pairs, "Closest synthetic / training pairs (top: synthetic)");"""),
    md("## Audit of the released synthetic set\nThe generator's output is registered when made; the practice releases plain image files. An audit with the registry flags them; after `label` the same audit is clean."),
    code("""display(HTML(report_view.audit_html(result.audit)))"""),
    md("## The review: checklist answers with the measured evidence, claims re-checked"),
    code("""review = report_view.build_review(case, result.measured(), settle={"C1": (result.experiment.per_seed()["real"], result.experiment.per_seed()["real+synthetic"])}, seed=seed)
review_file = review.save(out / "case1_review.yaml", overwrite=True)
from misyn_lab.synth import LabelConditionedGenerator
report_view.save_provenance(out / "case1_provenance.json", report_view.provenance_record(result.meta, LabelConditionedGenerator, fitted_on=f"k={k} real MNI152 (image, mask) pairs per seed; {n_seeds} seeds", notes="Stand-in for wound images: real MNI152 T1 slices with the template's own grey/white-matter maps."))
display(HTML(report_view.claims_html(review)))
display(HTML(report_view.gaps_html(case)))"""),
    code("from misyn_lab.viz.ladder import ladder_figure\nladder_figure(review);"),
    md("## Reformulation\nThe reviewers' reformulation grounds the practice in a clinical problem where real annotated data is extremely scarce."),
    code("display(HTML(report_view.reformulation_html(case)))"),
]


def case2() -> list:
    """Case study 2: text-to-image synthesis."""
    return [
    md("# Case study 2: text-to-image medical image synthesis\n\n" + CASE_CITE),
    md("""**Transparent stand-in, said plainly.** No text-to-image model can be downloaded here. A prompt is parsed into
the real metadata attributes of the bundled samples (modality, body part, plane, source); a conditional
PCA-Gaussian generator fitted on real images with those attributes makes the images. Words that match no
attribute are listed, never silently dropped: the generator cannot honour them. Every generated image carries
its prompt in its provenance record and a visible SYNTHETIC marker in every figure."""),
    code('case_path = ""  # case file (empty: the bundled case 2)\nout_dir = ""  # folder for the review and audit files (empty: a temporary folder)\nseed = 0\nn_per_prompt = 24  # generated images per prompt\nprompts = []  # empty list: the case-study prompts', tags=("parameters",)),
    code(CASE_SETUP.format(bundled="case2")),
    md("## Prompts, parsed and generated"),
    code("""from misyn_lab.cases import text_to_image as t2i
prompt_list = list(prompts) or list(t2i.DEFAULT_PROMPTS)
result = t2i.run_case2(prompt_list, seed=seed, n_per_prompt=n_per_prompt, audit_dir=str(out / "case2-release"))
display(HTML(report_view.frame_html(result.parsed_table(), "Prompt parser output (vocabulary: the real metadata values)")))
figures.prompt_gallery(result.samples);"""),
    md("## Prompt fidelity\nClassifiers trained on REAL images only (held-out real accuracy shown) predict each requested attribute of each generated image."),
    code("""display(HTML(report_view.frame_html(pd.DataFrame([result.classifiers.real_accuracy]), "Classifier accuracy on held-out REAL images (the ceiling)")))
figures.fidelity_figure(result.fidelity);
display(HTML(report_view.frame_html(result.fidelity, "Prompt fidelity (share of generated images recognised as requested)")))"""),
    md("## Coverage, distance and memorisation per prompt"),
    code("""display(HTML(report_view.frame_html(result.table.drop(columns=["conditions"]), "Per prompt: training/held-out counts, fidelity, coverage and Fréchet distance (PCA embedding of real thumbnails) against held-out real images, near-copy rate for prompts with few training images")))
pairs = []
for prompt, m in result.memorisation.items():
    for _, r in m.offenders.head(2).iterrows():
        tr = t2i._real_matches(result.train, result.parsed[prompt])
        pairs.append((result.samples[prompt].images[int(r["synthetic_index"])], result.train.images[tr[int(r["train_index"])]], f"{prompt[:22]}: ratio {r['ratio']:.2f}"))
figures.copies_figure(pairs[:6], "Closest generated / training pairs for prompts with few training images (top: synthetic)");"""),
    md("## L1: a prompt for a combination never observed still yields a plausible image"),
    code("""unseen = result.table[~result.table["conditions_observed"]]
display(HTML(report_view.frame_html(unseen[["prompt", "conditions", "n_train", "fidelity (mean)"]], "Prompts for never-observed combinations (flagged conditions_observed=False)")))
for p in unseen["prompt"]:
    s = result.samples[p]
    display(HTML(f"<p><b>{report_view.esc(p)}</b> &rarr; images drawn from the nearest observed combination(s) <code>{report_view.esc(s.meta['conditions_source'].iloc[0])}</code>; provenance of image 1: <code>{report_view.esc(s.meta['provenance'].iloc[0])}</code></p>"))"""),
    md("## Audit of released generated images"),
    code("display(HTML(report_view.audit_html(result.audit)))"),
    md("## The review: checklist answers with the measured evidence, claims re-checked"),
    code("""review = report_view.build_review(case, result.measured(), seed=seed)
review_file = review.save(out / "case2_review.yaml", overwrite=True)
report_view.save_provenance(out / "case2_provenance.json", report_view.provenance_record(pd.concat([result.train.meta, result.holdout.meta]), result.generator, fitted_on=f"{len(result.train)} real bundled images ({len(result.holdout)} held out)", notes="Prompt-conditioned teaching generator; every output carries its prompt in its provenance."))
display(HTML(report_view.claims_html(review)))
display(HTML(report_view.gaps_html(case)))"""),
    code("from misyn_lab.viz.ladder import ladder_figure\nladder_figure(review);"),
    md("## Reformulation: surgical simulation with user-written prompts\nWhat that use would need at each rung of the evaluation ladder (after the paper's five-phased paradigm; rung names are ours)."),
    code("display(HTML(report_view.reformulation_html(case)))"),
]


NOTEBOOKS = {
    "00_start_here.ipynb": nb00,
    "01_intrinsic_limits.ipynb": nb01,
    "02_technical_standards.ipynb": nb02,
    "03_problem_formulation.ipynb": nb03,
    "04_design.ipynb": nb04,
    "05_evaluation.ipynb": nb05,
    "06_oversight.ipynb": nb06,
    "07_review_instruments.ipynb": nb07,
    "case1_segmentation.ipynb": case1,
    "case2_text_to_image.ipynb": case2,
}


def build(names: list[str] | None = None, out_dir: Path = HERE) -> list[Path]:
    """Write the notebooks (all, or those named) into ``out_dir`` (default: this folder); return their paths."""
    out = []
    for name, make in NOTEBOOKS.items():
        if names and name not in names:
            continue
        nb = nbformat.v4.new_notebook()
        nb.cells = make()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        for i, cell in enumerate(nb.cells):  # stable ids: clean diffs
            cell["id"] = f"{Path(name).stem.split('_')[0]}-{i:02d}"
        nbformat.validate(nb)
        path = Path(out_dir) / name
        nbformat.write(nb, path)
        out.append(path)
    return out


if __name__ == "__main__":
    for p in build(sys.argv[1:] or None):
        print("wrote", p.relative_to(HERE.parent))
