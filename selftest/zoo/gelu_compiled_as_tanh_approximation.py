"""GELU's compiled graph takes the tanh approximation whatever `approximate` says (5e-4 off)."""

import torch
from torch.nn import functional

LAYER = "GELU"
CAUGHT_BY = ("forward",)
# Only a graph torch.compile traces has it (eager and export never see it). The
# openvino backend exposes no flag of its own, as torch.onnx does for its export: this is
# the path's mutant because the graph it runs is the compiled one.
PATH = "compile:openvino"


class GELU(torch.nn.GELU):
    def forward(self, input):
        if torch.compiler.is_compiling() and not torch.compiler.is_exporting():
            return functional.gelu(input, approximate="tanh")
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
