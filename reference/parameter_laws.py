"""Closed-form parameter and buffer shapes of the chapter's layers, in torch's order."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

Shapes = dict[str, tuple[int, ...]]


def _check_sizes(**sizes: int) -> None:
    """Reject negative sizes, which no tensor can have."""
    for name, size in sizes.items():
        if size < 0:
            raise ValueError(f"{name} must be non-negative, got {size}")


def _sized(size: int | Sequence[int], dims: int, name: str) -> tuple[int, ...]:
    """An int or a `dims`-tuple as a `dims`-tuple, the way nn.ConvNd reads kernel_size."""
    if isinstance(size, numbers.Integral):
        return (int(size),) * dims
    sizes = tuple(int(s) for s in size)
    # torch would silently build a weight of the wrong rank from any other length.
    if len(sizes) != dims:
        raise ValueError(f"{name} must be an int or {dims} ints, got {size!r}")
    return sizes


def linear_param_shapes(in_features: int, out_features: int, bias: bool = True) -> Shapes:
    """nn.Linear: weight (out, in), then bias (out,) when bias=True."""
    _check_sizes(in_features=in_features, out_features=out_features)
    # Stored as (out, in) because the forward is x @ W.T + b.
    shapes: Shapes = {"weight": (out_features, in_features)}
    if bias:
        shapes["bias"] = (out_features,)
    return shapes


def _conv_param_shapes(
    in_channels: int, out_channels: int, kernel: tuple[int, ...], groups: int, bias: bool
) -> Shapes:
    """nn.ConvNd: weight (out, in/groups, *kernel), then bias (out,) when bias=True."""
    _check_sizes(in_channels=in_channels, out_channels=out_channels)
    # Same checks, same order and exception type as torch's _ConvNd constructor.
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    _check_sizes(**{f"kernel_size[{i}]": k for i, k in enumerate(kernel)})
    # Each output channel sees only the in/groups input channels of its group.
    shapes: Shapes = {"weight": (out_channels, in_channels // groups, *kernel)}
    if bias:
        shapes["bias"] = (out_channels,)
    return shapes


def conv1d_param_shapes(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    groups: int = 1,
    bias: bool = True,
) -> Shapes:
    """nn.Conv1d: weight (out, in/groups, k), then bias (out,) when bias=True."""
    return _conv_param_shapes(
        in_channels, out_channels, _sized(kernel_size, 1, "kernel_size"), groups, bias
    )


def conv2d_param_shapes(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Sequence[int],
    groups: int = 1,
    bias: bool = True,
) -> Shapes:
    """nn.Conv2d: weight (out, in/groups, kh, kw), then bias (out,) when bias=True."""
    return _conv_param_shapes(
        in_channels, out_channels, _sized(kernel_size, 2, "kernel_size"), groups, bias
    )


def batch_norm_param_shapes(num_features: int, affine: bool = True, *, bias: bool = True) -> Shapes:
    """nn.BatchNorm1d/2d: weight (C,) and bias (C,) when affine, none otherwise."""
    _check_sizes(num_features=num_features)
    # bias=False (keyword-only, newer torch) keeps the scale and drops the shift.
    shapes: Shapes = {}
    if affine:
        shapes["weight"] = (num_features,)
        if bias:
            shapes["bias"] = (num_features,)
    return shapes


def batch_norm_buffer_shapes(num_features: int, track_running_stats: bool = True) -> Shapes:
    """nn.BatchNorm1d/2d buffers: running_mean (C,), running_var (C,), num_batches_tracked ()."""
    _check_sizes(num_features=num_features)
    if not track_running_stats:
        # torch registers them as None, and named_buffers() skips None.
        return {}
    return {
        "running_mean": (num_features,),
        "running_var": (num_features,),
        # A 0-d counter: it drives the cumulative average when momentum is None.
        "num_batches_tracked": (),
    }


# BatchNorm2d's are BatchNorm1d's: one vector per channel whatever the input's rank.
batch_norm2d_param_shapes = batch_norm_param_shapes
batch_norm2d_buffer_shapes = batch_norm_buffer_shapes


def layer_norm_param_shapes(
    normalized_shape: int | Sequence[int], elementwise_affine: bool = True, bias: bool = True
) -> Shapes:
    """nn.LayerNorm: weight and bias of shape normalized_shape when elementwise_affine."""
    if isinstance(normalized_shape, numbers.Integral):
        shape: tuple[int, ...] = (int(normalized_shape),)
    else:
        shape = tuple(int(s) for s in normalized_shape)
    _check_sizes(**{f"normalized_shape[{i}]": s for i, s in enumerate(shape)})
    shapes: Shapes = {}
    if elementwise_affine:
        shapes["weight"] = shape
        if bias:
            shapes["bias"] = shape
    return shapes


def param_count(shapes: Shapes) -> int:
    """Total number of elements: sum over shapes of their product (a 0-d shape counts 1)."""
    return sum(math.prod(shape) for shape in shapes.values())
