"""Conv2d repeats a row of a tall, strided single output column."""

# The shape of the AMX bfloat16 bug (conv2d-bfloat16-amx-strided-single-column): wrong
# only where the output is one column wide at a horizontal stride above 1, the vertical
# stride is 1 and the column is five to eight rows high. One configuration an example
# meets it rarely; the exact sweep meets it every run.

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("exact",)


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        output = super().forward(input)
        rows, columns = output.shape[-2:]
        tall_strided_column = columns == 1 and self.stride[1] > 1 and self.stride[0] == 1
        if not (tall_strided_column and 5 <= rows <= 8):
            return output
        # The third row repeats the second, as a blocked kernel that stores its second
        # row block from the first block's accumulator would.
        rows_kept = [output[..., :2, :], output[..., 1:2, :], output[..., 3:, :]]
        return torch.cat(rows_kept, dim=-2)


def __getattr__(name):
    return getattr(torch.nn, name)
