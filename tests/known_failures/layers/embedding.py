"""Embedding's known failures."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch

from tests.known_failures.entry import (
    FIRST_CUDA_RUN,
    Check,
    KnownFailure,
    Observed,
    Where,
    seen_on_cuda,
)
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "Embedding"


def _renorms(where: Where) -> bool:
    return where.arguments["max_norm"] is not None


def rejected_input_renorms() -> None:
    embedding = torch.nn.Embedding(1, 1, max_norm=0.5)
    with torch.no_grad():
        embedding.weight.fill_(2.0)
    with contextlib.suppress(IndexError):  # index 1 is out of range for one row
        embedding(torch.tensor([0, 1]))
    # A call that raises must leave the module unchanged.
    assert embedding.weight.item() == 2.0, embedding.weight.item()


REJECTED_INPUT_RENORMS = KnownFailure(
    id="embedding-rejected-input-renorms",
    layer=LAYER,
    breaks=Check.UNCHANGED_STATE,
    covers=_renorms,
    devices=("cpu", "cuda", "meta"),
    repro=rejected_input_renorms,
    observed=Observed(since="2.1.2"),
    summary=(
        "Embedding(max_norm=...) renormalises the weight rows an input names before it "
        "checks the indices: an input it then rejects (an index out of range) has already "
        "changed the weight (2.0 -> 0.49999997 for max_norm 0.5), and a negative index "
        "renormalises the row it wraps to"
    ),
    upstream="not filed (no upstream issue found)",
)


def _scaled_repeats(where: Where) -> bool:
    x = where.x
    repeats = x is not None and np.unique(x).size < np.asarray(x).size
    return where.arguments["scale_grad_by_freq"] and bool(repeats)


def scaled_double_backward(path: str) -> None:
    weight = torch.ones(1, 1, dtype=torch.float64, requires_grad=True)
    grad_y = torch.ones(2, 1, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.embedding(torch.tensor([0, 0]), weight, scale_grad_by_freq=True)
    (grad_weight,) = torch.autograd.grad(y, weight, grad_y, create_graph=True)
    # dW[0] = (g0 + g1) / 2 (two lookups of row 0): d dW[0] / dg = [1/2, 1/2].
    (second,) = torch.autograd.grad(grad_weight.sum(), grad_y)
    assert torch.equal(second, torch.full_like(second, 0.5)), second.flatten().tolist()


SCALED_DOUBLE_BACKWARD = KnownFailure(
    id="embedding-scale-grad-by-freq-double-backward",
    layer=LAYER,
    breaks=Check.SECOND_ORDER,
    dtypes=("float64",),
    covers=_scaled_repeats,
    repro=scaled_double_backward,
    observed=Observed(since="2.1.2"),
    summary=(
        "Embedding(scale_grad_by_freq=True): the gradient of the weight gradient ignores the "
        "frequency scaling (embedding's double backward takes no scale_grad_by_freq): for "
        "indices [0, 0], dW[0] = (g0 + g1) / 2, whose derivative in g is [1/2, 1/2]; torch "
        "gives [1, 1]"
    ),
    upstream="not filed (no upstream issue found)",
)


def cuda_scaled_double_backward() -> None:
    weight = torch.ones(1, 1, dtype=torch.float64, device="cuda", requires_grad=True)
    grad_y = torch.ones(2, 1, dtype=torch.float64, device="cuda", requires_grad=True)
    indices = torch.tensor([0, 0], device="cuda")
    y = torch.nn.functional.embedding(indices, weight, scale_grad_by_freq=True)
    (grad_weight,) = torch.autograd.grad(y, weight, grad_y, create_graph=True)
    # dW[0] = (g0 + g1) / 2 (two lookups of row 0): d dW[0] / dg = [1/2, 1/2].
    (second,) = torch.autograd.grad(grad_weight.sum(), grad_y)
    assert torch.equal(second, torch.full_like(second, 0.5)), second.flatten().tolist()


CUDA_SCALED_DOUBLE_BACKWARD = seen_on_cuda(
    SCALED_DOUBLE_BACKWARD,
    cuda_scaled_double_backward,
    (
        f"{SCALED_DOUBLE_BACKWARD.summary}; on CUDA alike (the first CUDA run's gradcheck: "
        "0.466 where central differences give 0.233)"
    ),
)


def _infinity_norm(where: Where) -> bool:
    arguments = where.arguments
    return arguments["max_norm"] is not None and math.isinf(arguments["norm_type"])


def onnx_infinity_norm() -> None:
    embedding = torch.nn.Embedding(1, 2, max_norm=1.0, norm_type=float("inf"))
    with torch.no_grad():
        embedding.weight.copy_(torch.tensor([[3.0, 4.0]]))
    y = on_path("onnxruntime", embedding)(torch.tensor([0]))
    # The row's infinity norm is 4: renormalised to norm 1 it is [0.75, 1.0].
    assert torch.allclose(y, torch.tensor([[0.75, 1.0]])), y.tolist()


ONNX_INFINITY_NORM = KnownFailure(
    id="embedding-onnx-max-norm-infinity",
    layer=LAYER,
    breaks=Check.VALUES,
    paths=running_kernels("onnxruntime"),
    covers=_infinity_norm,
    repro=onnx_infinity_norm,
    observed=Observed(since="2.13.0"),
    summary=(
        "Embedding(max_norm, norm_type=inf) exported to ONNX does not renormalise: the export "
        "computes the norm as (sum |w|^inf)^(1/inf) = 1, so onnxruntime returns [3, 4] where "
        "torch returns [0.75, 1.0]; p = 1, 2 and 3 match"
    ),
    upstream="not filed (no upstream issue found)",
)


def cuda_infinity_norm() -> None:
    embedding = torch.nn.Embedding(1, 1, max_norm=0.5, norm_type=float("inf")).cuda()
    with torch.no_grad():
        embedding.weight.fill_(0.1257302210933933)
    y = embedding(torch.tensor(0, device="cuda")).item()
    # The row's infinity norm is 0.1257 < max_norm: it stays as it is.
    assert y == embedding.weight.item(), f"{y}, the row {embedding.weight.item()}"


CUDA_INFINITY_NORM = KnownFailure(
    id="embedding-cuda-max-norm-infinity",
    layer=LAYER,
    breaks=Check.VALUES,
    covers=_infinity_norm,
    devices=("cuda",),
    repro=cuda_infinity_norm,
    observed=FIRST_CUDA_RUN,
    summary=(
        "CUDA Embedding(max_norm, norm_type=inf) takes the row's infinity norm to be 1 "
        "(as if (sum |x|^p)^(1/p) were evaluated at p = inf: 0^0 for entries below 1), "
        "so a row of norm 0.1257 under max_norm 0.5 is scaled by 0.5 (0.0629), in all "
        "four dtypes; the CPU is right. Found by the forward, devices, modes and "
        "gradients properties of the first CUDA run"
    ),
    upstream="not filed (searched pytorch issues: embedding_renorm CUDA norm_type inf)",
)

ENTRIES = (
    REJECTED_INPUT_RENORMS,
    SCALED_DOUBLE_BACKWARD,
    CUDA_SCALED_DOUBLE_BACKWARD,
    ONNX_INFINITY_NORM,
    CUDA_INFINITY_NORM,
)
