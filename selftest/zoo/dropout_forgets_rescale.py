"""Dropout zeroes elements in training but forgets to scale the kept ones by 1/(1-p)."""

import torch

LAYER = "Dropout"
CAUGHT_BY = ("modes", "models")
RUN_ON = {"models": "MyNetwork"}


class Dropout(torch.nn.Dropout):
    def forward(self, input):
        if not self.training or self.p == 0:
            return input
        keep = torch.rand_like(input) >= self.p
        return input * keep  # the bug: no division by 1 - p


def __getattr__(name):
    return getattr(torch.nn, name)
