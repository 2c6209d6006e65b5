"""Conv2d's depthwise channels_last kernel reverses a multiplier's outputs in a strided column."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("layouts",)


def _channels_last(input: torch.Tensor) -> bool:
    channels_last = input.dim() == 4 and input.is_contiguous(memory_format=torch.channels_last)
    return channels_last and not input.is_contiguous()


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        output = super().forward(input)
        depthwise = self.groups > 1 and self.in_channels == self.groups
        multiplier = self.out_channels // self.groups
        strided_column = self.stride[1] > 1 and output.shape[-1] == 1
        if not (depthwise and multiplier > 1 and strided_column and _channels_last(input)):
            return output
        # Each group's outputs come back in the reverse order: a kernel that walks the
        # multiplier backwards where the column loop has a single iteration.
        shape = output.shape
        grouped = output.reshape(shape[0], self.groups, multiplier, *shape[2:])
        return grouped.flip(2).reshape(shape)


def __getattr__(name):
    return getattr(torch.nn, name)
