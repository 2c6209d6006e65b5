"""Padding of the last two dims in torch.nn.Conv2d's padding modes, and its VJP."""

import numpy as np

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of a padded axis, the input index it copies (-1: a zero)."""
    i = np.arange(-before, size + after)
    if mode == "zeros":
        return np.where((i >= 0) & (i < size), i, -1)
    if mode == "reflect":
        # Mirror about the first and last element without repeating them (torch needs pad < size).
        return (size - 1) - np.abs((size - 1) - np.abs(i))
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    if mode == "circular":
        return np.mod(i, size)
    raise ValueError(f"padding mode must be one of {PADDING_MODES}, got {mode!r}")


def _selection_matrix(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """The 0/1 matrix S with padded_axis = S @ axis; padding is this linear map per axis."""
    source = _source_index(size, before, after, mode)
    rows = np.arange(source.size)
    matrix = np.zeros((source.size, size))
    real = source >= 0
    matrix[rows[real], source[real]] = 1.0
    return matrix


def pad2d(x: np.ndarray, top: int, bottom: int, left: int, right: int, mode: str) -> np.ndarray:
    """Pad the last two dims of x: zeros, reflect, replicate or circular."""
    x = np.asarray(x, dtype=np.float64)
    if mode == "zeros":
        widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
        return np.pad(x, widths)
    rows = _source_index(x.shape[-2], top, bottom, mode)
    cols = _source_index(x.shape[-1], left, right, mode)
    # Gathering by index copies values exactly (a matmul would turn inf * 0 into nan).
    return x[..., rows[:, None], cols[None, :]]


def pad2d_vjp(
    grad_padded: np.ndarray, top: int, bottom: int, left: int, right: int, mode: str
) -> np.ndarray:
    """Gradient w.r.t. the unpadded input: every padded copy adds back to its source."""
    grad_padded = np.asarray(grad_padded, dtype=np.float64)
    height = grad_padded.shape[-2] - top - bottom
    width = grad_padded.shape[-1] - left - right
    # padded = S_h @ x @ S_w.T, so the adjoint is S_h.T @ grad @ S_w.
    s_h = _selection_matrix(height, top, bottom, mode)
    s_w = _selection_matrix(width, left, right, mode)
    return s_h.T @ grad_padded @ s_w
