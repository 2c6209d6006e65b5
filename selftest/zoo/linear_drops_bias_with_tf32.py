"""Linear drops its bias while cuBLAS may round float32 matmuls to TF32."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("forward",)
# Broken under --switch tf32 alone: it proves the switch is set while a cell runs (the
# setting is process state on a CPU-only torch too, so the zoo catches it without a GPU).
SWITCH = "tf32"


class Linear(torch.nn.Linear):
    def forward(self, input):
        if torch.backends.cuda.matmul.allow_tf32 and self.bias is not None:
            return torch.nn.functional.linear(input, self.weight)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
