"""Batch normalisation per channel, as torch.nn.BatchNorm1d and BatchNorm2d: forward with
running-statistics update, and VJP.

The channels are axis 1 of (N, C), (N, C, L) or (N, C, H, W); the statistics of a channel
reduce over every other axis. y = (x - mean) / sqrt(var + eps) * weight + bias, where
mean and the biased var are the batch statistics (training, or no running stats kept)
or the running buffers (eval).
"""

import numpy as np


def reduced_axes(ndim: int) -> tuple[int, ...]:
    """Every axis but the channel axis 1: (0,) for (N, C), (0, 2) for (N, C, L), ..."""
    return (0, *range(2, ndim))


def _per_channel(values: np.ndarray, ndim: int) -> np.ndarray:
    """A (C,) vector shaped (1, C, 1, ...) so it broadcasts against an ndim-D input."""
    return np.asarray(values, dtype=np.float64).reshape(1, -1, *(1,) * (ndim - 2))


def _checked(x: np.ndarray, ranks: tuple[int, ...]) -> np.ndarray:
    """x as float64, which must have one of the ranks the layer accepts."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in ranks:
        expected = " or ".join(f"{rank}D" for rank in ranks)
        raise ValueError(f"expected {expected} input, got {x.ndim}D input")
    return x


def _affine(x_hat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None) -> np.ndarray:
    """x_hat * weight + bias, each factor only where the layer has it."""
    y = x_hat
    if weight is not None:
        y = y * _per_channel(weight, x_hat.ndim)
    if bias is not None:
        y = y + _per_channel(bias, x_hat.ndim)
    return y


def batch_norm_forward(
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    num_batches_tracked: int | None,
    *,
    momentum: float | None,
    eps: float,
    training: bool,
    track_running_stats: bool,
) -> tuple[np.ndarray, dict[str, np.ndarray | int]]:
    """(y, new_buffers): the output and the buffers after this forward call, for x of any
    rank >= 2 with channels on axis 1."""
    x = np.asarray(x, dtype=np.float64)
    axes = reduced_axes(x.ndim)
    count = x.size // x.shape[1]
    if training and count == 1:
        # As torch: the unbiased variance of one value is undefined.
        raise ValueError("Expected more than 1 value per channel when training")
    has_running = running_mean is not None and running_var is not None
    if training or not has_running:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean = np.asarray(running_mean, dtype=np.float64)
        var = np.asarray(running_var, dtype=np.float64)
    x_hat = (x - _per_channel(mean, x.ndim)) / np.sqrt(_per_channel(var, x.ndim) + eps)
    y = _affine(x_hat, weight, bias)

    if not (track_running_stats and has_running):
        return y, {}
    buffers: dict[str, np.ndarray | int] = {
        "running_mean": np.asarray(running_mean, dtype=np.float64),
        "running_var": np.asarray(running_var, dtype=np.float64),
        "num_batches_tracked": int(num_batches_tracked),
    }
    if not training:
        return y, buffers
    steps = buffers["num_batches_tracked"] + 1
    # momentum=None means the cumulative average: the k-th batch gets weight 1/k.
    factor = 1.0 / steps if momentum is None else momentum
    # The running variance estimates the population variance, hence Bessel's n / (n - 1).
    unbiased_var = var * count / (count - 1)
    buffers["running_mean"] = (1 - factor) * buffers["running_mean"] + factor * mean
    buffers["running_var"] = (1 - factor) * buffers["running_var"] + factor * unbiased_var
    buffers["num_batches_tracked"] = steps
    return y, buffers


def batch_norm_vjp(
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    *,
    eps: float,
    use_batch_stats: bool,
    grad_y: np.ndarray,
) -> dict[str, np.ndarray]:
    """Gradients of sum(y * grad_y) w.r.t. input, weight and bias (those present)."""
    x = np.asarray(x, dtype=np.float64)
    axes = reduced_axes(x.ndim)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    if use_batch_stats:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean = np.asarray(running_mean, dtype=np.float64)
        var = np.asarray(running_var, dtype=np.float64)
    inv_std = 1.0 / np.sqrt(_per_channel(var, x.ndim) + eps)
    x_hat = (x - _per_channel(mean, x.ndim)) * inv_std
    grad_x_hat = grad_y if weight is None else grad_y * _per_channel(weight, x.ndim)
    if use_batch_stats:
        # mean and var depend on x too: project out the directions they absorb
        # (a shift of the channel, and a scaling of x_hat).
        grad_input = inv_std * (
            grad_x_hat
            - grad_x_hat.mean(axis=axes, keepdims=True)
            - x_hat * (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)
        )
    else:
        grad_input = grad_x_hat * inv_std
    grads = {"input": grad_input}
    if weight is not None:
        grads["weight"] = (grad_y * x_hat).sum(axis=axes)
    if bias is not None:
        grads["bias"] = grad_y.sum(axis=axes)
    return grads


# The layers: the same normalisation, each accepting its own input ranks.
BATCH_NORM1D_RANKS = (2, 3)
BATCH_NORM2D_RANKS = (4,)


def batch_norm1d_forward(x: np.ndarray, *args, **kwargs) -> tuple[np.ndarray, dict]:
    """BatchNorm1d: batch_norm_forward on (N, C) or (N, C, L)."""
    return batch_norm_forward(_checked(x, BATCH_NORM1D_RANKS), *args, **kwargs)


def batch_norm1d_vjp(x: np.ndarray, *args, **kwargs) -> dict[str, np.ndarray]:
    """BatchNorm1d: batch_norm_vjp on (N, C) or (N, C, L)."""
    return batch_norm_vjp(_checked(x, BATCH_NORM1D_RANKS), *args, **kwargs)


def batch_norm2d_forward(x: np.ndarray, *args, **kwargs) -> tuple[np.ndarray, dict]:
    """BatchNorm2d: batch_norm_forward on (N, C, H, W)."""
    return batch_norm_forward(_checked(x, BATCH_NORM2D_RANKS), *args, **kwargs)


def batch_norm2d_vjp(x: np.ndarray, *args, **kwargs) -> dict[str, np.ndarray]:
    """BatchNorm2d: batch_norm_vjp on (N, C, H, W)."""
    return batch_norm_vjp(_checked(x, BATCH_NORM2D_RANKS), *args, **kwargs)
