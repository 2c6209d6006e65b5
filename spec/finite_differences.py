"""Where central differences in float64 resolve a derivative, for the gradcheck property.

gradcheck compares autograd with (f(x + h u) - f(x - h u)) / 2h, h = 1e-6, within
1e-5 + 1e-3 |numerical| plus the quotient's rounding. That rounding is f's own rounding
divided by h: for most maps eps * |f| / h, which the allowance adds (tests/directional.py)
and which is about 1e-10 where |f| ~ 1. A normalisation's gradient is a sum of terms of
size 1/std that cancel (for a constant group they cancel to exactly 0), so its rounding
is eps * |g w| / std, and the second-order check differentiates exactly that gradient:
measured on torch 2.13.0 (every CPU kernel set), LayerNorm rows of one element with
eps = 1e-10 (1/std = 1e5) fail 25 of 100 random directions by up to 3e-5 while autograd
gives the true 0; with 1/std <= 1e4 (eps = 1e-8) none of 100 fail. The limit below keeps
1/std <= 1e3, ten times inside that, and leaves the ill-conditioned groups to the
gradients property (derived bounds) and the exact cases (constant groups, bit for bit).
"""

from __future__ import annotations

import numpy as np

# var + eps of every normalised group at least this: 1 / std <= 1e3.
MIN_VARIANCE_PLUS_EPS = 1e-6


def normalisation_resolves(x: np.ndarray, axes: tuple[int, ...], eps: float) -> bool:
    """Whether every group of x over `axes` has var + eps >= MIN_VARIANCE_PLUS_EPS."""
    if x.size == 0:
        return True
    return bool((x.var(axis=axes) + eps).min() >= MIN_VARIANCE_PLUS_EPS)
