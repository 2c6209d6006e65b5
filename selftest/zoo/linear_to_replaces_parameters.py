"""Linear.to() rebuilds its weight as a new Parameter, orphaning optimizers holding the old."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("devices",)


class Linear(torch.nn.Linear):
    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        self.weight = torch.nn.Parameter(self.weight.detach().clone())
        return self


def __getattr__(name):
    return getattr(torch.nn, name)
