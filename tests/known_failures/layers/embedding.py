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


def _generic_power(where: Where) -> bool:
    arguments = where.arguments
    return arguments["max_norm"] is not None and arguments["norm_type"] not in (1.0, 2.0)


def cuda_signed_powers() -> None:
    embedding = torch.nn.Embedding(1, 1, max_norm=0.5, norm_type=3.0).cuda()
    with torch.no_grad():
        embedding.weight.fill_(-0.75)
    y = embedding(torch.tensor(0, device="cuda")).item()
    # The row's 3-norm is 0.75 > max_norm: it is scaled by 0.5 / (0.75 + 1e-7).
    expected = -0.75 * (0.5 / (0.75 + 1e-7))
    assert abs(y - expected) <= 1e-6, f"{y}, the law {expected}"


CUDA_SIGNED_POWERS = KnownFailure(
    id="embedding-cuda-max-norm-signed-powers",
    layer=LAYER,
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    covers=_generic_power,
    devices=("cuda",),
    repro=cuda_signed_powers,
    observed=FIRST_CUDA_RUN,
    summary=(
        "CUDA Embedding(max_norm) with a norm_type other than 1 and 2 sums pow(x, p) "
        "without |x| (embedding_renorm_'s generic branch), so the norm of a row with "
        "negative entries is wrong: NaN for p = 1.5 or 3 and a negative sum (no "
        "renormalisation: -0.75 stays -0.75 for max_norm 0.5, p = 3, where the law gives "
        "-0.5), and 1 for p = inf, where pow(x, inf) is 0 below 1 and pow(0, 0) is 1 (the "
        "first CUDA run: a row of norm 0.126 under max_norm 0.5 halved). All four dtypes; "
        "the CPU is right. The weight is changed in place, so forward, devices, modes, "
        "gradients and gradcheck all see it. Found on the first CUDA run (p = inf) and "
        "the second (p = 1.5 and 3, with the kernel's source read)"
    ),
    upstream="not filed (searched pytorch issues: embedding_renorm CUDA norm_type)",
)

ENTRIES = (
    REJECTED_INPUT_RENORMS,
    SCALED_DOUBLE_BACKWARD,
    CUDA_SCALED_DOUBLE_BACKWARD,
    ONNX_INFINITY_NORM,
    CUDA_SIGNED_POWERS,
)
