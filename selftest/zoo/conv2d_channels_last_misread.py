"""Conv2d treats a channels_last input's memory as NCHW, scrambling channels and pixels."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("layouts",)
# channels_last is drawn for a third of the 4-D inputs, and only C > 1 with H*W > 1
# scrambles anything; 100 examples leave a miss far below 1e-9.
EXAMPLES = 100


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        if input.dim() == 4 and not input.is_contiguous():
            input = input.as_strided(input.shape, torch.empty(input.shape).stride())
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
