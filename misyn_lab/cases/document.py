"""A case study as one document (render blocks): the bottom line, the practice under review, its gaps, the
measured evidence with its figures, the review (claims, ladder, checklist, limitations, disagreements,
stakeholder questions), the reformulation and the provenance of data and generators.

The case notebooks display parts of this very document (``study.part("paired")``) and the report embeds the
whole, so the two never disagree. Every sentence stating a direction or a size comes from the measured results
(the cases' bottom-line and subgroup sentences, the results' interpretations); labels are in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from misyn_lab import render as r
from misyn_lab.cases.figures import (copies_figure, fidelity_figure, paired_dice_figure, pairs_figure,
                                     prompt_gallery, subgroup_figure, worst_cases_figure)
from misyn_lab.cases.segmentation import subgroup_sentence
from misyn_lab.instruments.document import review_sections
from misyn_lab.instruments.ladder import ladder_data
from misyn_lab.metrics.document import results_block
from misyn_lab.provenance.document import AUDIT_STATUS_WORDS
from misyn_lab.rungs import RUNGS
from misyn_lab.viz.ladder import ladder_figure
from misyn_lab.vocabulary import limit_label, risk_label

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.cases.case import Case

__all__ = ["PRACTICE_WORDS", "audit_blocks", "case1_evidence", "case2_evidence", "case_document", "gaps_table",
           "practice_section", "provenance_section", "reformulation_section"]

#: The practice fields of a case file, in words and in reading order.
PRACTICE_WORDS = {"summary": "Summary", "motivation": "Motivation", "task": "Task", "data": "Data",
                  "generator": "Generator", "intended_use": "Intended use", "evaluated": "What was evaluated",
                  "claimed": "What was claimed", "disclosed": "What was disclosed"}


def section_prefix(case: Case) -> str:
    """The id prefix of a case's sections (``case1-segmentation``)."""
    return r.slug(case.id)


def practice_section(case: Case, *, id: str = "") -> r.Section:
    """The practice under review, described generically, and the stand-in data said plainly."""
    blocks: list[r.Block] = [
        r.Paragraph(f"The practice under review: {case.title}. Described generically as an illustrative example of "
                    "this type of practice; the reviewed work is not named and not quoted.", role="meta"),
        r.Definitions([(r.strong(w), case.practice[f]) for f, w in PRACTICE_WORDS.items() if case.practice.get(f)])]
    if case.data.get("stand_in"):
        blocks.append(r.Paragraph(["Stand-in data: ", str(case.data["stand_in"])], role="warning"))
    return r.Section("The practice under review", blocks, id=id)


def _limit_term(limit: str) -> Any:
    return r.term(limit.lower(), limit_label(limit)) if limit else ""


def gaps_table(case: Case) -> r.Table:
    """The gaps the case declares, each tied to a checklist item, an intrinsic limit and a risk, in words."""
    rows = [[g["id"], g["item"], g["title"], _limit_term(g.get("limit", "")), risk_label(g.get("risk")),
             r.badge(g.get("severity", "")) if g.get("severity") else "", g.get("detail", "")] for g in case.gaps]
    return r.Table(["Gap", "Checklist item", "Gap found", "Intrinsic limit", "Risk", "Severity", "Detail"], rows,
                   caption="Gaps between the practice and the recommendations", empty="no gaps declared")


def reformulation_section(case: Case, *, id: str = "") -> r.Section:
    """The reformulated problem and what each rung of the evaluation ladder would need."""
    ref = case.data.get("reformulation") or {}
    if not ref:
        return r.Section("Reformulation", [r.Paragraph("This case file has no reformulation.", role="meta")], id=id)
    items = [(r.strong("Clinical problem"), ref.get("clinical_problem", "")),
             (r.strong("Why synthesis (and what first)"), ref.get("why_synthesis", "")),
             (r.strong("Stakeholders"), ", ".join(ref.get("stakeholders", []))),
             (r.strong("Intended use"), ref.get("intended_use", "")),
             (r.strong("Out of scope"), ", ".join(ref.get("out_of_scope", [])))]
    blocks: list[r.Block] = [r.Definitions(items)]
    if ref.get("design"):
        blocks.append(r.BulletList(list(ref["design"])))
    ladder = [[f"{x['rung']}. {RUNGS[int(x['rung'])].name}", x["needs"]] for x in ref.get("ladder", [])]
    blocks.append(r.Table(["Rung", "What the reformulated use would need"], ladder,
                          caption="Evaluation ladder of the reformulated use (after the paper's five-phased paradigm; "
                                  "rung names are ours)"))
    return r.Section("Reformulation", blocks, id=id)


def audit_blocks(audit: Any) -> list[r.Block]:
    """The labelling audit of a released synthetic set: counts before and after labelling, and its reading."""
    if audit is None:
        return [r.Paragraph("No audit was run.", role="meta")]
    keys = sorted(set(audit.before) | set(audit.after))
    rows = [[AUDIT_STATUS_WORDS.get(k, k.replace("_", " ")), audit.before.get(k, 0), audit.after.get(k, 0)]
            for k in keys]
    return [r.Table(["Status", "As released (no mark)", "After misyn-lab label"], rows,
                    caption=f"Audit of the {audit.n_files} released synthetic files"),
            r.Paragraph(audit.result.interpretation)]


def provenance_section(record: Mapping[str, Any] | None, *, id: str = "") -> r.Section:
    """What data and which generator a case used."""
    if not record:
        return r.Section("Provenance of data and generators",
                         [r.Paragraph("No provenance record was written.", role="meta")], id=id)
    data = [dict(x) for x in record.get("data", [])]
    gens = [dict(x) for x in record.get("generators", [])]
    blocks: list[r.Block] = [
        r.Table([c.replace("_", " ") for c in (data[0] if data else {})],
                [list(x.values()) for x in data], caption="Data", empty="no data recorded"),
        r.Table(["Name", "Version", "Description", "Fitted on"],
                [[g.get("name", ""), g.get("version", ""), g.get("description", ""), g.get("fitted_on", "")]
                 for g in gens], caption="Generators", empty="no generator recorded")]
    if record.get("notes"):
        blocks.append(r.Paragraph(str(record["notes"])))
    return r.Section("Provenance of data and generators", blocks, id=id)


def _frame(frame: Any, caption: str, words: Mapping[str, str] | None = None) -> r.Table:
    """A result frame as a table with column names in words (``_`` as spaces unless ``words`` names them)."""
    words = dict(words or {})
    return r.Table.from_frame(frame, caption=caption,
                              columns={str(c): words.get(str(c), str(c).replace("_", " ")) for c in frame.columns})


#: Column words of the case-1 subgroup tables.
DICE_WORDS = {"slice_region": "slice region", "mean (real)": "mean Dice, real only",
              "mean (real+synthetic)": "mean Dice, with synthetic", "min (real)": "worst Dice, real only",
              "min (real+synthetic)": "worst Dice, with synthetic", "count (real)": "n (real only)",
              "count (real+synthetic)": "n (with synthetic)", "mean difference": "mean change",
              "share worse with synthetic": "share worse with synthetic", "real": "Dice, real only",
              "real+synthetic": "Dice, with synthetic", "difference": "change", "image_id": "image"}


def case1_evidence(result: Any, *, prefix: str) -> list[r.Section]:
    """The measured evidence of case 1: the paired test behind "significant" (with the pseudo-replicated test
    beside it), spread, subgroups and worst cases, copies of training images, and the release audit."""
    exp = result.experiment
    first = exp.seeds[0]
    syn_im, syn_mask, train_ids = exp.synthetic[first]
    ids = result.meta["id"].astype(str).tolist()
    train = [ids.index(t) for t in train_ids]
    wide = exp.per_image().merge(result.meta[["id", "plane", "slice_region"]].rename(columns={"id": "image_id"}),
                                 on="image_id")
    paired = r.Section("The paired test behind \"significant\"", [
        r.Paragraph(["Each seed draws a new split (k training pairs, held-out real test images), a new synthetic set "
                     "fitted on the k pairs only, and a new segmenter; the same held-out images score both arms, so "
                     "the comparison is paired. The unit of replication is the seed/split (mean ",
                     r.term("dice", "Dice"), " per seed). Power is shown for the planned ",
                     r.term("mid", "minimal important difference"), ", never for the observed effect."]),
        results_block(result.paired.results(), caption=f"Per seed/split (the test behind the claim; n = "
                                                        f"{len(exp.seeds)} seeds/splits)"),
        results_block(result.paired_images.results(),
                      caption="Per (seed, held-out image) pair: pseudo-replicated (the same images recur across seeds "
                              "and share a segmenter within a seed), shown for comparison, not as the result"),
        r.figure(pairs_figure(result.images[train], result.masks[train], syn_im, syn_mask),
                 caption=f"Seed {first}: the real training pairs and synthetic pairs made from them"),
        r.figure(paired_dice_figure(exp.per_seed(), exp.per_image()),
                 caption="Mean Dice per seed/split in both arms, and the per-image change")],
        id=f"{prefix}-paired")
    worst_cols = [c for c in ("seed", "image_id", "plane", "slice_region", "real", "real+synthetic", "difference")
                  if c in result.worst]
    subgroups = r.Section("Spread, worst cases and subgroups (what a mean hides)", [
        r.figure(subgroup_figure(wide), caption="Per-image change in Dice by plane and by slice region"),
        _frame(result.by_plane, "Dice by plane", DICE_WORDS),
        _frame(result.by_region, "Dice by slice region (tertile of slice position within its plane)", DICE_WORDS),
        r.Paragraph(subgroup_sentence(result.worst_subgroup(), result.most_harmed_subgroup())),
        r.figure(worst_cases_figure(result.images, result.masks, result.meta, result.worst),
                 caption="Worst cases (top: image, bottom: its true mask)"),
        _frame(result.worst[worst_cols], "Worst cases", DICE_WORDS)], id=f"{prefix}-subgroups")
    copies: list[r.Block] = [r.Paragraph(
        "Each synthetic image is compared with its seed's training images in pixel space (intensity-normalised, "
        "tolerant of small shifts and noise). The copy threshold is calibrated on the seed's held-out real images, "
        "and the copy rate is read against the rate at which the same rule flags those held-out images.")]
    if result.copies is not None:
        copies.append(r.Paragraph(result.copies.interpretation))
        top = result.copy_pairs.head(5)
        pairs = [(exp.synthetic[int(row["seed"])][0][int(row["synthetic_index"])],
                  result.images[ids.index(row["train_id"])],
                  f"seed {int(row['seed'])}, similarity {r.fmt_number(float(row['score']))}")
                 for _, row in top.iterrows()]
        copies.append(r.figure(copies_figure(pairs, "Most similar synthetic / training pairs (top: synthetic)",
                                             takeaway=result.copies.interpretation),
                               caption="The most similar synthetic / training pairs"))
    return [paired, subgroups, r.Section("Copies of training images among the synthetic pairs", copies,
                                         id=f"{prefix}-copies"),
            r.Section("Audit of the released synthetic set", [
                r.Paragraph("The generator's output is registered when made; the practice releases plain image files. "
                            "An audit with the registry flags them; after labelling the same audit is clean."),
                *audit_blocks(result.audit)], id=f"{prefix}-audit")]


#: Column words of the case-2 per-prompt table.
PROMPT_WORDS = {"unknown words": "words not understood", "n_train": "training images",
                "n_holdout": "held-out images", "conditions_observed": "combination observed in training",
                "fidelity (mean)": "fidelity (mean)", "n_synthetic": "generated images", "frechet": "Fréchet distance",
                "copy rate": "copy rate (pixel space)"}


def case2_evidence(result: Any, *, prefix: str) -> list[r.Section]:
    """The measured evidence of case 2: prompts as parsed and generated, prompt fidelity, per-prompt coverage,
    distance and copies (each with its n), the never-observed combinations (L1), and the release audit."""
    measured = result.measured()
    fidelity = result.fidelity.rename(columns={"body_part": "body part"})
    prompts = r.Section("Prompts, parsed and generated", [
        _frame(result.parsed_table(), "Prompt parser output (vocabulary: the real metadata values)"),
        r.figure(prompt_gallery(result.samples), caption="Generated images per prompt")], id=f"{prefix}-prompts")
    fid = r.Section("Prompt fidelity", [
        r.Paragraph("Classifiers trained on REAL images only (held-out real accuracy shown) predict each requested "
                    "attribute of each generated image."),
        r.Table([a.replace("_", " ") for a in result.classifiers.real_accuracy],
                [list(result.classifiers.real_accuracy.values())],
                caption="Classifier accuracy on held-out REAL images (the ceiling)"),
        r.figure(fidelity_figure(result.fidelity), caption="Prompt fidelity per requested attribute"),
        _frame(fidelity, "Prompt fidelity (share of generated images recognised as requested; — = not requested)"),
        results_block([measured["t2i.prompt_fidelity"]], caption="Prompt fidelity over all prompts")],
        id=f"{prefix}-fidelity")
    per_prompt: list[r.Block] = [
        r.Paragraph(["Each per-prompt metric carries its n: ", r.term("prdc", "coverage"), " and ",
                     r.term("frechet", "Fréchet distance"), " are computed against the held-out real images matching "
                     "the prompt, often only a handful (see the caveat column). Copies are checked in pixel space for "
                     "prompts with few training images, against the matching held-out real images as negative "
                     "controls."]),
        _frame(result.table.drop(columns=["conditions"]), "Per prompt: counts, fidelity, coverage and Fréchet distance "
               "(PCA embedding of real thumbnails) against the matching held-out real images, with their n and "
               "caveat; pixel-space copy rate for prompts with few training images", PROMPT_WORDS)]
    extra = [measured[k] for k in ("t2i.coverage_min_prompt", "memorisation.pixel_copy_rate") if k in measured]
    if extra:
        per_prompt.append(results_block(extra, caption="Lowest per-prompt coverage and copies of training images"))
    pairs = result.copy_pairs()
    if pairs:
        copy_reading = measured["memorisation.pixel_copy_rate"].interpretation
        per_prompt.append(r.figure(copies_figure(pairs, "Most similar generated / training pairs for prompts with few "
                                                        "training images (top: synthetic)", takeaway=copy_reading),
                                   caption="The most similar generated / training pairs"))
    unseen = result.table[~result.table["conditions_observed"]]
    lines = []
    for prompt in unseen["prompt"]:
        meta = result.samples[prompt].meta
        lines.append([r.strong(prompt), " → images drawn from the observed combination(s) ",
                      r.code(str(meta["conditions_source"].iloc[0])), "; provenance of image 1: ",
                      r.code(str(meta["provenance"].iloc[0]))])
    l1 = r.Section("L1: a prompt for a combination never observed still yields a plausible image", [
        _frame(unseen[["prompt", "conditions", "n_train", "fidelity (mean)"]],
               "Prompts for never-observed combinations", PROMPT_WORDS),
        r.BulletList(lines) if lines else r.Paragraph("No prompt asked for a never-observed combination."),
        results_block([measured["t2i.unseen_combination"]], caption="Never-observed combinations")],
        id=f"{prefix}-unseen")
    return [prompts, fid, r.Section("Coverage, distance and copies per prompt", per_prompt, id=f"{prefix}-per-prompt"),
            l1, r.Section("Audit of released generated images", audit_blocks(result.audit), id=f"{prefix}-audit")]


def case_document(case: Case, review: Review, *, evidence: Sequence[r.Section] = (), bottom_line: str = "",
                  provenance: Mapping[str, Any] | None = None, notes: Sequence[str] = ()) -> r.Section:
    """A whole case as one section (id ``case-<case id>``): bottom line, practice, gaps, measured evidence,
    the review's parts (:func:`misyn_lab.instruments.document.review_sections`, with the ladder figure),
    reformulation and provenance. ``notes`` are said under the bottom line (e.g. "nothing was measured")."""
    prefix = section_prefix(case)
    head: list[r.Block] = [r.Paragraph(bottom_line, role="lead") if bottom_line
                           else r.Paragraph("No bottom line: nothing was measured for this case.", role="meta")]
    head += [r.Paragraph(n, role="note") for n in notes]
    blocks: list[r.Block] = [
        r.Section("Bottom line", head, id=f"{prefix}-bottom-line"),
        practice_section(case, id=f"{prefix}-practice"),
        r.Section("Gaps: recommendation, intrinsic limit, risk", [gaps_table(case)], id=f"{prefix}-gaps")]
    if evidence:
        blocks.append(r.Section("Measured evidence", list(evidence), id=f"{prefix}-evidence"))
    blocks += review_sections(review, prefix=prefix,
                              ladder_figure=r.figure(ladder_figure(ladder_data(review)), caption="The evaluation ladder"))
    blocks += [reformulation_section(case, id=f"{prefix}-reformulation"),
               provenance_section(provenance, id=f"{prefix}-provenance")]
    return r.Section(case.title, blocks, id=f"case-{prefix}")
