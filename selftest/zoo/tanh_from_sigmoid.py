"""Tanh computed as 2 * sigmoid(2x) - 1: right to a few ulps, but tanh(-x) != -tanh(x)."""

import torch

LAYER = "Tanh"
CAUGHT_BY = ("exact",)


class Tanh(torch.nn.Tanh):
    def forward(self, input):
        return 2 * torch.sigmoid(2 * input) - 1


def __getattr__(name):
    return getattr(torch.nn, name)
