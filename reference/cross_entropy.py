"""Cross entropy as torch.nn.CrossEntropyLoss computes it: log_softmax, then the negative
log likelihood of the targets, with class weights, ignore_index and label smoothing.

With logp = log_softmax(x) along the class axis (reference/nll_loss.py: axis 0 of (C,),
axis 1 of (N, C, ...)), C classes, class weights w (1 without them) and smoothing e:

class-index targets t (positions where t_p == ignore_index count for nothing):

    loss_p = (1 - e) * (-w[t_p] logp[p, t_p]) + (e / C) * (-sum_c w[c] logp[p, c])
    'mean' divides the sum by sum_p w[t_p] over the targets not ignored (0/0: NaN)

probability targets q (the input's shape; every position counts):

    q' = q (1 - e) + e / C,    loss_p = -sum_c w[c] q'[p, c] logp[p, c]
    'mean' divides the sum by the number of positions (not by any weight)

Both have the form loss_p = -sum_c h[p, c] logp[p, c], so with G_p the output
gradient per position and s = softmax(x):

    d loss / d x[p, j] = G_p * (s[p, j] * sum_c h[p, c] - h[p, j])
    d loss / d q[p, c] = -G_p * (1 - e) * w[c] * logp[p, c]      (probability targets)
"""

from __future__ import annotations

import numpy as np

from reference.nll_loss import (
    DEFAULT_IGNORE_INDEX,
    Targets,
    classes_back,
    classes_last,
)
from reference.reduction import per_position_gradient, reduce


def log_softmax_last(x_last: np.ndarray) -> np.ndarray:
    """log(softmax) along the last axis, shifted by the maximum so that exp cannot overflow."""
    shifted = x_last - np.max(x_last, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def is_probabilities(x: np.ndarray, target: np.ndarray) -> bool:
    """torch's rule: a floating-point target of the input's shape holds probabilities."""
    return np.asarray(target).dtype.kind == "f" and np.shape(target) == np.shape(x)


def _class_weight(weight: np.ndarray | None, classes: int) -> np.ndarray:
    return np.ones(classes) if weight is None else np.asarray(weight, dtype=np.float64)


def _smoothed(q_last: np.ndarray, label_smoothing: float) -> np.ndarray:
    classes = q_last.shape[-1]
    return q_last * (1.0 - label_smoothing) + label_smoothing / classes


def loss_weights(
    x_last: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None,
    ignore_index: int,
    label_smoothing: float,
) -> tuple[np.ndarray, float | None, np.ndarray]:
    """h (positions..., C) with loss_p = -sum_c h[p, c] logp[p, c]; the mean's divisor
    (None: the number of positions); the positions that count for nothing."""
    classes = x_last.shape[-1]
    class_weight = _class_weight(weight, classes)
    if is_probabilities(x_last, target):
        q_last = np.asarray(target, dtype=np.float64)
        ignored = np.zeros(x_last.shape[:-1], dtype=bool)
        return class_weight * _smoothed(q_last, label_smoothing), None, ignored
    targets = Targets(target, classes, weight, ignore_index)
    h = (1.0 - label_smoothing) * targets.scatter(targets.weight, classes)
    h = h + (label_smoothing / classes) * class_weight
    h = np.where(targets.ignored[..., None], 0.0, h)
    return h, targets.total, targets.ignored


def cross_entropy_forward(
    x: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """reduce(-sum_c h[p, c] logp[p, c]) for class-index or probability targets."""
    x_last = classes_last(x)
    target_last = classes_last(target) if is_probabilities(x, target) else target
    h, total, _ = loss_weights(x_last, target_last, weight, ignore_index, label_smoothing)
    losses = -np.sum(h * log_softmax_last(x_last), axis=-1)
    return reduce(losses, reduction, total)


def cross_entropy_vjp(
    x: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """The input's gradient, and the target's where it holds probabilities."""
    x_last = classes_last(x)
    probabilities = is_probabilities(x, target)
    target_last = classes_last(target) if probabilities else target
    h, total, ignored = loss_weights(x_last, target_last, weight, ignore_index, label_smoothing)
    logp = log_softmax_last(x_last)
    g = per_position_gradient(grad_y, x_last.shape[:-1], reduction, total)
    # Ignored positions get exactly 0, even where the mean's G is NaN (0 / 0).
    g = np.where(ignored, 0.0, g)[..., None]
    grad_input = g * (np.exp(logp) * np.sum(h, axis=-1, keepdims=True) - h)
    grads = {"input": classes_back(grad_input, np.ndim(x))}
    if probabilities:
        class_weight = _class_weight(weight, x_last.shape[-1])
        grad_target = -g * (1.0 - label_smoothing) * class_weight * logp
        grads["target"] = classes_back(grad_target, np.ndim(x))
    return grads
