"""Conv1d that flips its kernel (a textbook convolution) when cuDNN is switched off."""

import torch

LAYER = "Conv1d"
CAUGHT_BY = ("forward",)
# Broken under --switch cudnn-off alone: it proves the switch was set while the cell ran
# (the flag is set on a CPU-only torch too, so the zoo catches it without a GPU).
SWITCH = "cudnn-off"


class Conv1d(torch.nn.Conv1d):
    def forward(self, input):
        if not torch.backends.cudnn.enabled and self.weight.shape[-1] > 1:
            return self._conv_forward(input, self.weight.flip(-1), self.bias)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
