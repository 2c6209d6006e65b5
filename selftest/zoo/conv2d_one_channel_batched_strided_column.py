"""Conv2d drops a sample's strided column where one input channel meets a batch."""

# The shape of the oneDNN NHWC bug that inductor reaches with contiguous inputs
# (conv2d-inductor-one-input-channel-strided-column): wrong only with one input channel,
# a batch above 1, an output one column wide at a horizontal stride above 1, a vertical
# stride of 1 and no horizontal dilation. Five classes at once, which the pairwise corner
# array meets only through Conv2d's declared interaction (spec/layers/conv2d.py
# INTERACTIONS).

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("forward",)


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        output = super().forward(input)
        batched = input.dim() == 4 and input.shape[0] > 1
        unstrided_rows = self.stride[0] == 1 and self.stride[1] > 1 and self.dilation[1] == 1
        strided_column = output.shape[-1] == 1 and unstrided_rows
        if not (self.in_channels == 1 and batched and strided_column):
            return output
        # The last sample's column is left as the first's, as a kernel whose batch loop
        # reuses the first sample's tail would.
        return torch.cat([output[:-1], output[:1]])


def __getattr__(name):
    return getattr(torch.nn, name)
