"""student_nn: the chapter's torch.nn layers, written from the math with plain tensor ops.

An example third-party implementation for `--impl selftest.student_nn`: each layer is a
torch.nn.Module subclass computing its forward pass from matmul, sum, exp, where,
unfold, reshape and friends (no torch.nn.functional layer functions, no torch.nn layer
classes). The containers (Module, Sequential, ModuleList) and Parameter are torch's own,
as a student would reuse them.
"""

from torch.nn import Module, ModuleList, Parameter, Sequential

from selftest.student_nn import init
from selftest.student_nn.activation import ReLU, Sigmoid, Softmax, Tanh
from selftest.student_nn.conv import Conv2d
from selftest.student_nn.dropout import Dropout
from selftest.student_nn.flatten import Flatten
from selftest.student_nn.linear import Linear
from selftest.student_nn.normalization import BatchNorm2d, LayerNorm
from selftest.student_nn.pooling import AvgPool2d

__all__ = [
    "AvgPool2d",
    "BatchNorm2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "LayerNorm",
    "Linear",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "init",
]
