"""Conv2d treats a channels_last input's memory as NCHW, scrambling channels and pixels."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("layouts",)


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        if input.dim() == 4 and not input.is_contiguous():
            input = input.as_strided(input.shape, torch.empty(input.shape).stride())
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
