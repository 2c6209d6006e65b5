"""opacus_nn: the torch.nn names whose parameter gradients are opacus' per-sample gradients.

For `--impl examples.impls.opacus_nn`. opacus (Meta's differentially private training
library) trains with per-sample gradients: wrapped in `GradSampleModule`, each supported
layer gets, after a backward, `param.grad_sample`, one gradient per sample of the batch,
which DP-SGD clips sample by sample and sums. Those gradients come from opacus' own
formulas (an unfold and an einsum per convolution, a scatter per embedding), one grad
sampler per layer type, not from autograd.

With the loss summed over the batch (`loss_reduction="sum"`), the per-sample gradients of a
parameter add up to its gradient. That identity is what is judged here: each class below is
torch's, with its parameter gradients replaced by opacus' per-sample gradients summed over
the batch, and its input gradient left to autograd. Everything the suite checks of a
gradient (the reference VJP, exact cases, freezing, training steps) then judges opacus'
formulas for every drawn configuration. The grad sampler is called as `GradSampleModule`'s
hooks call it: the module's input as the activation, the gradient of its output as the
backprop. Layers opacus has no grad sampler for (the batch norms, which DP training
replaces, the pools, the activations, the losses) fall through to torch.nn, so those cells
judge torch. Found non-conformances: opacus_known_failures.py.

The batch dimension: opacus treats an input's first dimension as the batch
(`batch_first=True`, its default), so an unbatched call's first dimension is taken for one.
"""

from __future__ import annotations

import copy
import importlib.metadata

import torch
from torch.nn import functional, init

try:
    from opacus import GradSampleModule
except ImportError as error:  # pragma: no cover - the tox env installs it
    raise ImportError("opacus is not installed: pip install 'nnconform[opacus]'") from error

OPACUS_VERSION = importlib.metadata.version("opacus")

# The torch.nn names opacus has a grad sampler for and the registry holds.
MAPPED = ("Linear", "Conv1d", "Conv2d", "LayerNorm", "Embedding")


class _SummedPerSampleGradients(torch.autograd.Function):
    """Passes the output through; in the backward, each parameter's gradient is the sum
    over the batch of what opacus' grad sampler for the layer gives per sample."""

    @staticmethod
    def forward(ctx, layer, names, activation, output, *parameters):  # noqa: ANN001
        ctx.layer, ctx.names = layer, names
        ctx.save_for_backward(activation)
        return output.clone()

    @staticmethod
    def backward(ctx, grad_output):  # noqa: ANN001
        (activation,) = ctx.saved_tensors
        # opacus picks a grad sampler by the layer's exact type, and the conv sampler
        # branches on it again, so it is handed the layer as torch's class, sharing its
        # parameters (a user's network holds torch's classes).
        as_torch = copy.copy(ctx.layer)
        as_torch.__class__ = type(ctx.layer).__mro__[1]
        sampler = GradSampleModule.GRAD_SAMPLERS[type(as_torch)]
        # As GradSampleModule's hooks hand them over: detached (per-sample gradients are
        # first-order only).
        per_sample = sampler(as_torch, [activation], grad_output.detach())
        # By name: the forward may have run on tensors functional_call put in the
        # parameters' place, which are back in place now; opacus' per-sample gradients of
        # these layers do not read the parameters' values.
        summed = []
        for name in ctx.names:
            sample = per_sample.get(getattr(as_torch, name))
            summed.append(None if sample is None else sample.sum(0))
        return (None, None, None, grad_output, *summed)


def _conv_forward(layer: torch.nn.Module, x: torch.Tensor, p: dict) -> torch.Tensor:
    # torch's Conv1d/Conv2d forward is this method, with the parameters passed in.
    return layer._conv_forward(x, p["weight"], p.get("bias"))


# torch's forward of each mapped layer, given the parameters to compute with.
TORCH_FORWARD = {
    "Linear": lambda layer, x, p: functional.linear(x, p["weight"], p.get("bias")),
    "Conv1d": _conv_forward,
    "Conv2d": _conv_forward,
    "LayerNorm": lambda layer, x, p: functional.layer_norm(
        x, layer.normalized_shape, p.get("weight"), p.get("bias"), layer.eps
    ),
    "Embedding": lambda layer, x, p: functional.embedding(
        x,
        p["weight"],
        layer.padding_idx,
        layer.max_norm,
        layer.norm_type,
        layer.scale_grad_by_freq,
        layer.sparse,
    ),
}


def _forward(self: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """torch's forward on detached parameters (autograd gives the input's gradient), routed
    through opacus for the parameters' gradients."""
    base = type(self).__mro__[1]
    parameters = dict(self.named_parameters(recurse=False))
    # Symbolic tracing (torch.fx) records torch's forward: no backward runs there.
    if isinstance(x, torch.fx.Proxy):
        return base.forward(self, x)
    detached = {name: p.detach() for name, p in parameters.items()}
    output = TORCH_FORWARD[base.__name__](self, x, detached)
    if not any(p.requires_grad for p in parameters.values()) or not torch.is_grad_enabled():
        return output
    names = tuple(parameters)
    return _SummedPerSampleGradients.apply(self, names, x.detach(), output, *parameters.values())


def _per_sample(name: str) -> type:
    base = getattr(torch.nn, name)
    return type(
        name,
        (base,),
        {
            "forward": _forward,
            "__module__": __name__,
            "__doc__": f"torch.nn.{name} with opacus' summed per-sample parameter gradients.",
        },
    )


Linear = _per_sample("Linear")
Conv1d = _per_sample("Conv1d")
Conv2d = _per_sample("Conv2d")
LayerNorm = _per_sample("LayerNorm")
Embedding = _per_sample("Embedding")


def __getattr__(name: str) -> object:
    """Every name opacus has no grad sampler for is torch.nn's own."""
    return getattr(torch.nn, name)


def mapped_classes() -> dict[str, type]:
    """The classes this adapter answers with, by torch.nn name."""
    return {name: globals()[name] for name in MAPPED}


__all__ = [
    "MAPPED",
    "OPACUS_VERSION",
    "Conv1d",
    "Conv2d",
    "Embedding",
    "LayerNorm",
    "Linear",
    "init",
    "mapped_classes",
]
