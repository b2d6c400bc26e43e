"""Figures of the two case studies (data in, matplotlib Figure out). Every synthetic image shown carries a
visible red SYNTHETIC marker; unseen-combination images also carry "UNSEEN COMBINATION". Each figure stores a
one-sentence takeaway computed from its data as ``fig.misyn_takeaway`` (the alt text of the figure in a
document); colour is never the only code (line styles and markers too, colour-blind-safe colours)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from misyn_lab.render.numbers import fmt_number, fmt_percent
from misyn_lab.viz.style import MARK_COLOUR, show_image

#: Colour-blind-safe colours (seaborn "colorblind") for "synthetic pairs helped" / "hurt" / "no change".
HELPED, HURT, SAME = "#0173b2", "#d55e00", "#949494"


def _takeaway(fig: Any, text: str) -> Any:
    fig.misyn_takeaway = text
    return fig


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
    return _takeaway(fig, f"The {k} real training pairs (top two rows: image and mask) and "
                          f"{min(n_syn, len(syn_images))} synthetic pairs warped from them (bottom two rows, marked "
                          "SYNTHETIC): the synthetic masks are deformations of the training masks.")


def paired_dice_figure(per_seed: pd.DataFrame, per_image: pd.DataFrame):
    """Left: mean Dice per seed for both arms (lines join the pair; a seed where synthetic pairs hurt is a dashed
    line with triangle markers, one where they helped a solid line with circles); right: per-image differences."""
    fig, (a, b) = _fig(1, 2, figsize=(10, 3.8))
    x = np.array([0, 1])
    styles = {"helped": (HELPED, "-", "o"), "hurt": (HURT, "--", "v"), "no change": (SAME, ":", "s")}
    counts = dict.fromkeys(styles, 0)
    for _, row in per_seed.iterrows():
        d = row["real+synthetic"] - row["real"]
        kind = "helped" if d > 0 else "hurt" if d < 0 else "no change"
        colour, line, marker = styles[kind]
        counts[kind] += 1
        a.plot(x, [row["real"], row["real+synthetic"]], color=colour, linestyle=line, marker=marker, alpha=0.8)
    for kind, (colour, line, marker) in styles.items():
        if counts[kind]:
            a.plot([], [], color=colour, linestyle=line, marker=marker,
                   label=f"synthetic pairs {kind} ({counts[kind]})")
    a.legend(fontsize=8, loc="best")
    a.set_xticks(x, ["k real pairs", "k real + synthetic"])
    a.set_ylabel("mean Dice on held-out real images")
    a.set_title("One line per seed/split", fontsize=9)
    diff = per_image["difference"].to_numpy()
    b.hist(diff, bins=30, color="#888")
    b.axvline(0, color="k", lw=1, linestyle=":", label="no change")
    b.axvline(float(np.mean(diff)), color=MARK_COLOUR, lw=1.5, label=f"mean {fmt_number(float(np.mean(diff)))}")
    b.set_xlabel("Dice(real + synthetic) - Dice(real), per held-out image and seed")
    b.set_ylabel("count")
    share = fmt_percent(float(np.mean(diff < 0)))
    b.set_title(f"{share} of held-out images were segmented worse with synthetic pairs", fontsize=9)
    b.legend(fontsize=8)
    fig.tight_layout()
    return _takeaway(fig, f"In {counts['hurt']} of {len(per_seed)} seeds/splits the mean Dice on held-out real images "
                          f"was lower with synthetic pairs than without; {share} of the {len(diff)} (seed, held-out "
                          f"image) pairs were segmented worse, mean change {fmt_number(float(np.mean(diff)))}.")


def subgroup_figure(table: pd.DataFrame, columns: Sequence[str] = ("plane", "slice_region")):
    """Per-image Dice difference by subgroup (box plots), one panel per subgroup column."""
    cols = [c for c in columns if c in table]
    fig, axes = _fig(1, len(cols), figsize=(5 * len(cols), 3.6), squeeze=False)
    lowest = []
    for ax, col in zip(axes[0], cols):
        groups = sorted(table[col].dropna().unique())
        data = [table.loc[table[col] == g, "difference"].to_numpy() for g in groups]
        means = [float(np.mean(d)) for d in data]
        j = int(np.argmin(means))
        lowest.append(f"by {col.replace('_', ' ')}, {groups[j]} (mean change {fmt_number(means[j])})")
        ax.boxplot(data, showmeans=True)
        ax.set_xticks(range(1, len(groups) + 1), [str(g) for g in groups])
        ax.axhline(0, color="k", lw=0.8)
        ax.set_title(f"Dice change from synthetic pairs by {col.replace('_', ' ')}", fontsize=9)
        ax.set_ylabel("Dice difference")
    fig.tight_layout()
    return _takeaway(fig, "Per-image change in Dice from adding synthetic pairs, by subgroup; the lowest mean change: "
                          + "; ".join(lowest) + ".")


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
                 f"(largest change {fmt_number(worst_change)})", fontsize=9)
    fig.tight_layout()
    return _takeaway(fig, f"The {len(rows)} held-out real images whose Dice changed least favourably with synthetic "
                          f"pairs, with their true masks; the largest change is {fmt_number(worst_change)}.")


def copies_figure(pairs: list[tuple[np.ndarray, np.ndarray, str]], title: str, takeaway: str = ""):
    """Closest synthetic-to-training pairs side by side: ``(synthetic, training, caption)``; ``takeaway`` (e.g. the
    copy check's reading) is stored as the figure's takeaway."""
    n = len(pairs)
    fig, axes = _fig(2, max(n, 1), figsize=(2.1 * max(n, 1), 4.4), squeeze=False)
    for j, (syn, train, cap) in enumerate(pairs):
        _show(axes[0, j], syn, cap, synthetic=True)
        _show(axes[1, j], train, "nearest training image")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _takeaway(fig, takeaway or f"{title}: {n} pair(s) shown.")


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
    unseen_n = sum(1 for p in prompts if "conditions_observed" in samples[p].meta
                   and not bool(samples[p].meta["conditions_observed"].iloc[0]))
    return _takeaway(fig, f"Up to {n} generated images for each of {len(prompts)} prompts, all marked SYNTHETIC; "
                          f"{unseen_n} prompt(s) asked for a combination never observed in training and still "
                          "produced plausible images (marked UNSEEN COMBINATION).")


def fidelity_figure(fidelity: pd.DataFrame):
    """Heat map of prompt fidelity (share of images whose requested attribute a real-trained classifier sees)."""
    data = fidelity.set_index("prompt")
    fig, ax = _fig(figsize=(7, 0.45 * len(data) + 1.5))
    arr = data.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(arr), cmap="cividis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(arr.shape[1]), data.columns)
    ax.set_yticks(range(arr.shape[0]), data.index, fontsize=8)
    for i in range(arr.shape[0]):
        for j in range(arr.shape[1]):
            value = arr[i, j]
            ax.text(j, i, "—" if np.isnan(value) else fmt_percent(value), ha="center", va="center", fontsize=8,
                    color="black" if np.isnan(value) or value > 0.5 else "white")
    fig.colorbar(im, ax=ax, fraction=0.04)
    ax.set_title("Prompt fidelity per requested attribute (— = not requested)", fontsize=9)
    fig.tight_layout()
    means = data.mean(axis=1, skipna=True)
    worst = str(means.idxmin()) if len(means) and means.notna().any() else ""
    return _takeaway(fig, f"Share of generated images in which a classifier trained on real images recognises each "
                          f"requested attribute; lowest mean: {worst!r} ({fmt_percent(float(means.min()))})."
                     if worst else "No prompt requested an attribute a classifier could check.")
