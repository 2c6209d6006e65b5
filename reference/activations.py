"""Elementwise activations (ReLU, Sigmoid, Tanh) and Softmax over one axis, forward and VJP."""

import numpy as np


def relu_forward(x: np.ndarray) -> np.ndarray:
    """max(x, 0), keeping -0.0 and NaN as torch does."""
    x = np.asarray(x, dtype=np.float64)
    # np.maximum would turn -0.0 into +0.0; torch leaves every non-negative x (and NaN) alone.
    return np.where(x < 0, 0.0, x)


def relu_vjp(x: np.ndarray, grad_y: np.ndarray) -> dict[str, np.ndarray]:
    """grad_y where x > 0, else 0 (the subgradient at exactly 0 is 0, as in torch)."""
    x = np.asarray(x, dtype=np.float64)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    # Written as "zero where x <= 0" so a NaN input passes its gradient, as torch's
    # threshold_backward does.
    return {"input": np.where(x <= 0, 0.0, grad_y)}


def _exp_minus_abs(x: np.ndarray, scale: float) -> np.ndarray:
    """exp(-scale * |x|): in (0, 1], so it never overflows."""
    # Underflow to a subnormal or to 0 is the correctly rounded value, not an error.
    with np.errstate(under="ignore"):
        return np.exp(-scale * np.abs(x))


def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), evaluated without ever exponentiating a large positive number."""
    x = np.asarray(x, dtype=np.float64)
    z = _exp_minus_abs(x, 1.0)
    # For x < 0, exp(x) / (1 + exp(x)) is the same function with z = exp(x) <= 1.
    with np.errstate(under="ignore"):
        return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_vjp(x: np.ndarray, grad_y: np.ndarray) -> dict[str, np.ndarray]:
    """grad_y * sigmoid'(x), with sigmoid'(x) = e^-|x| / (1 + e^-|x|)^2."""
    x = np.asarray(x, dtype=np.float64)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    # s * (1 - s) would cancel to 0 for large x; this form keeps full relative accuracy.
    z = _exp_minus_abs(x, 1.0)
    with np.errstate(under="ignore"):
        return {"input": grad_y * (z / (1.0 + z) ** 2)}


def tanh_forward(x: np.ndarray) -> np.ndarray:
    """tanh(x)."""
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_vjp(x: np.ndarray, grad_y: np.ndarray) -> dict[str, np.ndarray]:
    """grad_y * (1 - tanh(x)^2), with 1 - tanh^2 = 4 e^-2|x| / (1 + e^-2|x|)^2."""
    x = np.asarray(x, dtype=np.float64)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    # 1 - tanh^2 cancels to 0 for large |x| and cosh overflows; this form does neither.
    z = _exp_minus_abs(x, 2.0)
    with np.errstate(under="ignore"):
        return {"input": grad_y * (4.0 * z / (1.0 + z) ** 2)}


def softmax_implicit_dim(ndim: int) -> int:
    """The dim nn.Softmax(dim=None) uses: torch's legacy rule, 0 for 0-, 1- and 3-D input."""
    # Mirrors torch.nn.functional._get_softmax_dim; 3-D counts as an unbatched (C, H, W).
    return 0 if ndim in (0, 1, 3) else 1


def _axis(dim: int, ndim: int) -> int | None:
    """dim wrapped into range like torch; None for a 0-d array (its one 'dim' is 0 or -1)."""
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(f"dim {dim} out of range for a {ndim}-d input")
    return dim % rank if ndim else None


def softmax_forward(x: np.ndarray, dim: int) -> np.ndarray:
    """exp(x) / sum(exp(x)) along dim."""
    x = np.asarray(x, dtype=np.float64)
    axis = _axis(dim, x.ndim)
    # Subtracting the max leaves the ratio unchanged and keeps every exponent <= 0.
    shifted = x - np.max(x, axis=axis, keepdims=True)
    # Tiny weights may underflow to subnormals or 0: the correctly rounded values.
    with np.errstate(under="ignore"):
        e = np.exp(shifted)
        return e / np.sum(e, axis=axis, keepdims=True)


def softmax_vjp(x: np.ndarray, dim: int, grad_y: np.ndarray) -> dict[str, np.ndarray]:
    """s * (grad_y - sum(grad_y * s, dim)) with s = softmax(x, dim)."""
    grad_y = np.asarray(grad_y, dtype=np.float64)
    s = softmax_forward(x, dim)
    axis = _axis(dim, s.ndim)
    with np.errstate(under="ignore"):
        return {"input": s * (grad_y - np.sum(grad_y * s, axis=axis, keepdims=True))}
