"""`ChecklistWidget`: answer the MISyn checklist in a notebook; what you type is saved to the Review file.

A thin view over :class:`misyn_lab.checklist.Review` and its save model
:class:`~misyn_lab.widgets.autosave.AnswerAutosave`: the text boxes send every keystroke to the kernel
(``continuous_update=True``); the autosave keeps the typed answers as drafts and writes them with
``review.save`` (atomic, locked, merged with other reviewers' saves) within ``debounce_s`` of the last
keystroke, without the box having to lose focus. The state label reads "unsaved" until the text is on disk.
The chosen status is shown three ways: a tick on its button, a filled button, and a text line ("Your answer: Yes").
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from misyn_lab.checklist.answers import MissingJustificationWarning
from misyn_lab.errors import InputError, MisynError
from misyn_lab.metrics.result import format_p, p_resamples
from misyn_lab import render
from misyn_lab.render import esc
from misyn_lab.vocabulary import limit_label, risk_label
from misyn_lab.widgets import _review_access as ra
from misyn_lab.widgets._frontend import StaticFallback
from misyn_lab.widgets.autosave import AnswerAutosave, SaveStatus
from misyn_lab.checklist.loader import STAGES, check_stage, load_checklist

if TYPE_CHECKING:
    from misyn_lab.checklist.review import Review
    from misyn_lab.checklist.loader import Checklist
    from misyn_lab.checklist.loader import Item

_WARN = "color:#b26a00"
_ERR = "color:#b71c1c"
_OK = "color:#1b5e20"
#: How each save state is shown: a symbol (so the state is not told by colour alone) and a colour.
_STATE_LOOK: dict[str, tuple[str, str]] = {"clean": ("✓", _OK), "saved": ("✓", _OK), "unsaved": ("●", _WARN),
                                           "failed": ("✗", _ERR), "memory": ("●", _WARN)}
#: What each status means, as the button's tooltip.
STATUS_HELP: dict[str, str] = {
    "yes": "Yes: the recommendation is met (paste the justification below)",
    "partly": "Partly: met in part (say what is missing below)",
    "no": "No: the recommendation is not met",
    "not_applicable": "N/A: does not apply here (needs a reason; never counts as yes)",
    "unknown": "Unknown: cannot tell from what is available (needs a reason; never counts as yes)",
}
#: The chosen status button is filled (dark blue, white bold text) in addition to its tick and the text line.
STATUS_CSS = ("<style>.misyn-checklist .misyn-status .widget-toggle-button.mod-active,"
              ".misyn-checklist .misyn-status button.mod-active{background:#0d47a1;color:#fff;font-weight:bold;"
              "box-shadow:0 0 0 2px #0d47a1}</style>")


def evidence_line(record: dict) -> str:
    """One line for an evidence record: ``key = value [ci] (p) — interpretation`` (pure)."""
    res = record.get("result") if isinstance(record.get("result"), dict) else record
    key = res.get("key") or record.get("key") or record.get("kind") or "evidence"
    text = str(key)
    value = res.get("value")
    if isinstance(value, (int, float)):
        text += f" = {value:.3g}"
    ci = res.get("ci")
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(isinstance(c, (int, float)) for c in ci):
        text += f" [{ci[0]:.3g}, {ci[1]:.3g}]"
    if isinstance(res.get("p_value"), (int, float)):
        resamples, tails = p_resamples(res.get("details") or {})  # a permutation p at its floor is said so
        text += f" ({format_p(res['p_value'], resamples=resamples, tails=tails)})"
    interp = res.get("interpretation") or record.get("interpretation") or record.get("text") or ""
    return f"{text} — {interp}" if interp else text


def item_evidence_ids(review: Review, item: Item, answer: dict | None) -> list[str]:
    """Evidence ids shown under an item: those cited by the answer, then those linked to the item or cited
    by any reviewer (``review.evidence_for``), then stored evidence whose metric key the item names (pure)."""
    store = ra.evidence_store(review)
    ids = [str(e) for e in (answer or {}).get("evidence") or []]
    ids += [str(e) for e in review.evidence_for(item.id) if str(e) not in ids]
    keys = set(getattr(item, "metric_keys", ()) or ())
    for eid, rec in store.items():
        res = rec.get("result") if isinstance(rec.get("result"), dict) else rec
        if eid not in ids and res.get("key") in keys:
            ids.append(eid)
    return ids


def stage_progress(review: Review, items: Sequence[Item], reviewer: str,
                   drafts: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> tuple[int, int, int]:
    """``(answered, complete, total)`` for ``reviewer`` over ``items``; complete = answered with no warning.

    ``drafts`` (``{(item_id, reviewer): (status, justification)}``, not yet saved) take precedence over the
    review's answers. A note without a status (``"unanswered"``) does not count as answered (pure)."""
    answered = complete = 0
    for it in items:
        ans = ra.answer_of(review, it.id, reviewer)
        draft = (drafts or {}).get((it.id, reviewer))
        if draft is not None:
            ans = {"status": draft[0], "justification": draft[1]}
        if ans and ans.get("status") in ra.STATUSES:
            answered += 1
            if not ra.answer_problem(ans.get("status"), ans.get("justification", "")):
                complete += 1
    return answered, complete, len(items)


def disagreements(review: Review, item_id: str) -> dict[str, str]:
    """``{reviewer: status}`` when reviewers gave different statuses for the item, else ``{}`` (pure)."""
    statuses = {r: a.get("status") for r, a in ra.answers_for(review, item_id).items()
                if a.get("status") in ra.STATUSES}
    return statuses if len(set(statuses.values())) > 1 else {}


def _words(status: str | None) -> str:
    """A status as the buttons name it ("N/A", not "not_applicable"); no status -> "not answered yet"."""
    return ra.STATUS_LABELS.get(status or "", "not answered yet")


class _ItemView(w.VBox):
    """The controls of one checklist item."""

    def __init__(self, owner: ChecklistWidget, item: Item):
        self.owner, self.item = owner, item
        head = (f"<b>{esc(item.id)} · {esc(item.title)}</b> <small>({esc(item.source)}, severity "
                f"{esc(item.severity)})</small><br>{esc(item.question)}")
        why = w.HTML(render.to_html([
            render.Paragraph(item.why),
            render.Paragraph([render.strong("Intrinsic limits:"), " " + ", ".join(map(limit_label, item.limits)),
                              " · ", render.strong("Risks:"), " " + ", ".join(map(risk_label, item.risks))]),
            render.Paragraph([render.strong("What counts as evidence:"), " " + item.evidence])]))
        self.why = w.Accordion(children=[why], selected_index=None)
        self.why.set_title(0, "Why it matters")
        self.status = w.ToggleButtons(options=[(ra.STATUS_LABELS[s], s) for s in ra.STATUSES], value=None,
                                      tooltips=[STATUS_HELP[s] for s in ra.STATUSES],
                                      style={"button_width": "96px"})
        self.status.add_class("misyn-status")
        self.chosen = w.HTML()
        self.chosen.add_class("misyn-chosen")
        self.justification = w.Textarea(placeholder="Justification / reason (paste wording, results, documents)",
                                        continuous_update=True, layout=w.Layout(width="95%", height="60px"))
        self.warning = w.HTML()
        self.evidence = w.HTML()
        self.others = w.HTML()
        self.status.observe(self._changed, names="value")
        self.justification.observe(self._changed, names="value")
        super().__init__([w.HTML(head), self.why, w.HBox([self.status, self.chosen]), self.justification,
                          self.warning, self.evidence, self.others],
                         layout=w.Layout(border="1px solid #ddd", padding="4px", margin="4px 0"))
        self.add_class("misyn-item")
        self.show_choice()

    def _changed(self, _change: dict) -> None:
        self.show_choice()
        if not self.owner._loading:
            self.owner._on_edit(self.item.id, self.status.value, self.justification.value)

    def show_choice(self) -> None:
        """Tick the chosen button and say the choice in words (the filled colour comes from STATUS_CSS)."""
        value = self.status.value
        icons = ["check" if s == value else "" for s in ra.STATUSES]
        if list(self.status.icons) != icons:
            self.status.icons = icons
        if value in ra.STATUSES:
            self.chosen.value = (f'<span role="status" data-status="{esc(value)}">Your answer: '
                                 f"<b>✓ {esc(ra.STATUS_LABELS[value])}</b></span>")
        else:
            self.chosen.value = '<span role="status" data-status="">Your answer: <i>none chosen yet</i></span>'

    def refresh(self) -> None:
        ans = self.owner.autosave.current(self.item.id, self.owner.reviewer) or {}
        st = ans.get("status")
        self.status.value = st if st in ra.STATUSES else None
        self.justification.value = ans.get("justification") or ""
        self.show_choice()
        self.refresh_notes()

    def refresh_warning(self) -> None:
        """The missing-justification/reason note, from what is on screen (reads no review data)."""
        problem = ra.answer_problem(self.status.value, self.justification.value)
        self.warning.value = f'<span style="{_WARN}">⚠ {esc(problem)}</span>' if problem else ""

    def refresh_notes(self) -> None:
        """Warning, evidence and other reviewers' answers (call holding the autosave's save lock)."""
        review, reviewer = self.owner.review, self.owner.reviewer
        ans = ra.answer_of(review, self.item.id, reviewer)
        self.refresh_warning()
        store = ra.evidence_store(review)
        lines = [f"<li><code>{esc(eid)}</code>: {esc(evidence_line(store[eid]))}</li>"
                 for eid in item_evidence_ids(review, self.item, ans) if eid in store]
        self.evidence.value = f"<b>Evidence</b><ul>{''.join(lines)}</ul>" if lines else ""
        others = {r: a for r, a in ra.answers_for(review, self.item.id).items() if r != reviewer}
        parts = [f"<li>{esc(r)}: <b>{esc(_words(a.get('status')))}</b> — {esc(a.get('justification', ''))}</li>"
                 for r, a in sorted(others.items())]
        dis = disagreements(review, self.item.id)
        note = (f'<span style="{_ERR}">Reviewers disagree: '
                + esc(", ".join(f"{r}={s}" for r, s in sorted(dis.items()))) + "</span>") if dis else ""
        self.others.value = (f"<b>Other reviewers (read-only)</b><ul>{''.join(parts)}</ul>{note}") if parts else ""


class ChecklistWidget(StaticFallback, w.VBox):
    """Interactive checklist for one stage (or all stages) of a Review.

    Parameters
    ----------
    review:
        The :class:`misyn_lab.checklist.Review` to edit.
    stage:
        One of ``misyn_lab.checklist.STAGES``, or ``None`` for every stage.
    reviewer:
        Whose answers are edited; other reviewers' answers are shown read-only.
    path:
        Review file; what is typed is saved there while typing (debounced). ``None`` keeps changes in memory.
    checklist:
        The checklist (default: ``load_checklist()``).
    debounce_s:
        Seconds of quiet after the last keystroke or click before the answers are written (at most 1 s keeps
        the promise of the notebooks); ``0`` saves at once. :meth:`flush` saves now; pending answers are also
        saved when the widget is closed and when the kernel shuts down or restarts.
    max_wait_s:
        While typing goes on without a pause, the answers are still written this often.

    Examples
    --------
    >>> from misyn_lab.checklist import Review
    >>> from misyn_lab.widgets import ChecklistWidget
    >>> review = Review.new("demo", reviewer="ana")
    >>> widget = ChecklistWidget(review, "technical_standards", reviewer="ana")   # built, not displayed
    >>> widget.static_text().splitlines()[0]
    'Checklist (technical_standards) — reviewer ana'
    >>> widget.close()
    """

    def __init__(self, review: Review, stage: str | None = None, *, reviewer: str, path: str | Path | None = None,
                 checklist: Checklist | None = None, debounce_s: float = 0.5, max_wait_s: float = 5.0):

        if not str(reviewer or "").strip():
            raise InputError("a reviewer name is needed", path="ChecklistWidget.reviewer",
                             remedy="pass reviewer='your name or initials'")
        self.review, self.path = review, None if path is None else Path(path)
        self.checklist = checklist if checklist is not None else getattr(review, "checklist", None) or load_checklist()
        self.stages = tuple(STAGES) if stage is None else (check_stage(stage),)
        self.stage, self.debounce_s = stage, float(debounce_s)
        self.reviewer = str(reviewer)
        self._loading = False
        self.state = w.HTML()
        self.state.add_class("misyn-save-state")
        self.state_text = ""
        self.autosave = AnswerAutosave(review, self.path, delay_s=self.debounce_s,
                                       max_wait_s=max(float(max_wait_s), self.debounce_s), on_status=self._show_state,
                                       on_saved=self._after_save)
        names = sorted(set(review.reviewers) | {self.reviewer})
        self.reviewer_box = w.Dropdown(options=names, value=self.reviewer, description="Reviewer")
        self.reviewer_box.observe(lambda c: self.set_reviewer(c["new"]), names="value")
        self.items: dict[str, _ItemView] = {}
        self.progress: dict[str, tuple[w.IntProgress, w.HTML]] = {}
        body: list[w.Widget] = []
        for st in self.stages:
            stage_items = self.checklist.by_stage(st)
            bar = w.IntProgress(min=0, max=len(stage_items), description=st.replace("_", " ")[:16])
            txt = w.HTML()
            self.progress[st] = (bar, txt)
            body.append(w.HBox([bar, txt]))
            for it in stage_items:
                self.items[it.id] = _ItemView(self, it)
                body.append(self.items[it.id])
        super().__init__([w.HTML(STATUS_CSS), w.HBox([self.reviewer_box, self.state])] + body)
        self.add_class("misyn-checklist")
        self._reload()
        self._show_state(self.autosave.status)

    # ------------------------------------------------------------------ public API
    def set_reviewer(self, reviewer: str) -> None:
        """Switch whose answers are edited (pending changes are saved first)."""
        self.flush()
        self.reviewer = str(reviewer)
        if self.reviewer not in self.reviewer_box.options:
            self.reviewer_box.options = sorted(set(self.reviewer_box.options) | {self.reviewer})
        if self.reviewer_box.value != self.reviewer:
            self.reviewer_box.value = self.reviewer
        self._reload()

    def attach_evidence(self, item_id: str, metric_result: Any, *, rung: int = 1,
                        source: str = "notebook") -> str:
        """Store ``metric_result`` (a MetricResult or its dict) as evidence, link it to ``item_id`` in the
        review file (``review.link_evidence``) and cite it in this reviewer's answer; returns the evidence id.
        The answer's status is kept; with no answer yet the item stays open and the evidence (its saved link)
        is cited when this reviewer answers it, in this session or a later one."""
        item = self.checklist.item(item_id)
        with self.autosave.editing() as review:
            eid = review.add_evidence(metric_result, rung=rung, source=source, reviewer=self.reviewer)
            review.link_evidence(item.id, eid, reviewer=self.reviewer)
            ans = ra.answer_of(review, item.id, self.reviewer) or {}
            cited = [str(e) for e in ans.get("evidence") or []]
            if eid not in cited:
                cited.append(eid)
            if ans.get("status"):
                self._record_quietly(item.id, ans["status"], ans.get("justification", ""), cited)
            if item.id in self.items:
                self.items[item.id].refresh_notes()
        self.autosave.changed()
        return eid

    def flush(self) -> bool:
        """Save pending changes now; True when everything typed is on disk afterwards."""
        return self.autosave.flush()

    def close(self) -> None:
        """Save pending changes, then close the widget's views (ipywidgets also calls this on garbage collection)."""
        autosave = getattr(self, "autosave", None)  # absent when the constructor refused its arguments
        if autosave is not None:
            autosave.close()
        super().close()

    @property
    def saved(self) -> bool:
        """True when nothing typed in this session is missing from the review file."""
        return self.autosave.status.on_disk

    @property
    def last_error(self) -> str | None:
        """Why the last save failed, or ``None``."""
        return self.autosave.last_error

    @property
    def save_count(self) -> int:
        """How many times this widget wrote the review file."""
        return self.autosave.save_count

    # ------------------------------------------------------------------ internals
    def _record_quietly(self, item_id: str, status: str, justification: str, cited: list[str]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MissingJustificationWarning)
            self.review.set_answer(item_id, self.reviewer, status, justification, evidence=cited)

    def _on_edit(self, item_id: str, status: str | None, justification: str) -> None:
        view = self.items[item_id]
        try:  # a justification typed before any status is kept too, as an "unanswered" note
            self.autosave.edit(item_id, self.reviewer, status or "unanswered", justification or "")
        except MisynError as exc:
            if status in ra.NEEDS_REASON and not (justification or "").strip():
                msg = ra.answer_problem(status, justification) + " Type it below; the answer is recorded then."
                view.warning.value = f'<span style="{_WARN}">⚠ {esc(msg)}</span>'
            else:
                view.warning.value = f'<span style="{_ERR}">Not recorded: {esc(exc)}</span>'
            return
        view.refresh_warning()
        self._refresh_progress()

    def _after_save(self) -> None:
        """After each save (under the save lock): other reviewers' answers and evidence may have been merged in."""
        for view in self.items.values():
            view.refresh_notes()
        self._refresh_progress()

    def _show_state(self, status: SaveStatus) -> None:
        self.state_text = status.text
        symbol, style = _STATE_LOOK[status.kind]
        self.state.value = (f'<span role="status" data-state="{esc(status.kind)}" style="{style}">{symbol} '
                            f"{esc(status.text)}</span>")

    def _reload(self) -> None:
        self._loading = True
        try:
            with self.autosave.editing():
                for view in self.items.values():
                    view.refresh()
        finally:
            self._loading = False
        self._refresh_progress()

    def _refresh_progress(self) -> None:
        drafts = self.autosave.drafts()
        for st, (bar, txt) in self.progress.items():
            with self.autosave.editing():  # the timer thread may be recording answers
                answered, complete, total = stage_progress(self.review, self.checklist.by_stage(st),
                                                           self.reviewer, drafts)
            bar.value = answered
            missing = answered - complete
            txt.value = (f"{answered} of {total} answered" + (f" · {missing} need a justification/reason"
                                                              if missing else ""))

    # ------------------------------------------------------------------ static fallback
    def static_text(self) -> str:
        lines = [f"Checklist ({', '.join(self.stages)}) — reviewer {self.reviewer}"]
        for st in self.stages:
            answered, complete, total = stage_progress(self.review, self.checklist.by_stage(st), self.reviewer)
            lines.append(f"  {st}: {answered}/{total} answered, {complete} complete")
        return "\n".join(lines)

    def static_document(self) -> render.Section:
        """The items, this reviewer's answers, evidence and other reviewers' answers, one table per stage."""
        head: list[Any] = ["Reviewer ", render.strong(self.reviewer)]
        if self.path is not None:
            head += ([" — saved to ", render.code(str(self.path))] if self.saved else
                     [" — ", render.strong(self.autosave.status.text), " (", render.code(str(self.path)), ")"])
        blocks: list[render.Block] = [render.Paragraph(head)]
        store = ra.evidence_store(self.review)
        for st in self.stages:
            items = self.checklist.by_stage(st)
            answered, complete, total = stage_progress(self.review, items, self.reviewer)
            rows = []
            for it in items:
                ans = ra.answer_of(self.review, it.id, self.reviewer) or {}
                ev = "; ".join(evidence_line(store[e]) for e in item_evidence_ids(self.review, it, ans) if e in store)
                others: list[Any] = [", ".join(f"{r}: {_words(a.get('status'))}" for r, a in
                                               sorted(ra.answers_for(self.review, it.id).items())
                                               if r != self.reviewer)]
                if disagreements(self.review, it.id):
                    others.append(render.strong(" (disagreement)"))
                rows.append([f"{it.id} {it.title}", it.question, _words(ans.get("status")),
                             ans.get("justification", ""), ev, others])
            blocks.append(render.Table(["Item", "Question", "Answer", "Justification", "Evidence", "Other reviewers"],
                                       rows, caption=f"{st.replace('_', ' ').capitalize()}: {answered} of {total} "
                                                     f"answered ({complete} complete)"))
        return render.Section("Checklist", blocks, role="misyn-checklist-static")

    def static_html(self) -> str:
        return render.to_html(self.static_document(), level=4)
