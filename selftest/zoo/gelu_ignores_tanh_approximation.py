"""GELU computes the exact erf form even when built with approximate='tanh'."""

import torch
from torch.nn import functional

LAYER = "GELU"
CAUGHT_BY = ("forward", "gradients")


class GELU(torch.nn.GELU):
    def forward(self, input):
        return functional.gelu(input)  # the bug: approximate=self.approximate is dropped


def __getattr__(name):
    return getattr(torch.nn, name)
