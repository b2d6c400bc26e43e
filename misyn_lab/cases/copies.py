"""Pool several near-copy checks (one per seed or per prompt) without losing their caveats.

``metrics.memorisation`` attaches warnings (e.g. a loose threshold for a small training set) and, with held-out
real images, the rate at which the same rule flags independent real images (``holdout_false_alarm_rate``). A
pooled copy rate that dropped these would read as more certain than it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["pool_caveats", "caveat_text"]


def pool_caveats(parts: Sequence[tuple[str, Any, int]]) -> dict[str, Any]:
    """Caveats of several ``MemorisationResult`` s, pooled.

    ``parts`` holds ``(label, memorisation_result, n_holdout)``. Returns ``warnings`` (each distinct warning once,
    with the labels it came from), ``holdout_false_alarm_rate`` (held-out real images flagged as copies, pooled over
    all parts that had held-out images; ``None`` if none had) and ``per_part`` (label -> copy rate, false-alarm
    rate, warnings).
    """
    sources: dict[str, list[str]] = {}
    per_part: dict[str, dict[str, Any]] = {}
    flagged = total = 0.0
    for label, res, n_hold in parts:
        details = res["memorisation.copy_rate"].details
        fa = details.get("holdout_false_alarm_rate")
        for w in res.warnings:
            sources.setdefault(w, []).append(str(label))
        if fa is not None and n_hold:
            flagged += float(fa) * n_hold
            total += n_hold
        per_part[str(label)] = {"copy_rate": float(res["memorisation.copy_rate"].value),
                                "holdout_false_alarm_rate": None if fa is None else float(fa),
                                "n_holdout": int(n_hold), "warnings": list(res.warnings)}
    return {"warnings": [f"{w} (in: {', '.join(labels)})" for w, labels in sources.items()],
            "holdout_false_alarm_rate": flagged / total if total else None,
            "per_part": per_part}


def caveat_text(caveats: dict[str, Any]) -> str:
    """One or two plain sentences for an interpretation: the false-alarm rate and how many warnings apply."""
    out = []
    fa = caveats.get("holdout_false_alarm_rate")
    if fa is not None:
        out.append(f"The same rule flags {fa:.0%} of held-out real images (never seen in training) as copies: "
                   "read the copy rate against that false-alarm rate.")
    else:
        out.append("No held-out real images were available, so the rule's false-alarm rate is unknown.")
    if caveats.get("warnings"):
        n = len(caveats["warnings"])
        first = caveats["warnings"][0].split(":")[0]
        out.append(f"Warnings ({n}, see details): {first}." if n == 1 else
                   f"Warnings ({n}, see details), the first: {first}.")
    return " ".join(out)
