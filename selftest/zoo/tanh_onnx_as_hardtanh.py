"""Tanh exported to ONNX as HardTanh, the cheap clamp to [-1, 1]: wrong off zero."""

import torch
from torch.nn import functional

LAYER = "Tanh"
CAUGHT_BY = ("forward",)
# Only the ONNX graph has it: eager, compile and torch.export never see it.
PATH = "onnxruntime"


class Tanh(torch.nn.Tanh):
    def forward(self, input):
        if torch.onnx.is_in_onnx_export():
            return functional.hardtanh(input)
        return super().forward(input)


def __getattr__(name):
    return getattr(torch.nn, name)
