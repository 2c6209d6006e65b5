"""Softmax's compile-only decomposition exp(x) / sum(exp(x)) skips the max shift: overflows."""

import torch

LAYER = "Softmax"
CAUGHT_BY = ("forward",)
# Registered only under torch.compile: eager, export and ONNX never see it.
PATH = (
    "compile:inductor",
    "compile:aot_eager",
    "compile:inductor-dynamic",
    "compile:inductor-freezing",
)


class Softmax(torch.nn.Softmax):
    def forward(self, input):
        if torch.compiler.is_compiling() and not torch.compiler.is_exporting():
            dim = self.dim if self.dim is not None else (0 if input.dim() in (0, 1, 3) else 1)
            exp = torch.exp(input)
            return exp / exp.sum(dim, keepdim=True)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
