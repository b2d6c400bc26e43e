"""Figures of the two case studies (data in, matplotlib Figure out). Every synthetic image shown carries a
visible red SYNTHETIC marker; unseen-combination images also carry "UNSEEN COMBINATION"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.viz.style import MARK_COLOUR, show_image


def _fig(*args: Any, **kwargs: Any):
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def _show(ax: Any, image: np.ndarray, title: str = "", synthetic: bool = False, unseen: bool = False) -> None:
    """:func:`misyn_lab.viz.style.show_image` (same SYNTHETIC marker everywhere), plus an UNSEEN COMBINATION
    label for images generated for a never-observed attribute combination."""
    show_image(ax, image, caption=title, synthetic=synthetic)
    if unseen:
        ax.text(0.02, 0.02, "UNSEEN COMBINATION", transform=ax.transAxes, va="bottom", ha="left", fontsize=7,
                color="white", fontweight="bold", bbox={"facecolor": MARK_COLOUR, "edgecolor": "none", "pad": 1.5})


def pairs_figure(real_images: np.ndarray, real_masks: np.ndarray, syn_images: np.ndarray,
                 syn_masks: np.ndarray, n_syn: int = 4):
    """Top: the real training pairs; bottom: synthetic pairs made from them (marked)."""
    k = len(real_images)
    cols = max(k, n_syn)
    fig, axes = _fig(4, cols, figsize=(1.7 * cols, 7), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for j in range(k):
        _show(axes[0, j], real_images[j], f"real training image {j + 1}")
        _show(axes[1, j], real_masks[j] / 2.0, "its real mask")
    for j in range(min(n_syn, len(syn_images))):
        _show(axes[2, j], syn_images[j], f"synthetic image {j + 1}", synthetic=True)
        _show(axes[3, j], syn_masks[j] / 2.0, "its warped mask", synthetic=True)
    fig.suptitle("Real training pairs (top) and synthetic pairs made from them (bottom)", fontsize=9)
    fig.tight_layout()
    return fig


def paired_dice_figure(per_seed: pd.DataFrame, per_image: pd.DataFrame):
    """Left: mean Dice per seed for both arms (lines join the pair); right: per-image differences."""
    fig, (a, b) = _fig(1, 2, figsize=(10, 3.8))
    x = np.array([0, 1])
    for _, row in per_seed.iterrows():
        d = row["real+synthetic"] - row["real"]
        a.plot(x, [row["real"], row["real+synthetic"]], color="#2a7" if d > 0 else "#c33", alpha=0.7, marker="o")
    a.set_xticks(x, ["k real pairs", "k real + synthetic"])
    a.set_ylabel("mean Dice on held-out real images")
    a.set_title("One line per seed/split (green: synthetic helped, red: hurt)", fontsize=9)
    diff = per_image["difference"].to_numpy()
    b.hist(diff, bins=30, color="#888")
    b.axvline(0, color="k", lw=1)
    b.axvline(float(np.mean(diff)), color=MARK_COLOUR, lw=1.5, label=f"mean {np.mean(diff):+.3f}")
    b.set_xlabel("Dice(real + synthetic) - Dice(real), per held-out image and seed")
    b.set_ylabel("count")
    b.set_title(f"{np.mean(diff < 0):.0%} of held-out images were segmented worse with synthetic pairs", fontsize=9)
    b.legend(fontsize=8)
    fig.tight_layout()
    return fig


def subgroup_figure(table: pd.DataFrame, columns: Sequence[str] = ("plane", "slice_region")):
    """Per-image Dice difference by subgroup (box plots), one panel per subgroup column."""
    cols = [c for c in columns if c in table]
    fig, axes = _fig(1, len(cols), figsize=(5 * len(cols), 3.6), squeeze=False)
    for ax, col in zip(axes[0], cols):
        groups = sorted(table[col].dropna().unique())
        data = [table.loc[table[col] == g, "difference"].to_numpy() for g in groups]
        ax.boxplot(data, showmeans=True)
        ax.set_xticks(range(1, len(groups) + 1), [str(g) for g in groups])
        ax.axhline(0, color="k", lw=0.8)
        ax.set_title(f"Dice change from synthetic pairs by {col}", fontsize=9)
        ax.set_ylabel("Dice difference")
    fig.tight_layout()
    return fig


def worst_cases_figure(images: np.ndarray, masks: np.ndarray, meta: pd.DataFrame, worst: pd.DataFrame, n: int = 4):
    """The held-out images (with their true masks) where synthetic pairs hurt Dice most."""
    ids = meta["id"].astype(str).tolist()
    rows = worst.head(n)
    fig, axes = _fig(2, len(rows), figsize=(2.2 * len(rows), 4.6), squeeze=False)
    for j, (_, r) in enumerate(rows.iterrows()):
        i = ids.index(str(r["image_id"]))
        _show(axes[0, j], images[i], f"{r['image_id']} (seed {r['seed']})")
        _show(axes[1, j], masks[i] / 2.0, f"Dice {r['real']:.2f} -> {r['real+synthetic']:.2f}")
    worst_change = float(rows["difference"].min()) if len(rows) else 0.0
    fig.suptitle(f"Worst cases: the held-out real images whose Dice changed least favourably with synthetic pairs "
                 f"(largest change {worst_change:+.3f})", fontsize=9)
    fig.tight_layout()
    return fig


def copies_figure(pairs: list[tuple[np.ndarray, np.ndarray, str]], title: str):
    """Closest synthetic-to-training pairs side by side: ``(synthetic, training, caption)``."""
    n = len(pairs)
    fig, axes = _fig(2, max(n, 1), figsize=(2.1 * max(n, 1), 4.4), squeeze=False)
    for j, (syn, train, cap) in enumerate(pairs):
        _show(axes[0, j], syn, cap, synthetic=True)
        _show(axes[1, j], train, "nearest training image")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def prompt_gallery(samples: dict[str, Any], n: int = 4):
    """A row of generated images per prompt, each marked SYNTHETIC (and UNSEEN COMBINATION if flagged)."""
    prompts = list(samples)
    fig, axes = _fig(len(prompts), n, figsize=(1.8 * n, 1.9 * len(prompts)), squeeze=False)
    for r, prompt in enumerate(prompts):
        imgs = samples[prompt]
        unseen = not bool(imgs.meta["conditions_observed"].iloc[0]) if "conditions_observed" in imgs.meta else False
        for c in range(n):
            ax = axes[r, c]
            if c < len(imgs):
                _show(ax, imgs.images[c], "", synthetic=True, unseen=unseen)
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(prompt if len(prompt) < 28 else prompt[:26] + "…", fontsize=7, rotation=0,
                              ha="right", va="center")
    fig.suptitle("Generated images per prompt (prompt on the left; every image is synthetic)", fontsize=9)
    fig.tight_layout()
    return fig


def fidelity_figure(fidelity: pd.DataFrame):
    """Heat map of prompt fidelity (share of images whose requested attribute a real-trained classifier sees)."""
    data = fidelity.set_index("prompt")
    fig, ax = _fig(figsize=(7, 0.45 * len(data) + 1.5))
    arr = data.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(arr), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(arr.shape[1]), data.columns)
    ax.set_yticks(range(arr.shape[0]), data.index, fontsize=8)
    for i in range(arr.shape[0]):
        for j in range(arr.shape[1]):
            ax.text(j, i, "—" if np.isnan(arr[i, j]) else f"{arr[i, j]:.0%}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.04)
    ax.set_title("Prompt fidelity per requested attribute (— = not requested)", fontsize=9)
    fig.tight_layout()
    return fig
