"""Sigmoid as exp(x) / (1 + exp(x)): inf / inf = NaN once exp(x) overflows."""

import torch

LAYER = "Sigmoid"
CAUGHT_BY = ("forward", "gradients")


class Sigmoid(torch.nn.Sigmoid):
    def forward(self, input):
        e = torch.exp(input)
        return e / (1 + e)


def __getattr__(name):
    return getattr(torch.nn, name)
