"""Tail probabilities and smoothing shared by the negative-share and emerging-terms tests.

(The seasonal-Poisson count baselines that lived here before issue 14 were replaced by the
multi-scale, over-dispersed count detector in `signals.counts`.)
"""

from __future__ import annotations

import math

from scipy.special import betainc


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return float(betainc(k, n - k + 1, p))


def surprise_of(p: float) -> float:
    """-log10 of a tail probability."""
    return -math.log10(max(p, 1e-300))


def alpha_of(half_life: float) -> float:
    return 1 - 0.5 ** (1 / half_life)
