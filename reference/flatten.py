"""Flattening a contiguous range of dims, as torch.nn.Flatten (and x.view(x.size(0), -1))."""

import math

import numpy as np


def _wrap(dim: int, ndim: int) -> int:
    """dim wrapped into [0, ndim) like torch; a 0-d tensor counts as having one dim."""
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected in [{-rank}, {rank - 1}], got {dim})")
    return dim % rank


def flatten_out_shape(in_shape: tuple[int, ...], start_dim: int, end_dim: int) -> tuple[int, ...]:
    """in_shape with dims start_dim..end_dim (inclusive) replaced by their product."""
    in_shape = tuple(int(size) for size in in_shape)
    start, end = _wrap(start_dim, len(in_shape)), _wrap(end_dim, len(in_shape))
    if start > end:
        raise ValueError("flatten() has invalid args: start_dim cannot come after end_dim")
    if not in_shape:
        # torch.flatten turns a 0-d tensor into a 1-element vector.
        return (1,)
    return (*in_shape[:start], math.prod(in_shape[start : end + 1]), *in_shape[end + 1 :])


def flatten_forward(x: np.ndarray, start_dim: int = 1, end_dim: int = -1) -> np.ndarray:
    """x reshaped to flatten_out_shape: the same elements in the same (row-major) order."""
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(flatten_out_shape(x.shape, start_dim, end_dim))


def flatten_vjp(
    x: np.ndarray, start_dim: int, end_dim: int, grad_y: np.ndarray
) -> dict[str, np.ndarray]:
    """grad_y reshaped back to x's shape: flattening only relabels elements."""
    x = np.asarray(x)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    if grad_y.shape != flatten_out_shape(x.shape, start_dim, end_dim):
        raise ValueError(f"grad_y shape {grad_y.shape} is not the output shape of flatten")
    return {"input": grad_y.reshape(x.shape)}
