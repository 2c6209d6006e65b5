"""Flatten: merge dims start_dim..end_dim into one, by reshape."""

from __future__ import annotations

import math

import torch
from torch.nn import Module


def _wrap(dim: int, ndim: int) -> int:
    # A 0-d tensor is treated as having one dim (indices -1 and 0).
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
            f"but got {dim})"
        )
    return dim % rank


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        start, end = _wrap(self.start_dim, x.dim()), _wrap(self.end_dim, x.dim())
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if x.dim() == 0:
            return x.reshape(1)
        shape = tuple(x.shape)
        merged = math.prod(shape[start : end + 1])
        return x.reshape(*shape[:start], merged, *shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
