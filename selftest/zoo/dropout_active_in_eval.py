"""Dropout keeps dropping elements after eval(): it never looks at self.training."""

import torch
from torch.nn import functional

LAYER = "Dropout"
CAUGHT_BY = ("modes", "chapter_claims")


class Dropout(torch.nn.Dropout):
    def forward(self, input):
        return functional.dropout(input, self.p, True, self.inplace)  # the bug: always training


def __getattr__(name):
    return getattr(torch.nn, name)
