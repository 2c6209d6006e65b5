"""A lookup table as torch.nn.Embedding computes it: rows of the weight picked by indices.

    y[i...] = W'[x[i...]]           (shape: the indices' shape, then embedding_dim)

where W' is the weight itself, or with max_norm the weight after the forward has
renormalised, in place, every row it looks up whose p-norm exceeds max_norm:

    W'[r] = W[r] * max_norm / (||W[r]||_p + 1e-7)    if ||W[r]||_p > max_norm

(the 1e-7 is torch's guard against a zero norm: the row's new norm is max_norm up to it).
That is a change of the parameter's value, not part of the differentiated map: the
gradient is that of the lookup of W', a sum of the output gradients of every position
that picked a row (divided by how often the row was picked, with scale_grad_by_freq),
and zero for the padding row, which "does not contribute to the gradient":

    dW[r] = sum_{i: x_i = r} g_i (/ count(r))       dW[padding_idx] = 0

The indices have no gradient.
"""

from __future__ import annotations

import numpy as np

# torch's renormalisation divides by the norm plus this.
RENORM_GUARD = 1e-7


def row_norms(weight: np.ndarray, norm_type: float) -> np.ndarray:
    """The p-norm of each row: (sum |w|^p)^(1/p), max |w| for p = inf."""
    magnitude = np.abs(np.asarray(weight, dtype=np.float64))
    if np.isinf(norm_type):
        return magnitude.max(axis=-1, initial=0.0)
    return np.sum(magnitude**norm_type, axis=-1) ** (1.0 / norm_type)


def renormalised_rows(
    indices: np.ndarray, weight: np.ndarray, max_norm: float, norm_type: float
) -> np.ndarray:
    """Which rows the forward rescales: looked up, and of norm above max_norm."""
    looked_up = np.zeros(len(weight), dtype=bool)
    looked_up[np.unique(np.asarray(indices, dtype=np.int64))] = True
    return looked_up & (row_norms(weight, norm_type) > max_norm)


def embedding_renorm(
    indices: np.ndarray, weight: np.ndarray, max_norm: float, norm_type: float = 2.0
) -> np.ndarray:
    """The weight after the forward's renormalisation (a new array; W is left as it is)."""
    weight = np.array(weight, dtype=np.float64)
    rows = renormalised_rows(indices, weight, max_norm, norm_type)
    scale = max_norm / (row_norms(weight[rows], norm_type) + RENORM_GUARD)
    weight[rows] = weight[rows] * scale[:, None]
    return weight


def embedding_forward(
    indices: np.ndarray,
    weight: np.ndarray,
    max_norm: float | None = None,
    norm_type: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(y, the weight after the call): W'[x], W' renormalised where max_norm says so."""
    if max_norm is not None:
        weight = embedding_renorm(indices, weight, max_norm, norm_type)
    weight = np.asarray(weight, dtype=np.float64)
    return weight[np.asarray(indices, dtype=np.int64)], weight


def padding_row(padding_idx: int | None, num_embeddings: int) -> int | None:
    """The padding row a (possibly negative) padding_idx names, as torch normalises it."""
    if padding_idx is None:
        return None
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


def embedding_vjp(
    indices: np.ndarray,
    num_embeddings: int,
    grad_y: np.ndarray,
    padding_idx: int | None = None,
    scale_grad_by_freq: bool = False,
) -> dict[str, np.ndarray]:
    """The weight's gradient: each picked row accumulates its positions' output gradients."""
    flat = np.asarray(indices, dtype=np.int64).ravel()
    grad_y = np.asarray(grad_y, dtype=np.float64)
    dim = grad_y.shape[-1]
    rows = grad_y.reshape(flat.size, dim)
    counts = np.bincount(flat, minlength=num_embeddings)
    if scale_grad_by_freq:
        rows = rows / counts[flat][:, None]
    grad = np.zeros((num_embeddings, dim))
    np.add.at(grad, flat, rows)
    pad = padding_row(padding_idx, num_embeddings)
    if pad is not None:
        grad[pad] = 0.0
    return {"weight": grad}
