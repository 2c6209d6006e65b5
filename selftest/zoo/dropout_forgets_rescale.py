"""Dropout zeroes elements with probability p but forgets to scale survivors by 1 / (1 - p)."""

import torch

LAYER = "Dropout"
CAUGHT_BY = ("forward", "gradients")


class Dropout(torch.nn.Dropout):
    def forward(self, input):
        if not self.training or self.p == 0:
            return input
        keep = (torch.rand_like(input) >= self.p).to(input.dtype)
        if self.inplace:
            return input.mul_(keep)
        return input * keep


def __getattr__(name):
    return getattr(torch.nn, name)
