"""Elementwise activations and Softmax, written so no intermediate overflows."""

from __future__ import annotations

import warnings

import torch
from torch.nn import Module


class ReLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # max(0, x) as a select, not clamp: negatives become +0 while -0.0 and NaN stay as
        # they are, and the gradient is 0 where x <= 0 (also at exactly 0) and passes
        # through everywhere else, NaN included. The kept zeros take no gradient.
        kept_zeros = x.detach().masked_fill(x < 0, 0.0)
        y = torch.where(x <= 0, kept_zeros, x)
        return x.copy_(y) if self.inplace else y

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


def _exp_of_minus_abs(x: torch.Tensor, scale: float) -> torch.Tensor:
    """exp(-scale * |x|) in (0, 1], differentiable at 0 from the x >= 0 side.

    (abs() has gradient 0 at 0, which would lose the derivative there.)
    """
    return torch.where(x >= 0, -scale * x, scale * x)


class Sigmoid(Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: z = e^-|x| never overflows,
        # so neither the value nor the gradient meets inf (inf * 0 = NaN in backward).
        z = torch.exp(_exp_of_minus_abs(x, 1.0))
        return torch.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


class Tanh(Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # tanh|x| = (1 - e^-2|x|) / (1 + e^-2|x|) = -m / (2 + m) with m = expm1(-2|x|):
        # expm1 keeps small |x| exact where 1 - e^-2|x| would cancel.
        m = torch.expm1(_exp_of_minus_abs(x, 2.0))
        t = -m / (2.0 + m)
        return torch.where(x >= 0, t, -t)


def implicit_softmax_dim(ndim: int) -> int:
    """The legacy dim of Softmax(dim=None): 0 for 0-, 1- and 3-D input, else 1."""
    warnings.warn(
        "Implicit dimension choice for softmax has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dim = implicit_softmax_dim(x.dim()) if self.dim is None else self.dim
        # Shift by the (constant) max so exp never overflows; softmax is shift-invariant,
        # so the shift needs no gradient.
        shift = x.detach().amax(dim=dim, keepdim=True)
        shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
        e = torch.exp(x - shift)
        return e / e.sum(dim=dim, keepdim=True)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
