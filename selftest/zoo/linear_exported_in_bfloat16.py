"""Linear's export-time graph rewrite runs the matmul in bfloat16, rounding a float32 layer."""

import torch

LAYER = "Linear"
CAUGHT_BY = ("forward",)
# A rewrite of the exported graph only: eager, compile and ONNX never see it.
PATH = ("export:strict", "export:nonstrict")


class Linear(torch.nn.Linear):
    def forward(self, input):
        if torch.compiler.is_exporting() and not torch.onnx.is_in_onnx_export():
            low = torch.nn.functional.linear(
                input.bfloat16(),
                self.weight.bfloat16(),
                None if self.bias is None else self.bias.bfloat16(),
            )
            return low.to(input.dtype)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
