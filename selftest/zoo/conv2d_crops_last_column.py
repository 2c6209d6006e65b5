"""Conv2d's output width is one short: an off-by-one drops the last output column."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("shape", "forward")


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        return super().forward(input)[..., :-1]


def __getattr__(name):
    return getattr(torch.nn, name)
