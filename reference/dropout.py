"""Inverted dropout as torch.nn.Dropout applies it in training, given the keep mask torch drew.

y = x * keep_mask / (1 - p): kept elements are scaled so that E[y] = x.
"""

import numpy as np


def _scale(p: float) -> float:
    """1 / (1 - p) for the kept elements; with p == 1 nothing is kept and the scale is moot."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return 0.0 if p == 1 else 1.0 / (1.0 - p)


def dropout_forward(x: np.ndarray, keep_mask: np.ndarray, p: float) -> np.ndarray:
    """x * keep_mask / (1 - p); the identity for p == 0 and all zeros for p == 1."""
    x = np.asarray(x, dtype=np.float64)
    scale = _scale(p)
    if p == 0:
        # torch returns the input untouched: no element can be dropped.
        return x.copy()
    # A product rather than a select, as torch: a dropped inf or NaN gives NaN, not 0.
    return x * (np.asarray(keep_mask, dtype=np.float64) * scale)


def dropout_vjp(keep_mask: np.ndarray, p: float, grad_y: np.ndarray) -> dict[str, np.ndarray]:
    """grad_y * keep_mask / (1 - p): the forward is linear in x."""
    grad_y = np.asarray(grad_y, dtype=np.float64)
    scale = _scale(p)
    if p == 0:
        return {"input": grad_y.copy()}
    return {"input": grad_y * (np.asarray(keep_mask, dtype=np.float64) * scale)}


def dropout_keep_mask_from_output(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The keep mask torch used, read off its output: kept where y != 0 or where x == 0."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    # Where x == 0 both choices give y == 0, so "kept" reproduces y as well as "dropped".
    # The gradient there still depends on torch's real choice: compare gradients at x != 0.
    return (y != 0) | (x == 0)
