"""One number format for every document: 3 significant digits, p-values as ``p < 0.001``, CIs with their level.

>>> fmt_number(0.053172), fmt_number(33.61), fmt_number(1234.5), fmt_number(-0.0207), fmt_number(float("nan"))
('0.0532', '33.6', '1,230', '-0.0207', '—')
>>> fmt_p(0.05317), fmt_p(2.559e-14), fmt_p(0.004975, floor=1 / 201)
('p = 0.0532', 'p < 0.001', 'p ≤ 0.00498 (the smallest value 200 permutations can give)')
>>> fmt_ci((-0.0504, -0.0051), 0.95), fmt_percent(0.7512)
('95 % CI [-0.0504, -0.00510]', '75 %')
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["SIGNIFICANT", "fmt_number", "fmt_p", "fmt_ci", "fmt_percent", "fmt_n"]

#: Significant digits of every number in a rendered document.
SIGNIFICANT = 3
#: p-values below this print as "p < 0.001".
P_FLOOR = 0.001


def _is_missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def fmt_number(x: float | int | None, sig: int = SIGNIFICANT) -> str:
    """``x`` to ``sig`` significant digits, without exponent for 0.001 <= |x| < 10^6 (thousands separated),
    integers as integers, ``None``/NaN/inf as an em dash.

    Parameters
    ----------
    x : float, int or None
        The number.
    sig : int, optional
        Significant digits.

    Returns
    -------
    str
        The number as text.

    Examples
    --------
    >>> from misyn_lab.render import fmt_number
    >>> fmt_number(12345.678), fmt_number(0.41234), fmt_number(0.000123456), fmt_number(None)
    ('12,300', '0.412', '1.23e-04', '—')
    """
    if isinstance(x, bool):
        return "yes" if x else "no"
    if _is_missing(x):
        return "—"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    v = float(x)  # type: ignore[arg-type]
    if abs(v) >= 1e6 or abs(v) < 1e-3:
        return f"{v:.{sig - 1}e}"
    digits = sig - 1 - int(math.floor(math.log10(abs(v))))
    rounded = round(v, digits)
    if digits <= 0:
        return f"{int(rounded):,}"
    return f"{rounded:,.{digits}f}"


def fmt_p(p: float | None, *, floor: float | None = None, resamples: int | None = None) -> str:
    """A p-value: ``p = 0.0532``, ``p < 0.001``; at a resampling test's floor it says so instead of printing the
    floor as if it were an exact probability.

    Parameters
    ----------
    p : float or None
        The p-value.
    floor : float, optional
        The smallest p the test can give (= 1/(B+1), or 2/(B+1) for a two-sided test).
    resamples : int, optional
        The resamples B (named in the text).

    Returns
    -------
    str
        The p-value as text.

    Examples
    --------
    >>> from misyn_lab.render import fmt_p
    >>> fmt_p(0.05321), fmt_p(0.0001)
    ('p = 0.0532', 'p < 0.001')
    >>> fmt_p(1 / 1001, floor=1 / 1001, resamples=1000)
    'p ≤ 9.99e-04 (the smallest value 1,000 permutations can give)'
    """
    if _is_missing(p):
        return "p not reported"
    v = float(p)  # type: ignore[arg-type]
    if floor is not None and v <= floor * (1 + 1e-9):
        b = int(resamples) if resamples else round(1 / floor) - 1
        return f"p ≤ {fmt_number(floor)} (the smallest value {b:,} permutations can give)"
    if v < P_FLOOR:
        return f"p < {P_FLOOR}"
    return f"p = {fmt_number(v)}"


def fmt_ci(ci: Sequence[float] | None, level: float | None = 0.95) -> str:
    """A confidence interval as ``95 % CI [low, high]`` (empty when there is no CI).

    Parameters
    ----------
    ci : sequence of float, optional
        (low, high).
    level : float, optional
        Confidence level.

    Returns
    -------
    str
        The interval in words and numbers.

    Examples
    --------
    >>> from misyn_lab.render import fmt_ci
    >>> fmt_ci((0.1234, 0.5678)), fmt_ci(None)
    ('95 % CI [0.123, 0.568]', '')
    """
    if ci is None:
        return ""
    lo, hi = ci
    head = f"{fmt_percent(level)} CI " if level else "CI "
    return f"{head}[{fmt_number(lo)}, {fmt_number(hi)}]"


def fmt_percent(x: float | None) -> str:
    """A share in [0, 1] as a whole percentage; small non-zero shares keep a decimal.

    Parameters
    ----------
    x : float or None
        The share.

    Returns
    -------
    str
        The percentage.

    Examples
    --------
    >>> from misyn_lab.render import fmt_percent
    >>> fmt_percent(0.7512), fmt_percent(0.004)
    ('75 %', '0.4 %')
    """
    if _is_missing(x):
        return "—"
    v = 100 * float(x)  # type: ignore[arg-type]
    if 0 < abs(v) < 1:
        return f"{v:.1f} %"
    return f"{v:.0f} %"


def fmt_n(n: int | dict | None) -> str:
    """Sample sizes in words: ``n = 40`` or ``n = 120 held-out real, 120 synthetic``.

    Parameters
    ----------
    n : int, dict or None
        One size, or ``{what: size}``.

    Returns
    -------
    str
        The sizes.

    Examples
    --------
    >>> from misyn_lab.render import fmt_n
    >>> fmt_n(40), fmt_n({"held-out real": 120, "synthetic": 120})
    ('n = 40', 'n = 120 held-out real, 120 synthetic')
    """
    if n is None:
        return ""
    if isinstance(n, dict):
        return "n = " + ", ".join(f"{int(v):,} {k.replace('_', ' ')}" for k, v in n.items())
    return f"n = {int(n):,}"
