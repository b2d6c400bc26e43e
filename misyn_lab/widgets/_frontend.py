"""Is a widget front end listening? And the mimebundle that degrades to a static summary when not.

ipywidgets need a front end (JupyterLab, Notebook, VS Code, Voilà) to draw them. Under papermill/nbconvert
nobody draws them, and an exported HTML file would show an empty box. Every misyn-lab widget therefore returns
a mimebundle with a static ``text/html`` summary, and leaves out the live widget view when the code was not run
by an interactive front end. Detection: interactive front ends send metadata with each execute request
(``cellId``, ``recordTiming`` ...); headless runners (nbclient, i.e. papermill and nbconvert) send none.
A widget-control comm opened by a front end, or Voilà, also counts as live.

Override with the environment variable ``MISYN_WIDGETS`` = ``live`` (always offer the live view) or
``static`` (never).
"""

from __future__ import annotations

import os
from typing import Any

ENV_VAR = "MISYN_WIDGETS"


def widgets_live() -> bool:
    """True when a widget-capable front end is attached to this kernel (or ``MISYN_WIDGETS=live``)."""
    mode = os.environ.get(ENV_VAR, "auto").strip().lower()
    if mode == "live":
        return True
    if mode == "static":
        return False
    if any(k.startswith("VOILA_") for k in os.environ):  # Voilà executes before its page connects
        return True
    from ipywidgets import Widget

    if getattr(Widget, "_control_comm", None) is not None:
        return True
    return bool(_request_metadata())


def _request_metadata() -> dict:
    """Metadata of the execute request being run (``{}`` outside a kernel or for headless runners)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return {}
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return {}
    getter = getattr(kernel, "get_parent", None)
    parent = getter("shell") if callable(getter) else getattr(kernel, "_parent_header", {})
    return dict((parent or {}).get("metadata") or {})


class StaticFallback:
    """Mixin for an ipywidgets container: ``_repr_mimebundle_`` degrades to :meth:`static_html`.

    Subclasses implement :meth:`static_html` (a self-contained HTML summary of the current state) and
    :meth:`static_text` (a few plain lines).
    """

    def static_html(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def static_text(self) -> str:
        return type(self).__name__

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"text/plain": self.static_text(), "text/html": self.static_html()}
        if widgets_live():
            live = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
            if isinstance(live, tuple):
                live = live[0]
            data.update({k: v for k, v in (live or {}).items() if k != "text/plain"})
        return data
