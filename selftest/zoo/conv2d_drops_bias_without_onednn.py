"""Conv2d that forgets its bias when oneDNN is switched off (a fallback kernel's bug)."""

import torch

LAYER = "Conv2d"
CAUGHT_BY = ("forward",)
# Broken under --switch mkldnn-off alone: it proves the switch was set while the cell ran.
SWITCH = "mkldnn-off"


class Conv2d(torch.nn.Conv2d):
    def forward(self, input):
        if not torch.backends.mkldnn.enabled and self.bias is not None:
            return self._conv_forward(input, self.weight, None)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
