"""Affine map as torch.nn.Linear computes it: y = x @ weight.T + bias over the last axis."""

import math

import numpy as np


def linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """y = x @ weight.T + bias for x of shape (*, in_features) and weight (out, in)."""
    x = np.asarray(x, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    y = x @ weight.T
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)
    return y


def linear_vjp(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, grad_y: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of sum(linear_forward(...) * grad_y) w.r.t. input, weight and bias."""
    x = np.asarray(x, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    out_features, in_features = weight.shape
    # Every leading axis is a batch axis: the parameter gradients sum over all of them.
    # The row count is spelled out because reshape(-1, 0) is ambiguous for in_features == 0.
    rows = math.prod(x.shape[:-1])
    x_rows = x.reshape(rows, in_features)
    grad_rows = grad_y.reshape(rows, out_features)
    grads = {"input": grad_y @ weight, "weight": grad_rows.T @ x_rows}
    if bias is not None:
        grads["bias"] = grad_rows.sum(axis=0)
    return grads
