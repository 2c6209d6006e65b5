"""Softmax whose deterministic variant normalises over the first dimension, not `dim`."""

import torch

LAYER = "Softmax"
CAUGHT_BY = ("forward",)
# Broken under --switch deterministic alone: it proves the switch was set while the cell ran.
SWITCH = "deterministic"


class Softmax(torch.nn.Softmax):
    def forward(self, input):
        if torch.are_deterministic_algorithms_enabled() and input.dim() > 1 and input.shape[0] > 1:
            return torch.softmax(input, 0 if self.dim not in (0, -input.dim()) else 1)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
