"""Layer normalisation over the trailing dims, as torch.nn.LayerNorm: forward and VJP.

y = (x - mean) / sqrt(var + eps) * weight + bias, with mean and the biased var taken over
the last len(normalized_shape) axes of each sample.
"""

from collections.abc import Sequence

import numpy as np


def _normalized_axes(x: np.ndarray, normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    """The trailing axes that normalized_shape names; they must match x's trailing shape."""
    shape = (normalized_shape,) if np.ndim(normalized_shape) == 0 else tuple(normalized_shape)
    shape = tuple(int(size) for size in shape)
    count = len(shape)
    if count > x.ndim or x.shape[x.ndim - count :] != shape:
        raise ValueError(f"normalized_shape {shape} does not end the input shape {x.shape}")
    return tuple(range(x.ndim - count, x.ndim))


def _normalize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, np.ndarray]:
    """(x_hat, 1 / sqrt(var + eps)) with the statistics of each sample over axes."""
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return (x - mean) * inv_std, inv_std


def layer_norm_forward(
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    eps: float,
) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) * weight + bias over the trailing normalized_shape."""
    x = np.asarray(x, dtype=np.float64)
    x_hat, _ = _normalize(x, _normalized_axes(x, normalized_shape), eps)
    y = x_hat
    if weight is not None:
        y = y * np.asarray(weight, dtype=np.float64)
    if bias is not None:
        y = y + np.asarray(bias, dtype=np.float64)
    return y


def layer_norm_vjp(
    x: np.ndarray,
    normalized_shape: int | Sequence[int],
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    eps: float,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Gradients of sum(layer_norm_forward(...) * grad_y) w.r.t. input, weight and bias."""
    x = np.asarray(x, dtype=np.float64)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    axes = _normalized_axes(x, normalized_shape)
    x_hat, inv_std = _normalize(x, axes, eps)
    grad_x_hat = grad_y if weight is None else grad_y * np.asarray(weight, dtype=np.float64)
    # The sample's mean and var depend on x too: project out a shift and a scaling of x_hat.
    grad_input = inv_std * (
        grad_x_hat
        - grad_x_hat.mean(axis=axes, keepdims=True)
        - x_hat * (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)
    )
    grads = {"input": grad_input}
    # Parameters are shared by every sample: sum over the leading (batch) axes.
    batch_axes = tuple(range(x.ndim - len(axes)))
    if weight is not None:
        grads["weight"] = (grad_y * x_hat).sum(axis=batch_axes)
    if bias is not None:
        grads["bias"] = grad_y.sum(axis=batch_axes)
    return grads
