"""Flatten() starts at dim 0 by default, folding the batch dim in with the features."""

import torch

LAYER = "Flatten"
CAUGHT_BY = ("shape", "forward")
# The spec leaves start_dim out (torch's default) only when it draws 1, spelled as 1,
# and then chooses to omit it: a few percent of examples. At the zoo's seed, 30 and 100
# examples miss it and 60 and 200 catch it; 200 also leaves room for strategy changes.
EXAMPLES = 200


class Flatten(torch.nn.Flatten):
    def __init__(self, start_dim=0, end_dim=-1):
        super().__init__(start_dim, end_dim)


def __getattr__(name):
    return getattr(torch.nn, name)
