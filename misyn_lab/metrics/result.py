"""`MetricResult`: the small typed result every metric returns, citable as checklist evidence."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class MetricResult:
    """One measured fact.

    Attributes
    ----------
    key:
        Stable metric key (e.g. ``"prdc.coverage"``, ``"mmd.rbf"``); checklist items name these keys.
    value:
        The point estimate.
    n:
        Sample sizes used, e.g. ``{"real": 500, "synthetic": 500}``.
    ci:
        ``(low, high)`` confidence interval or ``None``.
    ci_level:
        Confidence level of ``ci`` (e.g. 0.95).
    p_value:
        p-value of the test behind the value, or ``None``.
    direction:
        ``"higher_is_better"``, ``"lower_is_better"`` or ``"neutral"``.
    interpretation:
        One plain-language sentence a reviewer can paste as justification.
    details:
        Extra JSON-serialisable values (per-feature tables, thresholds, feature set name ...).
    """

    key: str
    value: float
    n: dict[str, int]
    ci: tuple[float, float] | None = None
    ci_level: float | None = None
    p_value: float | None = None
    direction: str = "neutral"
    interpretation: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-safe dict (NaN becomes None), e.g. to store as evidence in a Review."""
        out = asdict(self)
        out["value"] = _clean(self.value)
        out["ci"] = None if self.ci is None else [_clean(self.ci[0]), _clean(self.ci[1])]
        out["p_value"] = _clean(self.p_value)
        out["details"] = _clean(self.details)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MetricResult":
        ci = data.get("ci")
        return cls(
            key=str(data["key"]),
            value=float("nan") if data.get("value") is None else float(data["value"]),
            n={str(k): int(v) for k, v in (data.get("n") or {}).items()},
            ci=None if ci is None else (float(ci[0]), float(ci[1])),
            ci_level=data.get("ci_level"),
            p_value=data.get("p_value"),
            direction=data.get("direction", "neutral"),
            interpretation=data.get("interpretation", ""),
            details=dict(data.get("details") or {}),
        )

    def __str__(self) -> str:
        text = f"{self.key} = {self.value:.4g}"
        if self.ci is not None:
            text += f" [{self.ci[0]:.4g}, {self.ci[1]:.4g}]"
        if self.p_value is not None:
            text += f" (p = {self.p_value:.3g})"
        return text


def _clean(value: Any) -> Any:
    """Recursively convert numpy scalars/arrays and NaN to JSON-safe Python values."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None  # type: ignore[assignment]
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if np is not None and isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if np is not None and isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value
