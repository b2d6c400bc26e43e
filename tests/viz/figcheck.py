"""The house rules every misyn-lab figure must pass (used by the viz tests)."""

from __future__ import annotations


def check_figure(fig) -> str:
    """Assert the house rules: labelled axes (non-image plots), a title and a takeaway caption; return it."""
    takeaway = getattr(fig, "misyn_takeaway", "")
    assert isinstance(takeaway, str) and takeaway.strip()
    assert takeaway in [t.get_text() for t in fig.texts]
    assert fig._suptitle is not None and fig._suptitle.get_text().strip()
    for ax in fig.axes:
        if not ax.axison or ax.get_label() == "<colorbar>":
            continue
        if ax.images and not ax.get_xticks().size:  # an image tile without ticks: captioned instead
            assert ax.get_title().strip()
            continue
        assert ax.get_xlabel().strip(), "x label missing"
        assert ax.get_ylabel().strip(), "y label missing"
    fig.canvas.draw()  # renders without error
    return takeaway
