"""Linear that forgets the bias on a 1-D input, right on every batched one."""

# A backend's lowering of the unbatched call to a matrix-vector product without the
# addition its batched matrix product fuses. The exact cases meet an unbatched input
# every run (LayerSpec.exact_input_classes), not only where a random draw picks one.

import torch

LAYER = "Linear"
CAUGHT_BY = ("exact", "forward")


class Linear(torch.nn.Linear):
    def forward(self, input):
        if input.dim() == 1:
            return torch.mv(self.weight, input)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
