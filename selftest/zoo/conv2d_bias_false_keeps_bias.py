"""Conv2d(bias=False) still registers a bias parameter, merely zeroed."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("parameters", "gradients")


class Conv2d(torch.nn.Conv2d):
    def __init__(self, *args, bias=True, **kwargs):
        super().__init__(*args, bias=True, **kwargs)
        if not bias:
            with torch.no_grad():
                self.bias.zero_()


def __getattr__(name):
    return getattr(torch.nn, name)
