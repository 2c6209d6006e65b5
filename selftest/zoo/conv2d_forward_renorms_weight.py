"""Conv2d.forward renormalises each filter to L2 norm <= 1 in place, frozen or not."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("freezing::test_freezing",)

MAX_NORM = 1.0


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        with torch.no_grad():
            self.weight.renorm_(2, 0, MAX_NORM)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
