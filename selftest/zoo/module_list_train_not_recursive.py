"""ModuleList overrides train() and flips only its own flag, so eval() never reaches its layers."""

import torch

LAYER = "Dropout"
CAUGHT_BY = ("modes::test_modes_reach_every_submodule",)


class ModuleList(torch.nn.ModuleList):
    def train(self, mode=True):
        self.training = mode  # the bug: the children keep their own mode
        return self


def __getattr__(name):
    return getattr(torch.nn, name)
