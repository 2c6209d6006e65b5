"""Conv2d accepts groups that do not divide the channels; only the first forward fails."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("errors",)


class Conv2d(torch.nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, *args, groups=1, **kwargs):
        divides = groups > 0 and in_channels % groups == 0 and out_channels % groups == 0
        # The bug: no ValueError here; the kernel complains later, with a RuntimeError.
        super().__init__(
            in_channels, out_channels, kernel_size, *args, groups=groups if divides else 1, **kwargs
        )
        self.groups = groups


def __getattr__(name):
    return getattr(torch.nn, name)
