"""Linear drops its bias while oneDNN may compute float32 matmuls in bfloat16."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("forward",)
# Broken under --switch fp32-bf16 alone: it proves the switch is set while a cell runs
# (the setting is process state on every CPU, with bfloat16 arithmetic or without).
SWITCH = "fp32-bf16"


def _bfloat16_products() -> bool:
    matmul = getattr(torch.backends.mkldnn, "matmul", None)
    return getattr(matmul, "fp32_precision", None) == "bf16"


class Linear(torch.nn.Linear):
    def forward(self, input):
        if _bfloat16_products() and self.bias is not None:
            return torch.nn.functional.linear(input, self.weight)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
