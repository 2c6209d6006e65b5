"""learner_nn: a learner's first torch.nn, written from the textbook definitions.

For `--impl examples.impls.learner_nn`. It has what a course's first exercises ask for:
Linear, ReLU, Sigmoid, Tanh, Softmax, Dropout, Flatten, Sequential and three init
functions, each a torch.nn.Module (Module, ModuleList and Parameter are torch's own).
Everything else (Conv2d, the pools, BatchNorm2d, LayerNorm, the losses,
init.kaiming_uniform_, ...) is not written yet: the suite reports it "not provided".

Each formula is the definition as a textbook states it, checked by hand on a few small
inputs against torch.nn; no mistake was put in on purpose. Numerical care beyond the
definitions (a softmax shifted by its maximum, a sigmoid that cannot overflow, handling
of empty tensors, device and dtype arguments) was not taken, as a learner first writes
them: what the suite found, each checked by hand, is in learner_known_failures.py.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch
from torch.nn import Module, ModuleList, Parameter


class Linear(Module):
    """y = x W^T + b, with W and b uniform in (-1/sqrt(in_features), 1/sqrt(in_features))."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        if bias:
            self.bias = Parameter(torch.empty(out_features).uniform_(-bound, bound))
        else:
            self.bias = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x @ self.weight.T
        if self.bias is not None:
            y = y + self.bias
        return y


class ReLU(Module):
    """max(0, x)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.maximum(x, torch.zeros_like(x))


class Sigmoid(Module):
    """1 / (1 + e^-x)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1 / (1 + torch.exp(-x))


class Tanh(Module):
    """(e^x - e^-x) / (e^x + e^-x)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))


class Softmax(Module):
    """e^x_i / sum_j e^x_j along `dim`."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = torch.exp(x)
        return e / e.sum(dim=self.dim, keepdim=True)


class Dropout(Module):
    """In training, zero each element with probability p and scale the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = p
        self.inplace = inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        keep = (torch.rand_like(x) > self.p).float()
        return x * keep / (1 - self.p)


class Flatten(Module):
    """Merge dims start_dim..end_dim into one."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        end = self.end_dim if self.end_dim >= 0 else x.dim() + self.end_dim
        return x.reshape(*x.shape[: self.start_dim], -1, *x.shape[end + 1 :])


class Sequential(Module):
    """Call the layers in order; they are registered as "0", "1", ... as torch does."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for index, layer in enumerate(layers):
            self.add_module(str(index), layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x = layer(x)
        return x


def _fans(tensor: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out): the input and output channels times the kernel's size."""
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def zeros_(tensor: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return tensor.zero_()


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.uniform_(-bound, bound)


def kaiming_normal_(
    tensor: torch.Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> torch.Tensor:
    """N(0, std^2) with std = gain / sqrt(fan) (He et al., 2015)."""
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    if nonlinearity == "relu":
        gain = math.sqrt(2)
    elif nonlinearity == "leaky_relu":
        gain = math.sqrt(2 / (1 + a**2))
    elif nonlinearity in ("linear", "sigmoid"):
        gain = 1.0
    else:
        raise ValueError(f"unsupported nonlinearity {nonlinearity}")
    with torch.no_grad():
        return tensor.normal_(0, gain / math.sqrt(fan))


init = SimpleNamespace(
    zeros_=zeros_, xavier_uniform_=xavier_uniform_, kaiming_normal_=kaiming_normal_
)

__all__ = [
    "Dropout",
    "Flatten",
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
