"""Linear.requires_grad_(False) returns the module but leaves its parameters trainable."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("freezing::test_freezing",)


class Linear(torch.nn.Linear):
    def requires_grad_(self, requires_grad=True):
        return self  # the bug: a module-level freeze that freezes nothing


def __getattr__(name):
    return getattr(torch.nn, name)
