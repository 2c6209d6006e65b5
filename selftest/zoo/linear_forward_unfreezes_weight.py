"""Linear.forward sets weight.requires_grad back to True, undoing a freeze."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("freezing::test_freezing",)


class Linear(torch.nn.Linear):
    def forward(self, input):
        self.weight.requires_grad_(True)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
