"""Dropout: in training, zero each element with probability p and scale the rest by 1/(1-p)."""

from __future__ import annotations

import torch
from torch.nn import Module


class Dropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not 0 <= self.p <= 1:
            # NaN passes the constructor's comparisons; it is rejected here, in any mode.
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {self.p}")
        if not self.training or self.p == 0 or x.numel() == 0:
            return x
        if self.p == 1:
            # Nothing is kept; a product (not a fill) so NaN and inf still give NaN.
            return x.mul_(0.0) if self.inplace else x * 0.0
        keep = torch.empty_like(x).bernoulli_(1 - self.p)
        scaled = keep / (1 - self.p)
        return x.mul_(scaled) if self.inplace else x * scaled

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
