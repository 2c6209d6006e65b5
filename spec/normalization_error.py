"""Error scales of normalisations, y = (x - mu) / sqrt(var + eps) * w + b, for the tolerance table.

Shared by BatchNorm and LayerNorm; they differ only in which axes the statistics
reduce. Each scale is the first-order bound on the rounding error in units of
eps(dtype) * sqrt(K) (K the reduction length; spec/tolerances.py adds c), derived
from two facts about the computed normalised input x_hat = (x - mu) * inv_std:

* x - mu rounds relative to |x - mu|, and inv_std (a reduction of length K, then a
  sqrt and a reciprocal) is relatively exact to eps * sqrt(K): together |x_hat|.
* the computed mean errs by at most eps * sqrt(K) * mean(|x|), which every element
  sees in units of the spread: offset = mean(|x|) * inv_std. With running statistics
  nothing is reduced, and x*alpha + beta forms are exact up to |mu| * inv_std.

So delta(x_hat) <= |x_hat| + offset, per element. This is the design's
(|x - mean| + |mean|) / sqrt(var + eps) with mean(|x|) >= |mean| in place of |mean|,
since a mean near 0 computed from large values errs by their size, not its own.

One absolute term escapes that relative model: a computed statistic stored in the
dtype (torch's CPU half LayerNorm saves its mean in float16) that lands among the
subnormals rounds by up to half their spacing, far more than eps relative, and x_hat
inherits that times inv_std. The floor of the tolerance table covers one such rounding
(float16's is four subnormals), so each quantity also carries a floor scale: how many
floors it may be off by through x_hat (`stat_floor` = inv_std per element of x_hat).
Seen at seed 115: LayerNorm(3) in float16 on x = [0, 26 * 2^-24, 0], mean stored as
9 * 2^-24 instead of 8.67 * 2^-24, weight gradient 3.9% off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Normalised:
    """x_hat, inv_std and offset, each broadcastable against x."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    offset: np.ndarray
    # Floors x_hat may be off by through a computed statistic stored in the dtype.
    stat_floor: np.ndarray | float = 0.0


def batch_statistics(x: np.ndarray, axes: tuple[int, ...], eps: float) -> Normalised:
    """Statistics computed from x over axes, as in training (or without running stats)."""
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    offset = np.abs(x).mean(axis=axes, keepdims=True) * inv_std
    return Normalised((x - mean) * inv_std, inv_std, offset, stat_floor=inv_std)


def fixed_statistics(x: np.ndarray, mean: np.ndarray, var: np.ndarray, eps: float) -> Normalised:
    """Given statistics (running buffers, broadcastable against x), as in eval."""
    inv_std = 1.0 / np.sqrt(var + eps)
    return Normalised((x - mean) * inv_std, inv_std, np.abs(mean) * inv_std)


def output_scale(n: Normalised, weight: np.ndarray | None, bias: np.ndarray | None) -> np.ndarray:
    """y = x_hat * w + b errs by |w| * delta(x_hat) + rounding of |x_hat * w| and |b|."""
    scale = np.abs(n.x_hat) + n.offset
    if weight is not None:
        scale = scale * np.abs(weight)
    if bias is not None:
        scale = scale + np.abs(bias)
    return scale


def input_grad_scale(
    n: Normalised, grad_x_hat: np.ndarray, axes: tuple[int, ...] | None
) -> np.ndarray:
    """The input gradient's error scale; axes None: statistics are constants (eval).

    With batch statistics dx = inv_std * (h - mean(h) - x_hat * mean(h * x_hat)), h the
    gradient w.r.t. x_hat. Rounding each term (and inv_std) gives
    inv_std * (|h| + mean|h| + |x_hat| mean|h x_hat|). Propagating delta(x_hat_j) <=
    |x_hat_j| + offset through the third term adds
    inv_std * ((|x_hat| + offset) mean|h x_hat| + |x_hat| mean(|h| (|x_hat| + offset))).
    The equivalent forms torch uses (sums of h * (x - mean), b * x + c) err the same
    to first order.
    """
    h = np.abs(grad_x_hat)
    if axes is None:
        return n.inv_std * h
    a = np.abs(n.x_hat)
    mean_h = h.mean(axis=axes, keepdims=True)
    mean_hx = (h * a).mean(axis=axes, keepdims=True)
    return n.inv_std * (h + mean_h + 3 * a * mean_hx + n.offset * (mean_hx + a * mean_h))


def weight_grad_scale(n: Normalised, grad_y: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """sum(g * x_hat): rounding sum|g x_hat| plus sum |g| delta(x_hat)."""
    g = np.abs(grad_y)
    return (g * (2 * np.abs(n.x_hat) + n.offset)).sum(axis=axes)


def bias_grad_scale(grad_y: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """sum(g): the sum of |g|."""
    return np.abs(grad_y).sum(axis=axes)


def output_floor_scale(n: Normalised, weight: np.ndarray | None) -> np.ndarray | float:
    """The output's own floor, plus |w| floors per floor of x_hat."""
    return 1.0 + n.stat_floor * (1.0 if weight is None else np.abs(weight))


def input_grad_floor_scale(
    n: Normalised, grad_x_hat: np.ndarray, axes: tuple[int, ...] | None
) -> np.ndarray | float:
    """Through the third term of dx (batch statistics only): inv_std * (delta(x_hat) *
    mean|h x_hat| + |x_hat| * mean(|h| delta(x_hat)))."""
    if axes is None:
        return 1.0
    h, a = np.abs(grad_x_hat), np.abs(n.x_hat)
    mean_hx = (h * a).mean(axis=axes, keepdims=True)
    mean_h_floor = (h * n.stat_floor).mean(axis=axes, keepdims=True)
    return 1.0 + n.inv_std * (n.stat_floor * mean_hx + a * mean_h_floor)


def weight_grad_floor_scale(
    n: Normalised, grad_y: np.ndarray, axes: tuple[int, ...]
) -> np.ndarray | float:
    """sum(g * x_hat): sum |g| delta(x_hat)."""
    return 1.0 + (np.abs(grad_y) * n.stat_floor).sum(axis=axes)
