"""LeakyReLU computed as max(x, slope * x), which is the map only for slopes up to 1."""

import torch

LAYER = "LeakyReLU"
CAUGHT_BY = ("forward", "gradients")


class LeakyReLU(torch.nn.LeakyReLU):
    def forward(self, input):
        # Right for 0 <= slope <= 1 and for negative slopes; above 1 it scales x > 0 too.
        result = torch.maximum(input, input * self.negative_slope)
        return input.copy_(result) if self.inplace else result


def __getattr__(name):
    return getattr(torch.nn, name)
