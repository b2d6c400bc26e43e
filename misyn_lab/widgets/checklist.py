"""`ChecklistWidget`: answer the MISyn checklist in a notebook; every change is saved to the Review file.

A thin view over :class:`misyn_lab.checklist.Review`: the Review holds the answers and evidence; the widget
reads them, writes each change with ``review.set_answer`` and saves the file through ``review.save`` (atomic,
locked, revision-checked), debounced so typing does not write on every key.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w

from misyn_lab.checklist.answers import MissingJustificationWarning
from misyn_lab.errors import InputError, MisynError
from misyn_lab.viz.html import esc
from misyn_lab.widgets import _review_access as ra
from misyn_lab.widgets._frontend import StaticFallback

_WARN = "color:#b26a00"
_ERR = "color:#b71c1c"
_OK = "color:#1b5e20"


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
        text += f" (p = {res['p_value']:.3g})"
    interp = res.get("interpretation") or record.get("interpretation") or record.get("text") or ""
    return f"{text} — {interp}" if interp else text


def item_evidence_ids(review: Any, item: Any, answer: dict | None) -> list[str]:
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


def stage_progress(review: Any, items: Sequence[Any], reviewer: str) -> tuple[int, int, int]:
    """``(answered, complete, total)`` for ``reviewer`` over ``items``; complete = answered with no warning."""
    answered = complete = 0
    for it in items:
        ans = ra.answer_of(review, it.id, reviewer)
        if ans and ans.get("status"):
            answered += 1
            if not ra.answer_problem(ans.get("status"), ans.get("justification", "")):
                complete += 1
    return answered, complete, len(items)


def disagreements(review: Any, item_id: str) -> dict[str, str]:
    """``{reviewer: status}`` when reviewers gave different statuses for the item, else ``{}`` (pure)."""
    statuses = {r: a.get("status") for r, a in ra.answers_for(review, item_id).items() if a.get("status")}
    return statuses if len(set(statuses.values())) > 1 else {}


class _ItemView(w.VBox):
    """The controls of one checklist item."""

    def __init__(self, owner: "ChecklistWidget", item: Any):
        self.owner, self.item = owner, item
        head = (f"<b>{esc(item.id)} · {esc(item.title)}</b> <small>({esc(item.source)}, severity "
                f"{esc(item.severity)})</small><br>{esc(item.question)}")
        why = w.HTML(f"<p>{esc(item.why)}</p><p><b>Limits:</b> {esc(', '.join(item.limits))} · <b>Risks:</b> "
                     f"{esc(', '.join(item.risks))}</p><p><b>What counts as evidence:</b> {esc(item.evidence)}</p>")
        self.why = w.Accordion(children=[why], selected_index=None)
        self.why.set_title(0, "Why it matters")
        self.status = w.ToggleButtons(options=[(ra.STATUS_LABELS[s], s) for s in ra.STATUSES], value=None,
                                      style={"button_width": "88px"})
        self.status.add_class("misyn-status")
        self.justification = w.Textarea(placeholder="Justification / reason (paste wording, results, documents)",
                                        continuous_update=False, layout=w.Layout(width="95%", height="60px"))
        self.warning = w.HTML()
        self.evidence = w.HTML()
        self.others = w.HTML()
        self.status.observe(self._changed, names="value")
        self.justification.observe(self._changed, names="value")
        super().__init__([w.HTML(head), self.why, self.status, self.justification, self.warning, self.evidence,
                          self.others], layout=w.Layout(border="1px solid #ddd", padding="4px", margin="4px 0"))
        self.add_class("misyn-item")

    def _changed(self, _change: dict) -> None:
        if not self.owner._loading:
            self.owner._on_edit(self.item.id, self.status.value, self.justification.value)

    def refresh(self) -> None:
        review, reviewer = self.owner.review, self.owner.reviewer
        ans = ra.answer_of(review, self.item.id, reviewer) or {}
        st = ans.get("status")
        self.status.value = st if st in ra.STATUSES else None
        self.justification.value = ans.get("justification") or ""
        self.refresh_notes()

    def refresh_notes(self) -> None:
        review, reviewer = self.owner.review, self.owner.reviewer
        ans = ra.answer_of(review, self.item.id, reviewer)
        problem = ra.answer_problem(self.status.value, self.justification.value)
        self.warning.value = f'<span style="{_WARN}">⚠ {esc(problem)}</span>' if problem else ""
        store = ra.evidence_store(review)
        lines = [f"<li><code>{esc(eid)}</code>: {esc(evidence_line(store[eid]))}</li>"
                 for eid in item_evidence_ids(review, self.item, ans) if eid in store]
        self.evidence.value = f"<b>Evidence</b><ul>{''.join(lines)}</ul>" if lines else ""
        others = {r: a for r, a in ra.answers_for(review, self.item.id).items() if r != reviewer}
        parts = [f"<li>{esc(r)}: <b>{esc(a.get('status'))}</b> — {esc(a.get('justification', ''))}</li>"
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
        Review file; every change is saved there (debounced). ``None`` keeps changes in memory only.
    checklist:
        The checklist (default: ``load_checklist()``).
    debounce_s:
        Seconds of quiet before a change is written; ``0`` saves at once. :meth:`flush` saves now.
    """

    def __init__(self, review: Any, stage: str | None = None, *, reviewer: str, path: str | Path | None = None,
                 checklist: Any = None, debounce_s: float = 0.5):
        from misyn_lab.checklist.loader import STAGES, check_stage, load_checklist

        if not str(reviewer or "").strip():
            raise InputError("a reviewer name is needed", path="ChecklistWidget.reviewer",
                             remedy="pass reviewer='your name or initials'")
        self.review, self.path = review, None if path is None else Path(path)
        self.checklist = checklist if checklist is not None else getattr(review, "checklist", None) or load_checklist()
        self.stages = tuple(STAGES) if stage is None else (check_stage(stage),)
        self.stage, self.debounce_s = stage, float(debounce_s)
        self.reviewer = str(reviewer)
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self._dirty = False
        self._loading = False
        self.last_error: str | None = None
        self.save_count = 0
        self.state_text = ""
        names = sorted(set(review.reviewers) | {self.reviewer})
        self.reviewer_box = w.Dropdown(options=names, value=self.reviewer, description="Reviewer")
        self.reviewer_box.observe(lambda c: self.set_reviewer(c["new"]), names="value")
        self.state = w.HTML()
        self.state.add_class("misyn-save-state")
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
        super().__init__([w.HBox([self.reviewer_box, self.state])] + body)
        self.add_class("misyn-checklist")
        self._reload()
        self._set_state("saved" if self.path is not None and self.path.exists() else "not saved yet", _OK)

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
        with self._lock:
            eid = self.review.add_evidence(metric_result, rung=rung, source=source, reviewer=self.reviewer)
            self.review.link_evidence(item.id, eid, reviewer=self.reviewer)
            ans = ra.answer_of(self.review, item.id, self.reviewer) or {}
            cited = [str(e) for e in ans.get("evidence") or []]
            if eid not in cited:
                cited.append(eid)
            if ans.get("status"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MissingJustificationWarning)
                    self.review.set_answer(item.id, self.reviewer, ans["status"], ans.get("justification", ""),
                                           evidence=cited)
            self._mark_dirty()
        if item.id in self.items:
            self.items[item.id].refresh_notes()
        return eid

    def flush(self) -> bool:
        """Save pending changes now; True when the file is up to date afterwards."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._dirty:
                return self.last_error is None
            if self.path is None:
                self._set_state("changed (in memory; no review file given)", _WARN)
                return False
            try:
                self.review.save(self.path)
            except (MisynError, OSError) as exc:
                self.last_error = str(exc)
                self._set_state(f"NOT saved: {exc}", _ERR)
                return False
            self._dirty, self.last_error = False, None
            self.save_count += 1
            self._set_state(f"saved {time.strftime('%H:%M:%S')} → {self.path.name}", _OK)
            return True

    @property
    def saved(self) -> bool:
        return not self._dirty and self.last_error is None

    # ------------------------------------------------------------------ internals
    def _on_edit(self, item_id: str, status: str | None, justification: str) -> None:
        view = self.items[item_id]
        if status is None:
            view.refresh_notes()
            return
        with self._lock:
            ans = ra.answer_of(self.review, item_id, self.reviewer) or {}
            cited = [str(e) for e in ans.get("evidence") or []]
            cited += [e for e in ra.linked_by(self.review, item_id, self.reviewer) if e not in cited]
            try:
                with warnings.catch_warnings():  # the view shows its own CLAIM-style warning
                    warnings.simplefilter("ignore", MissingJustificationWarning)
                    self.review.set_answer(item_id, self.reviewer, status, justification or "", evidence=cited)
            except MisynError as exc:
                if status in ra.NEEDS_REASON and not (justification or "").strip():
                    msg = ra.answer_problem(status, justification) + " Type it below; the answer is recorded then."
                    view.warning.value = f'<span style="{_WARN}">⚠ {esc(msg)}</span>'
                else:
                    view.warning.value = f'<span style="{_ERR}">Not recorded: {esc(exc)}</span>'
                return  # the saved link is cited on the next try
            self._mark_dirty()
        view.refresh_notes()
        self._refresh_progress()

    def _mark_dirty(self) -> None:
        self._dirty = True
        self._set_state("unsaved changes…", _WARN)
        if self.debounce_s <= 0:
            self.flush()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.debounce_s, self.flush)
        self._timer.daemon = True
        self._timer.start()

    def _set_state(self, text: str, style: str) -> None:
        self.state_text = text
        self.state.value = f'<span style="{style}">{esc(text)}</span>'

    def _reload(self) -> None:
        self._loading = True
        try:
            for view in self.items.values():
                view.refresh()
        finally:
            self._loading = False
        self._refresh_progress()

    def _refresh_progress(self) -> None:
        for st, (bar, txt) in self.progress.items():
            answered, complete, total = stage_progress(self.review, self.checklist.by_stage(st), self.reviewer)
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

    def static_html(self) -> str:
        """A static table of the items, this reviewer's answers, evidence and other reviewers' answers."""
        out = [f'<div class="misyn-checklist-static"><p><b>Checklist</b> — reviewer <b>{esc(self.reviewer)}</b>'
               + (f" — saved to <code>{esc(self.path)}</code>" if self.path else "") + "</p>"]
        store = ra.evidence_store(self.review)
        for st in self.stages:
            items = self.checklist.by_stage(st)
            answered, complete, total = stage_progress(self.review, items, self.reviewer)
            out.append(f"<h4>{esc(st.replace('_', ' ').capitalize())}: {answered} of {total} answered "
                       f"({complete} complete)</h4>")
            out.append("<table><tr><th>Item</th><th>Question</th><th>Answer</th><th>Justification</th>"
                       "<th>Evidence</th><th>Other reviewers</th></tr>")
            for it in items:
                ans = ra.answer_of(self.review, it.id, self.reviewer) or {}
                ev = "<br>".join(esc(evidence_line(store[e])) for e in item_evidence_ids(self.review, it, ans)
                                 if e in store)
                others = ", ".join(f"{esc(r)}: {esc(a.get('status'))}" for r, a in
                                   sorted(ra.answers_for(self.review, it.id).items()) if r != self.reviewer)
                if disagreements(self.review, it.id):
                    others += " <b>(disagreement)</b>"
                status = ans.get("status") or "[More information needed]"
                out.append(f"<tr><td>{esc(it.id)} {esc(it.title)}</td><td>{esc(it.question)}</td>"
                           f"<td>{esc(status)}</td><td>{esc(ans.get('justification', ''))}</td><td>{ev}</td>"
                           f"<td>{others}</td></tr>")
            out.append("</table>")
        return "".join(out) + "</div>"
