"""BatchNorm2d and LayerNorm: (x - mean) / sqrt(var + eps), then an optional affine map."""

from __future__ import annotations

import torch
from torch.nn import Module, Parameter


def _normalise(x: torch.Tensor, dims: tuple[int, ...], eps: float) -> tuple:
    """(x - mean) / sqrt(var + eps) over `dims`, with the biased variance; also mean, var.

    Half types compute in float32 and round once at the end: in float16 the derivative
    of rsqrt at a small var + eps (-rsqrt^3 / 2) overflows, and 0 * inf is NaN.
    """
    wide = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
    mean = wide.mean(dim=dims, keepdim=True)
    centred = wide - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    y = centred * torch.rsqrt(var + eps)
    return y.to(x.dtype), mean.to(x.dtype), var.to(x.dtype)


class BatchNorm2d(Module):
    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        options = {"device": device, "dtype": dtype}
        if affine:
            self.weight = Parameter(torch.empty(num_features, **options))
            if bias:
                self.bias = Parameter(torch.empty(num_features, **options))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **options))
            self.register_buffer("running_var", torch.ones(num_features, **options))
            self.register_buffer(
                "num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        with torch.no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def _check(self, x: torch.Tensor, batch_stats: bool) -> None:
        if x.dim() != 4:
            raise ValueError(f"expected 4D input (got {x.dim()}D input)")
        has_per_channel = self.weight is not None or self.running_mean is not None
        if has_per_channel and x.shape[1] != self.num_features:
            raise RuntimeError(
                f"running_mean/weight should contain {x.shape[1]} elements not {self.num_features}"
            )
        if batch_stats:
            if x.shape[0] * x.shape[2] * x.shape[3] == 1:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got input size "
                    f"{list(x.shape)}"
                )
            if not self.eps > 0:
                raise ValueError(
                    f"batch_norm eps must be positive during training, but got {self.eps}"
                )
        elif self.eps < 0:
            raise ValueError(f"batch_norm eps must be non-negative, but got {self.eps}")

    def _update_running_stats(self, mean: torch.Tensor, var: torch.Tensor, count: int) -> None:
        self.num_batches_tracked.add_(1)
        factor = self.momentum
        if factor is None:
            # The cumulative average over the batches seen so far: 1 / count. A meta
            # tensor has no value to read, so there the factor stays a tensor.
            batches = self.num_batches_tracked
            factor = 1.0 / (batches if batches.device.type == "meta" else float(batches))
        unbiased = var * (count / (count - 1))
        with torch.no_grad():
            self.running_mean.mul_(1 - factor).add_(factor * mean.reshape(-1))
            self.running_var.mul_(1 - factor).add_(factor * unbiased.reshape(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch_stats = self.training or not self.track_running_stats
        self._check(x, batch_stats)
        if batch_stats:
            y, mean, var = _normalise(x, (0, 2, 3), self.eps)
            if self.training and self.track_running_stats:
                count = x.shape[0] * x.shape[2] * x.shape[3]
                self._update_running_stats(mean.detach(), var.detach(), count)
        else:
            mean = self.running_mean.reshape(1, -1, 1, 1)
            var = self.running_var.reshape(1, -1, 1, 1)
            y = (x - mean) * torch.rsqrt(var + self.eps)
        if self.weight is not None:
            y = y * self.weight.reshape(1, -1, 1, 1)
        if self.bias is not None:
            y = y + self.bias.reshape(1, -1, 1, 1)
        return y

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class LayerNorm(Module):
    def __init__(
        self,
        normalized_shape: int | list[int] | tuple[int, ...] | torch.Size,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        options = {"device": device, "dtype": dtype}
        if elementwise_affine:
            self.weight = Parameter(torch.empty(self.normalized_shape, **options))
            if bias:
                self.bias = Parameter(torch.empty(self.normalized_shape, **options))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = self.normalized_shape
        if len(shape) == 0:
            raise RuntimeError(
                "Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
                "least one element"
            )
        if x.dim() < len(shape) or tuple(x.shape[x.dim() - len(shape) :]) != shape:
            raise RuntimeError(
                f"Given normalized_shape={list(shape)}, expected input with shape "
                f"[*, {', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
            )
        dims = tuple(range(x.dim() - len(shape), x.dim()))
        y, _, _ = _normalise(x, dims, self.eps)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
