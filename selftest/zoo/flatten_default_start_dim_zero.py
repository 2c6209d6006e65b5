"""Flatten() starts at dim 0 by default, folding the batch dim in with the features."""

import torch

LAYER = "Flatten"
CAUGHT_BY = ("shape", "forward")


class Flatten(torch.nn.Flatten):
    def __init__(self, start_dim=0, end_dim=-1):
        super().__init__(start_dim, end_dim)


def __getattr__(name):
    return getattr(torch.nn, name)
