"""`ReaderStudyWidget`: run a reader study (visual Turing test) in a notebook.

A thin view over :class:`misyn_lab.instruments.reader_study.ReaderStudy`: the study holds the tiles and
their hidden truth, the Review holds the answers. This test mode is the only place misyn-lab shows a
synthetic image without its SYNTHETIC marker; the widget says so on screen the whole time, and the reveal at
the end marks every synthetic tile. Without a widget front end (papermill, nbconvert) it renders a static
explanation and records nothing.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as w
from IPython.display import Markdown

from misyn_lab.errors import MisynError
from misyn_lab.instruments.reader_study import STATIC_EXPLANATION, ReaderStudy
from misyn_lab.metrics.result import format_p
from misyn_lab import render
from misyn_lab.render import esc
from misyn_lab.widgets._figures import tile_png
from misyn_lab.widgets._frontend import StaticFallback, widgets_live

TEST_MODE_NOTICE = ("TEST MODE: in this reader study synthetic images are shown WITHOUT their SYNTHETIC "
                    "marker, so that you can judge them. This is the only place misyn-lab does that. Every "
                    "synthetic tile is revealed and marked at the end.")
class ReaderStudyWidget(StaticFallback, w.VBox):
    """One reader's session of a reader study.

    Parameters
    ----------
    study:
        The :class:`ReaderStudy` (attach a Review to it so answers are stored).
    reader:
        The reader's name or pseudonym; a returning reader continues where they stopped.
    save_path:
        When given, the study's review is saved there after every answer (Voilà starts a fresh kernel per
        visit, so answers must never wait in memory).
    tile_size:
        Display size of a tile in pixels.
    debrief:
        Markdown shown after the reveal (e.g. the debrief of a class reader study,
        :func:`misyn_lab.workbook.consent.debrief_text`); the front end renders it.

    The tiles come in the reader's own order (:meth:`ReaderStudy.order_for`).
    """

    def __init__(self, study: ReaderStudy, reader: str, *, save_path: str | Path | None = None, tile_size: int = 256,
                 debrief: str | None = None):
        self.study = study
        self.debrief = debrief
        self.reader = str(reader).strip()
        self.save_path = None if save_path is None else Path(save_path)
        self.tile_size = tile_size
        self.live = widgets_live()
        self.notice = w.HTML(f"<div style='background:#fff3cd;border:2px solid #b26a00;padding:6px;"
                             f"font-weight:bold'>{esc(TEST_MODE_NOTICE)}</div>")
        self.progress = w.HTML()
        self.image = w.Image(format="png", width=tile_size, height=tile_size)
        self.confidence = w.IntSlider(value=3, min=1, max=5, description="Confidence",
                                      style={"description_width": "initial"})
        self.confidence_hint = w.HTML("<small>1 = guessing … 5 = certain</small>")
        self.btn_real = w.Button(description="Real", button_style="info")
        self.btn_syn = w.Button(description="Synthetic", button_style="warning")
        self.btn_real.on_click(lambda _b: self.answer("real"))
        self.btn_syn.on_click(lambda _b: self.answer("synthetic"))
        self.message = w.HTML()
        self.reveal_box = w.VBox()
        self.current: str | None = None
        super().__init__([])
        self._next()

    # ------------------------------------------------------------------ flow
    def remaining(self) -> list[str]:
        done = self.study.answered_by(self.reader)
        return [t for t in self.study.order_for(self.reader) if t not in done]

    def _next(self) -> None:
        todo = self.remaining()
        if not todo:
            self.current = None
            self._show_reveal()
            return
        self.current = todo[0]
        tile = next(t for t in self.study.tiles if t.id == self.current)
        self.image.value = tile_png(tile.image, marked=False, size=self.tile_size)  # test mode: no marker
        n_done = len(self.study) - len(todo)
        self.progress.value = (f"<b>Reader {esc(self.reader)}</b>: tile {n_done + 1} of {len(self.study)} "
                               f"({esc(self.current)}). Is this image real or synthetic?")
        self.children = [self.notice, self.progress, self.image, self.confidence, self.confidence_hint,
                         w.HBox([self.btn_real, self.btn_syn]), self.message]

    def answer(self, answer: str) -> dict | None:
        """Record the answer for the current tile (what the buttons call) and move on.

        Records nothing without a live front end (headless runs)."""
        if not self.live or self.current is None:
            return None
        try:
            record = self.study.record_answer(self.reader, self.current, answer, int(self.confidence.value))
            if self.save_path is not None and self.study.review is not None:
                self.study.review.save(self.save_path)
        except MisynError as exc:
            self.message.value = f"<span style='color:#b71c1c'>{esc(exc)}</span>"
            return None
        self.message.value = ""
        self._next()
        return record

    def _show_reveal(self) -> None:
        truth = self.study.reveal()
        mine = {r["tile_id"]: r for r in self.study.answers() if r.get("reader") == self.reader}
        cells = []
        for tile in self.study.tiles:
            is_syn = truth[tile.id] == "synthetic"
            img = w.Image(value=tile_png(tile.image, marked=is_syn, size=128), format="png", width=128, height=128)
            given = mine.get(tile.id, {}).get("answer", "—")
            ok = "✓" if given == truth[tile.id] else "✗"
            cells.append(w.VBox([img, w.HTML(f"<small>{esc(tile.id)}: {esc(truth[tile.id])}; you said "
                                             f"{esc(given)} {ok}</small>")]))
        self.reveal_box.children = [w.GridBox(cells, layout=w.Layout(
            grid_template_columns="repeat(5, 140px)", grid_gap="6px"))]
        self.children = [w.HTML("<b>Reveal</b>: every synthetic tile now carries its SYNTHETIC marker."),
                         w.HTML(self.results_html()), self.reveal_box,
                         *([self._debrief_view()] if self.debrief else [])]

    def _debrief_view(self) -> w.Output:
        out = w.Output()
        out.append_display_data(Markdown(self.debrief))
        return out

    # ------------------------------------------------------------------ static views
    def results_blocks(self) -> list[render.Block]:
        """Per-reader accuracy with its Wilson CI and p against chance, and the study's reading."""
        if not self.study.answers():
            return [render.Paragraph("No answers recorded yet.", role="meta")]
        res = self.study.results()
        rows = [[r, f"{a.correct}/{a.n}", render.fmt_percent(a.accuracy),
                 f"{render.fmt_percent(a.ci[0])} to {render.fmt_percent(a.ci[1])}", format_p(a.p_value)]
                for r, a in res.per_reader.items()]
        return [render.Paragraph(res.interpretation()),
                render.Table(["Reader", "Correct", "Accuracy", "Wilson CI", "p vs chance"], rows)]

    def results_html(self) -> str:
        return render.to_html(self.results_blocks(), level=4)

    def static_html(self) -> str:
        blocks = [render.Paragraph(f"{len(self.study)} tiles."), render.Paragraph(STATIC_EXPLANATION)]
        if self.study.answers():
            blocks += self.results_blocks()
        return render.to_html(render.Section(f"Reader study {self.study.study_id}", blocks,
                                             role="misyn-reader-study"), level=4)

    def static_text(self) -> str:
        return f"ReaderStudyWidget(study={self.study.study_id}, reader={self.reader}, tiles={len(self.study)})"


__all__ = ["TEST_MODE_NOTICE", "ReaderStudyWidget"]
