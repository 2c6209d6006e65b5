"""Linear: y = x W^T + b."""

from __future__ import annotations

import math

import torch
from torch.nn import Module, Parameter


def default_bound(fan_in: int) -> float:
    """The default init bound of Linear and Conv2d weights and biases: 1 / sqrt(fan_in).

    (Kaiming-uniform with a = sqrt(5): gain sqrt(2 / 6), bound gain * sqrt(3 / fan_in).)
    """
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


class Linear(Module):
    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        options = {"device": device, "dtype": dtype}
        self.weight = Parameter(torch.empty((out_features, in_features), **options))
        if bias:
            self.bias = Parameter(torch.empty(out_features, **options))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = default_bound(self.in_features)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 0:
            raise RuntimeError("Linear needs an input of at least one dimension, got a 0-d one")
        if x.shape[-1] != self.in_features:
            raise RuntimeError(
                f"input's last dimension {x.shape[-1]} != in_features {self.in_features}"
            )
        y = torch.matmul(x, self.weight.t())
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
