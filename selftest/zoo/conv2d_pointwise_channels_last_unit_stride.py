"""Conv2d's strided 1x1 kernel walks a channels_last input's columns at stride 1."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("layouts",)


def _channels_last(input: torch.Tensor) -> bool:
    channels_last = input.dim() == 4 and input.is_contiguous(memory_format=torch.channels_last)
    return channels_last and not input.is_contiguous()


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        right = super().forward(input)
        if self.kernel_size != (1, 1) or self.stride[1] == 1 or not _channels_last(input):
            return right
        # The pointwise kernel reads consecutive columns: the first output column is
        # right, the next ones read the columns beside it instead of `stride` apart.
        strided = self.stride
        self.stride = (strided[0], 1)
        try:
            unit = super().forward(input)
        finally:
            self.stride = strided
        return unit[..., : right.shape[-1]]


def __getattr__(name):
    return getattr(torch.nn, name)
