"""Batch normalisation over (N, H, W) per channel, as torch.nn.BatchNorm2d: forward with
running-statistics update, and VJP.

y = (x - mean) / sqrt(var + eps) * weight + bias, where mean and the biased var are the
batch statistics (training, or no running stats kept) or the running buffers (eval).
"""

import numpy as np

# Statistics are per channel: every axis but the channel axis of (N, C, H, W) is reduced.
_REDUCED = (0, 2, 3)


def _per_channel(values: np.ndarray) -> np.ndarray:
    """A (C,) vector shaped (1, C, 1, 1) so it broadcasts against (N, C, H, W)."""
    return np.asarray(values, dtype=np.float64)[None, :, None, None]


def _as_4d(x: np.ndarray) -> np.ndarray:
    """x as float64, which must be (N, C, H, W): BatchNorm2d accepts only 4-D input."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"expected 4D input (N, C, H, W), got {x.ndim}D input")
    return x


def _affine(x_hat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None) -> np.ndarray:
    """x_hat * weight + bias, each factor only where the layer has it."""
    y = x_hat
    if weight is not None:
        y = y * _per_channel(weight)
    if bias is not None:
        y = y + _per_channel(bias)
    return y


def batch_norm2d_forward(
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
    """(y, new_buffers): BatchNorm2d's output and its buffers after this forward call."""
    x = _as_4d(x)
    count = x.shape[0] * x.shape[2] * x.shape[3]
    if training and count == 1:
        # As torch: the unbiased variance of one value is undefined.
        raise ValueError("Expected more than 1 value per channel when training")
    has_running = running_mean is not None and running_var is not None
    if training or not has_running:
        mean, var = x.mean(axis=_REDUCED), x.var(axis=_REDUCED)
    else:
        mean = np.asarray(running_mean, dtype=np.float64)
        var = np.asarray(running_var, dtype=np.float64)
    y = _affine((x - _per_channel(mean)) / np.sqrt(_per_channel(var) + eps), weight, bias)

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


def batch_norm2d_vjp(
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
    x = _as_4d(x)
    grad_y = np.asarray(grad_y, dtype=np.float64)
    if use_batch_stats:
        mean, var = x.mean(axis=_REDUCED), x.var(axis=_REDUCED)
    else:
        mean = np.asarray(running_mean, dtype=np.float64)
        var = np.asarray(running_var, dtype=np.float64)
    inv_std = 1.0 / np.sqrt(_per_channel(var) + eps)
    x_hat = (x - _per_channel(mean)) * inv_std
    grad_x_hat = grad_y if weight is None else grad_y * _per_channel(weight)
    if use_batch_stats:
        # mean and var depend on x too: project out the directions they absorb
        # (a shift of the channel, and a scaling of x_hat).
        grad_input = inv_std * (
            grad_x_hat
            - grad_x_hat.mean(axis=_REDUCED, keepdims=True)
            - x_hat * (grad_x_hat * x_hat).mean(axis=_REDUCED, keepdims=True)
        )
    else:
        grad_input = grad_x_hat * inv_std
    grads = {"input": grad_input}
    if weight is not None:
        grads["weight"] = (grad_y * x_hat).sum(axis=_REDUCED)
    if bias is not None:
        grads["bias"] = grad_y.sum(axis=_REDUCED)
    return grads
