"""Conv2d looks padding_mode up in a dict: an unknown mode raises KeyError, not ValueError."""

import torch
from torch.nn import functional

LAYER = "Conv2d"
CAUGHT_BY = ("errors",)

PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate"}
PAD_MODES["circular"] = "circular"


class Conv2d(torch.nn.Conv2d):
    def __init__(self, *args, padding_mode="zeros", **kwargs):
        pad_mode = PAD_MODES[padding_mode]
        super().__init__(*args, padding_mode=padding_mode, **kwargs)
        self.pad_mode = pad_mode

    def _conv_forward(self, input, weight, bias):
        padded = functional.pad(input, self._reversed_padding_repeated_twice, mode=self.pad_mode)
        return functional.conv2d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)


def __getattr__(name):
    return getattr(torch.nn, name)
