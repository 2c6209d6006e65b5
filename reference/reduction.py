"""A loss's reduction, as torch's `reduction=` names it: the per-position losses as they are
('none'), their sum ('sum'), or their mean ('mean'), and how an output gradient flows back.

The mean divides by a count: the number of elements (MSELoss, probability targets), or
for class-index targets the total weight of the targets not ignored (NLLLoss and
CrossEntropyLoss: sum_p w[target_p], which is the count when there is no weight). A mean
over no weight at all is undefined: NaN, and so is the gradient of every position it
divides.
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def _check(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def reduce(losses: np.ndarray, reduction: str, total: float | None = None) -> np.ndarray:
    """The losses as they are, summed, or summed and divided by `total` (default: their count)."""
    _check(reduction)
    if reduction == "none":
        return np.asarray(losses, dtype=np.float64)
    summed = np.sum(losses, dtype=np.float64)
    if reduction == "sum":
        return np.asarray(summed)
    divisor = np.size(losses) if total is None else total
    if divisor == 0:
        # A mean over no weight is undefined, whatever the sum: NaN, as torch gives (with
        # label smoothing torch adds the smoothing term's mean, S / 0, to the likelihood
        # term's mean, 0 / 0, and the sum is NaN too).
        return np.asarray(np.nan)
    return np.asarray(summed / divisor)


def per_position_gradient(
    grad_y: np.ndarray, shape: tuple[int, ...], reduction: str, total: float | None = None
) -> np.ndarray:
    """d(reduced)/d(loss_p) * grad_y for every position p of `shape`: grad_y itself ('none'),
    grad_y everywhere ('sum'), grad_y / total everywhere ('mean'; NaN when total is 0)."""
    _check(reduction)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    if reduction == "none":
        return np.broadcast_to(grad_y, shape).copy()
    if reduction == "sum":
        return np.full(shape, float(grad_y))
    divisor = int(np.prod(shape, dtype=np.int64)) if total is None else total
    if divisor == 0:
        return np.full(shape, np.nan)
    return np.full(shape, float(grad_y) / divisor)
