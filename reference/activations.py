"""Elementwise activations (ReLU, LeakyReLU, Sigmoid, Tanh, GELU) and Softmax and LogSoftmax
over one axis, forward and VJP."""

import math

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


def leaky_relu_forward(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """x where x > 0, else negative_slope * x (NaN stays NaN, -0.0 times the slope)."""
    x = np.asarray(x, dtype=np.float64)
    # Written as "x where x > 0", as torch's kernel selects, so 0 and NaN take the slope.
    return np.where(x > 0, x, x * negative_slope)


def leaky_relu_vjp(
    x: np.ndarray, grad_y: np.ndarray, negative_slope: float = 0.01
) -> dict[str, np.ndarray]:
    """grad_y where x > 0, else negative_slope * grad_y (torch's subgradient at 0 is the slope)."""
    x = np.asarray(x, dtype=np.float64)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    return {"input": np.where(x > 0, grad_y, grad_y * negative_slope)}


GELU_APPROXIMATIONS = ("none", "tanh")
# The tanh approximation's constants: Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
_TANH_SCALE = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715

# erfc, elementwise: NumPy has none, the standard library's is accurate to an ulp or two.
_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = erfc(-x / sqrt 2) / 2: the form without cancellation in either tail."""
    # Underflow to a subnormal or to 0 (x below about -38) is the correctly rounded value.
    with np.errstate(under="ignore"):
        complement = _erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2.0))
        return np.asarray(complement, dtype=np.float64) / 2


def normal_pdf(x: np.ndarray) -> np.ndarray:
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(under="ignore", over="ignore"):
        return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def gelu_tanh_argument(x: np.ndarray) -> np.ndarray:
    """u = sqrt(2/pi) (x + 0.044715 x^3), the tanh approximation's argument."""
    x = np.asarray(x, dtype=np.float64)
    # A cube that underflows (|x| < 1e-103) is negligible next to x: the rounded value.
    with np.errstate(under="ignore"):
        return _TANH_SCALE * (x + _TANH_CUBIC * x**3)


def _check_approximation(approximate: str) -> None:
    if approximate not in GELU_APPROXIMATIONS:
        raise ValueError(f"approximate must be one of {GELU_APPROXIMATIONS}, got {approximate!r}")


def gelu_forward(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """x * Phi(x), or with the tanh approximation x * (1 + tanh(u)) / 2 = x * sigmoid(2u)."""
    _check_approximation(approximate)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(under="ignore"):
        if approximate == "none":
            return x * normal_cdf(x)
        # 1 + tanh(u) = 2 sigmoid(2u): no cancellation where tanh(u) -> -1.
        return x * sigmoid_forward(2.0 * gelu_tanh_argument(x))


def gelu_vjp(x: np.ndarray, grad_y: np.ndarray, approximate: str = "none") -> dict[str, np.ndarray]:
    """grad_y * (Phi(x) + x phi(x)), or the derivative of x * sigmoid(2u)."""
    _check_approximation(approximate)
    x = np.asarray(x, dtype=np.float64)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    if approximate == "none":
        with np.errstate(under="ignore"):
            return {"input": grad_y * (normal_cdf(x) + x * normal_pdf(x))}
    u = gelu_tanh_argument(x)
    # d/dx x s(2u) = s(2u) + 2 x s(2u) s(-2u) u', with s(2u) s(-2u) = s'(2u).
    s, s_prime = sigmoid_forward(2.0 * u), sigmoid_vjp(2.0 * u, np.ones_like(u))["input"]
    with np.errstate(under="ignore"):
        du = _TANH_SCALE * (1.0 + 3.0 * _TANH_CUBIC * x * x)
        return {"input": grad_y * (s + 2.0 * x * s_prime * du)}


def log_softmax_forward(x: np.ndarray, dim: int) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) along dim: log of softmax without its underflow."""
    x = np.asarray(x, dtype=np.float64)
    axis = _axis(dim, x.ndim)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    # Every exponent is <= 0 and one is exactly 0: the sum lies in [1, K], its log in [0, log K].
    with np.errstate(under="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def log_softmax_vjp(x: np.ndarray, dim: int, grad_y: np.ndarray) -> dict[str, np.ndarray]:
    """grad_y - softmax(x) * sum(grad_y, dim)."""
    grad_y = np.asarray(grad_y, dtype=np.float64)
    s = softmax_forward(x, dim)
    axis = _axis(dim, s.ndim)
    with np.errstate(under="ignore"):
        return {"input": grad_y - s * np.sum(grad_y, axis=axis, keepdims=True)}
