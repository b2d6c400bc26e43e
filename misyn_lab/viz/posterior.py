"""Several posterior samples of one restored input side by side, with the per-pixel spread they leave open (L1).

A restoration is one draw of what the input allows; other draws, equally consistent with the input, differ where
the input says nothing. The s.d. map over the draws shows where the detail is the model's guess.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from misyn_lab.errors import InputError
from misyn_lab.viz.style import finish, panels, show_image


def posterior_samples_figure(truth: np.ndarray, degraded: np.ndarray, samples: np.ndarray, *,
                             threshold: float, title: str | None = None, ax: Any = None) -> Figure:
    """The ground truth, the degraded input, the posterior samples (each marked SYNTHETIC) and the per-pixel
    s.d. over the samples.

    Parameters
    ----------
    truth, degraded : ndarray
        One grey image each (``H×W``; ``degraded`` may be smaller).
    samples : ndarray
        ``k × H × W`` restorations of ``degraded`` (at least 2).
    threshold : float
        The lesson's one stated threshold on the per-pixel s.d.
    title : str, optional
        Figure title.
    ax : sequence of Axes, optional
        ``k + 3`` Axes to draw into (see :mod:`misyn_lab.viz`); by default a figure of its own.

    Returns
    -------
    Figure
        The new figure, or the Axes' figure; the takeaway gives the mean s.d. and the share of pixels whose s.d.
        exceeds ``threshold``.

    Raises
    ------
    InputError
        For misshapen inputs or a threshold that is not positive.

    Examples
    --------
    >>> truth = np.zeros((4, 4))
    >>> samples = np.stack([np.zeros((4, 4)), np.full((4, 4), 0.2)])
    >>> posterior_samples_figure(truth, truth[:2, :2], samples, threshold=0.05).misyn_takeaway[:60]
    '2 restorations equally consistent with the input differ by a'
    """
    t = np.asarray(truth, dtype=np.float64)
    lo = np.asarray(degraded, dtype=np.float64)
    s = np.asarray(samples, dtype=np.float64)
    if t.ndim != 2 or lo.ndim != 2 or s.ndim != 3 or s.shape[1:] != t.shape or len(s) < 2:
        raise InputError(f"expected one grey truth and input and at least 2 samples of the truth's shape, got "
                         f"{t.shape}, {lo.shape}, {s.shape}", path="posterior_samples_figure",
                         remedy="pass posterior_samples(...)[0] of one input")
    if not threshold > 0:
        raise InputError(f"threshold must be positive, got {threshold!r}", path="threshold")
    sd = s.std(axis=0)
    k = len(s)
    fig, axes, own = panels(ax, k + 3, figsize=(2.2 * (k + 3), 2.9))
    show_image(axes[0, 0], t, caption="ground truth (held-out)")
    show_image(axes[0, 1], lo, caption=f"input ({lo.shape[0]}×{lo.shape[1]})")
    for j in range(k):
        show_image(axes[0, 2 + j], s[j], caption=f"posterior sample {j + 1}", synthetic=True)
    sd_ax = axes[0, k + 2]
    im = sd_ax.imshow(sd, cmap="magma", vmin=0, interpolation="nearest")
    sd_ax.set_title("per-pixel s.d. over samples", fontsize=9)
    sd_ax.set_axis_off()
    fig.colorbar(im, ax=sd_ax, shrink=0.75).set_label("s.d. (intensity, 0–1)")
    takeaway = (f"{k} restorations equally consistent with the input differ by a per-pixel s.d. of {sd.mean():.3f} on "
                f"average; {np.mean(sd > threshold):.0%} of pixels vary by more than {threshold:g}: there the detail "
                "is the model's guess (L1).")
    return finish(fig, title or "Several restorations of one input", takeaway, axes=None if own else axes)
