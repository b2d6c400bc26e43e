"""Run the workbook's notebooks headless (papermill) and turn them into code-free HTML fragments (nbconvert).

One job: notebook in, executed notebook + HTML body out. Assembling the review report is
:mod:`misyn_lab.report.assemble`; escaping and page layout are :mod:`misyn_lab.report.html`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from misyn_lab import notebooks
from misyn_lab.errors import InputError, MisynError


class NotebookFailed(MisynError, RuntimeError):
    """A notebook raised while executing; the executed notebook (with the error) is kept at ``path``."""


def prepare_notebook(name: str, folder: str | Path) -> Path:
    """Write the bundled notebook ``name`` (e.g. ``"case1_segmentation.ipynb"``) as ``<folder>/<stem>.ipynb``
    from its MyST source, ready for papermill; :class:`InputError` names the known notebooks if missing."""
    source = notebooks.source_path(name)
    return notebooks.write_ipynb(notebooks.read(source.stem), Path(folder) / f"{source.stem}.ipynb")


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """Names and default values of a notebook's ``parameters``-tagged cell, as papermill inspects them.

    Uses :func:`papermill.inspect_notebook` (the same reading papermill uses when it injects values); a
    default that is not a Python literal is returned as its source text. Papermill silently drops a line it
    cannot read (e.g. a comment containing ``=`` or quotes); such a line raises :class:`InputError` here, so a
    parameter is never lost unnoticed.
    """
    import ast
    import logging

    import papermill as pm

    path = Path(path)
    unreadable: list[str] = []

    class _Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("Unable to parse"):
                unreadable.append(record.getMessage())

    handler = _Catch()
    log = logging.getLogger("papermill")
    log.addHandler(handler)
    try:
        inspected = pm.inspect_notebook(str(path))
    finally:
        log.removeHandler(handler)
    if unreadable:
        raise InputError(f"papermill cannot read the parameters cell: {unreadable[0]}", path=path,
                         remedy="write each parameter as 'name = value  # comment' with no '=' or quotes in the "
                                "comment")
    out: dict[str, Any] = {}
    for name, info in inspected.items():
        try:
            out[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            out[name] = info["default"]
    return out


def execute_notebook(source: str | Path, executed: str | Path, parameters: Mapping[str, Any], *,
                     progress: bool = True, cwd: str | Path | None = None, timeout: int = 1800) -> Path:
    """Execute ``source`` with papermill into ``executed`` (kernel python3, parameters injected).

    Only parameters the notebook declares are passed (unknown ones would be silently ignored by the
    notebook anyway; we refuse them so a typo cannot go unnoticed). On a failing cell raises
    :class:`NotebookFailed` naming the executed notebook, which is kept for inspection.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source, executed = Path(source), Path(executed)
    declared = notebook_parameters(source)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise InputError(f"parameters {unknown} are not declared by the notebook (declared: {sorted(declared)})",
                         path=source, remedy="fix the parameter names or update the notebook's parameters cell")
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(str(source), str(executed), parameters=dict(parameters), kernel_name="python3",
                            progress_bar=progress, cwd=str(cwd) if cwd else str(source.parent),
                            execution_timeout=timeout, log_output=False)
    except PapermillExecutionError as exc:
        last = (exc.evalue or exc.ename or "error").strip().splitlines()
        reason = f"{exc.ename}: {last[-1] if last else ''}"
        raise NotebookFailed(f"notebook {source.name} failed in cell {exc.exec_count} ({reason[:300]}); "
                             f"executed notebook kept", path=executed,
                             remedy="open the kept notebook to see the full error") from None
    return executed


_INPUT_PROMPT = re.compile(r'<div class="jp-InputPrompt[^"]*"[^>]*>.*?</div>', re.S)


def notebook_html_body(executed: str | Path) -> str:
    """Code-free HTML of an executed notebook: outputs and markdown only, figures embedded as base64.

    Uses nbconvert's ``HTMLExporter`` (``exclude_input=True``, ``exclude_input_prompt``,
    ``exclude_output_prompt``) with the ``basic`` template, which has no page chrome and loads nothing
    from the network; the report page supplies the styling.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    # papermill's injected-parameters cell and error cells stay out of a review report
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    body, _ = exporter.from_notebook_node(nb)
    return _INPUT_PROMPT.sub("", body)
