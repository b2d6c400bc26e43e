"""Source of notebooks/case1_segmentation.ipynb and notebooks/case2_text_to_image.ipynb (written without outputs).

Run from a checkout: ``python misyn_lab/cases/data/build_case_notebooks.py``. Keep code cells short: the logic
lives in misyn_lab.cases.
"""
from pathlib import Path
import nbformat

NB = Path(__file__).resolve().parents[3] / "notebooks"
CITE = ("Method after Jin, Sinha, Abhishek and Hamarneh, *Ethical Medical Image Synthesis*, arXiv:2508.09293 "
        "(2025): a paper review of a MISyn practice against the recommendations. The reviewed work is described "
        "generically; it is not named in what we could read, and nothing here cites or quotes it.")

def md(t): return nbformat.v4.new_markdown_cell(t.strip())
def code(t, tags=()):
    c = nbformat.v4.new_code_cell(t.strip())
    if tags: c.metadata["tags"] = list(tags)
    return c

def save(cells, name):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(NB / name))

SETUP = """
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

case1 = [
    md("# Case study 1: synthetic images as training data for segmentation\n\n" + CITE),
    md("""**Stand-in data, said plainly.** No wound or skin images can be obtained offline. The measurements below use
REAL images with REAL masks instead: slices of the MNI152 T1 brain template with the template's own grey- and
white-matter maps as label masks (bundled in `data_samples/`, derived from nilearn). The numbers are about this
stand-in, not about the reviewed work. A label-conditioned teaching generator (elastic warps of the few real
pairs) makes the synthetic (image, mask) pairs; a small CPU segmenter (multiscale pixel features + random forest)
is trained on *k* real pairs versus *k* real + synthetic pairs, over many seeds and splits."""),
    code('case_path = ""  # case file (empty: the bundled case 1)\nout_dir = ""  # folder for the review and audit files (empty: a temporary folder)\nseed = 0\nn_seeds = 20  # seeds/splits (paired replications)\nk = 3  # real training pairs\nn_synthetic = 12  # synthetic pairs added per seed', tags=("parameters",)),
    code(SETUP.format(bundled="case1")),
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
save(case1, "case1_segmentation.ipynb")

case2 = [
    md("# Case study 2: text-to-image medical image synthesis\n\n" + CITE),
    md("""**Transparent stand-in, said plainly.** No text-to-image model can be downloaded here. A prompt is parsed into
the real metadata attributes of the bundled samples (modality, body part, plane, source); a conditional
PCA-Gaussian generator fitted on real images with those attributes makes the images. Words that match no
attribute are listed, never silently dropped: the generator cannot honour them. Every generated image carries
its prompt in its provenance record and a visible SYNTHETIC marker in every figure."""),
    code('case_path = ""  # case file (empty: the bundled case 2)\nout_dir = ""  # folder for the review and audit files (empty: a temporary folder)\nseed = 0\nn_per_prompt = 24  # generated images per prompt\nprompts = []  # empty list: the case-study prompts', tags=("parameters",)),
    code(SETUP.format(bundled="case2")),
    md("## Prompts, parsed"),
    code("""from misyn_lab.cases import text_to_image as t2i
prompt_list = list(prompts) or list(t2i.DEFAULT_PROMPTS)
display(HTML(report_view.frame_html(pd.DataFrame([{"prompt": p, "conditions": ", ".join(f"{k}={v}" for k, v in t2i.parse_prompt(p).items()), "NOT understood": ", ".join(t2i.parse_prompt(p).unknown), "ignored filler": ", ".join(t2i.parse_prompt(p).ignored)} for p in prompt_list]), "Prompt parser output")))"""),
    code("""result = t2i.run_case2(prompt_list, seed=seed, n_per_prompt=n_per_prompt, audit_dir=str(out / "case2-release"))
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
    display(Markdown(f"**{p}** -> images drawn from the nearest observed combination(s) `{s.meta['conditions_source'].iloc[0]}`; provenance of image 1: `{s.meta['provenance'].iloc[0]}`"))"""),
    md("## Audit of released generated images"),
    code("display(HTML(report_view.audit_html(result.audit)))"),
    md("## The review: checklist answers with the measured evidence, claims re-checked"),
    code("""review = report_view.build_review(case, result.measured(), seed=seed)
review_file = review.save(out / "case2_review.yaml", overwrite=True)
report_view.save_provenance(out / "case2_provenance.json", report_view.provenance_record(pd.concat([result.train.meta, result.holdout.meta]), t2i.fit_generator(result.train), fitted_on=f"{len(result.train)} real bundled images ({len(result.holdout)} held out)", notes="Prompt-conditioned teaching generator; every output carries its prompt in its provenance."))
display(HTML(report_view.claims_html(review)))
display(HTML(report_view.gaps_html(case)))"""),
    code("from misyn_lab.viz.ladder import ladder_figure\nladder_figure(review);"),
    md("## Reformulation: surgical simulation with user-written prompts\nWhat that use would need at each rung of the evaluation ladder (after the paper's five-phased paradigm; rung names are ours)."),
    code("display(HTML(report_view.reformulation_html(case)))"),
]
save(case2, "case2_text_to_image.ipynb")
print("ok")
