"""brevitas_nn: the torch.nn names, backed by brevitas' quantized layers with quantization off.

For `--impl examples.impls.brevitas_nn`. brevitas (Xilinx/AMD's quantization-aware training
library) ships its layers as drop-ins for torch.nn's: QuantConv2d for Conv2d, QuantReLU for
ReLU, and so on, each quantizing its weights, inputs or outputs by a quantizer argument. A
user moving a float network onto brevitas, or keeping part of one in float, turns a
quantizer off by passing None; with every quantizer off the layer is meant to compute what
torch's does. That is the claim judged here.

Each class below is brevitas' own with the quantizers that are on by default defaulting to
None instead, and nothing else changed: brevitas' constructor (its argument order
included), forward, parameters, buffers and repr are what the suite sees. A name brevitas
has no float-capable drop-in for (the norms, Dropout, MaxPool, the losses, Softmax)
falls through to torch.nn, so those cells judge torch. Found non-conformances:
brevitas_known_failures.py.
"""

from __future__ import annotations

import importlib.metadata
import inspect

import torch
from torch.nn import init

try:
    from brevitas import nn as _qnn
except ImportError as error:  # pragma: no cover - the tox env installs it
    raise ImportError("brevitas is not installed: pip install 'nnconform[brevitas]'") from error

BREVITAS_VERSION = importlib.metadata.version("brevitas")

# The name under test, the brevitas class that answers to it, and the quantizers its
# default turns on (each set to None here).
MAPPED = {
    "Linear": ("QuantLinear", {"weight_quant": None}),
    "Conv1d": ("QuantConv1d", {"weight_quant": None}),
    "Conv2d": ("QuantConv2d", {"weight_quant": None}),
    "Embedding": ("QuantEmbedding", {"weight_quant": None}),
    "ReLU": ("QuantReLU", {"act_quant": None}),
    "Sigmoid": ("QuantSigmoid", {"act_quant": None}),
    "Tanh": ("QuantTanh", {"act_quant": None}),
    # TruncAvgPool2d returns a QuantTensor unless told otherwise.
    "AvgPool2d": ("TruncAvgPool2d", {"trunc_quant": None, "return_quant_tensor": False}),
}


def _float(torch_name: str, brevitas_name: str, off: dict[str, object]) -> type:
    """brevitas' class with the quantizers in `off` defaulting to None (float)."""
    base = getattr(_qnn, brevitas_name)

    def init(self: torch.nn.Module, *args: object, **kwargs: object) -> None:
        base.__init__(self, *args, **{**off, **kwargs})

    signature = inspect.signature(base.__init__)
    parameters = [
        p.replace(default=off[p.name]) if p.name in off else p
        for p in signature.parameters.values()
    ]
    init.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return type(
        torch_name,
        (base,),
        {
            "__init__": init,
            "__module__": __name__,
            "__doc__": f"brevitas.nn.{brevitas_name} with {', '.join(off)} off.",
        },
    )


Linear = _float("Linear", *MAPPED["Linear"])
Conv1d = _float("Conv1d", *MAPPED["Conv1d"])
Conv2d = _float("Conv2d", *MAPPED["Conv2d"])
Embedding = _float("Embedding", *MAPPED["Embedding"])
ReLU = _float("ReLU", *MAPPED["ReLU"])
Sigmoid = _float("Sigmoid", *MAPPED["Sigmoid"])
Tanh = _float("Tanh", *MAPPED["Tanh"])
AvgPool2d = _float("AvgPool2d", *MAPPED["AvgPool2d"])


def __getattr__(name: str) -> object:
    """Every name brevitas has no float drop-in for is torch.nn's own."""
    return getattr(torch.nn, name)


def mapped_classes() -> dict[str, type]:
    """The classes this adapter answers with, by torch.nn name."""
    return {name: globals()[name] for name in MAPPED}


__all__ = [
    "BREVITAS_VERSION",
    "MAPPED",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "Embedding",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "init",
    "mapped_classes",
]
