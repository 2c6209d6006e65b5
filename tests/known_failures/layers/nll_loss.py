"""NLLLoss's known torch failures."""

from __future__ import annotations

import numpy as np
import torch

from reference.nll_loss import nll_loss_forward
from spec.class_targets import class_weight
from spec.dtypes import format_of
from tests.known_failures.entry import (
    FIRST_CUDA_RUN,
    SECOND_CUDA_RUN,
    Check,
    KnownFailure,
    Observed,
    Where,
    seen_on_cuda,
)
from tests.known_failures.layers.cross_entropy_loss import weight_given
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "NLLLoss"
FLOAT16_LARGEST = format_of("float16").largest


def _channels_last_4d(where: Where) -> bool:
    return where.layout == "channels_last" and where.x is not None and where.x.ndim == 4


def _mean_of_overflowing_sum(where: Where) -> bool:
    """A mean whose terms w[t] * x[t] sum, in magnitude, past 65504 (float16's largest)."""
    arguments = where.arguments
    if arguments["reduction"] != "mean" or where.x is None or not where.call_arguments:
        return False
    try:
        terms = nll_loss_forward(
            where.x, where.call_arguments[0], class_weight(arguments),
            arguments["ignore_index"], "none",
        )  # fmt: skip
    except IndexError:
        return False  # an invalid target: an error case, not a sum
    return bool(np.abs(terms).sum() > FLOAT16_LARGEST)


def half_mean_sum_overflows(path: str) -> None:
    x = torch.tensor([[0.0, -40000.0], [0.0, -40000.0]], dtype=torch.float16)
    value = on_path(path, torch.nn.NLLLoss())(x, torch.tensor([1, 1])).item()
    # Two targets of class 1: the mean of 40000 and 40000.
    assert value == 40000.0, f"loss {value}, the law 40000"


HALF_MEAN_SUM_OVERFLOWS = KnownFailure(
    id="nll_loss-half-mean-sum-overflows",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_mean_of_overflowing_sum,
    # Freezing has no weights to fold in a loss: inductor's own lowering, seen there too.
    paths=running_kernels("aten", "inductor", "inductor-freezing"),
    found_by="exact",
    repro=half_mean_sum_overflows,
    observed=Observed(since="2.6.0"),
    summary=(
        "CPU float16 NLLLoss with reduction 'mean' holds the sum of -w[t] * x[t] in "
        "float16 before dividing it by the total weight, so the mean is inf once that sum "
        "passes 65504 although the mean fits: x (0, -40000) in two rows, targets 1, give "
        "inf for 40000 (float32: 40000). Found through CrossEntropyLoss's class-index "
        "targets (cross_entropy_loss-half-mean-sum-overflows)"
    ),
    upstream="not filed (no upstream issue found)",
)


def channels_last_backward(path: str) -> None:
    x = torch.log_softmax(torch.zeros(1, 2, 1, 2), 1).contiguous(memory_format=torch.channels_last)
    x.requires_grad_()
    try:
        on_path(path, torch.nn.NLLLoss())(x, torch.zeros(1, 1, 2, dtype=torch.long)).backward()
    except RuntimeError as error:  # "grad_input must be contiguous"
        raise AssertionError(f"backward raised: {error}") from error
    # Mean over 2 targets of class 0: the gradient is -1/2 at class 0, 0 at class 1.
    expected = torch.tensor([[[[-0.5, -0.5]], [[0.0, 0.0]]]])
    assert torch.equal(x.grad, expected), x.grad


CHANNELS_LAST_BACKWARD = KnownFailure(
    id="nll_loss-channels-last-backward",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    covers=_channels_last_4d,
    paths=running_kernels("aten"),
    found_by="layouts",
    repro=channels_last_backward,
    observed=Observed(since="2.13.0"),
    summary=(
        "NLLLoss backward raises 'grad_input must be contiguous' for a channels_last 4-D "
        "input, where the contiguous input's gradient is plain (-1/2 at each target's class "
        "for two targets, 'mean'); CrossEntropyLoss is not affected"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/175084 (closed; fix pull 175246 closed, "
        "not in 2.13.0)"
    ),
)


def cuda_channels_last_backward() -> None:
    x = torch.log_softmax(torch.zeros(1, 2, 1, 2, device="cuda"), 1)
    x = x.contiguous(memory_format=torch.channels_last).requires_grad_()
    try:
        torch.nn.NLLLoss()(x, torch.zeros(1, 1, 2, dtype=torch.long, device="cuda")).backward()
    except RuntimeError as error:  # "grad_input must be contiguous"
        raise AssertionError(f"backward raised: {error}") from error
    expected = torch.tensor([[[[-0.5, -0.5]], [[0.0, 0.0]]]], device="cuda")
    assert torch.equal(x.grad, expected), x.grad


CUDA_CHANNELS_LAST_BACKWARD = seen_on_cuda(
    CHANNELS_LAST_BACKWARD,
    cuda_channels_last_backward,
    (
        "CUDA NLLLoss backward raises 'grad_input must be contiguous' for a channels_last "
        "4-D input, as the CPU's does (nll_loss-channels-last-backward): (1, 2, 1, 2), "
        "targets of class 0. Found by the layouts property of the second CUDA run"
    ),
    observed=SECOND_CUDA_RUN,
)


def nonstrict_export_weight_length(path: str) -> None:
    loss = torch.nn.NLLLoss(weight=torch.ones(2))  # three classes below
    try:
        on_path(path, loss)(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    except RuntimeError:
        return  # eager's documented error for a weight of the wrong length
    except AssertionError as error:
        raise AssertionError(f"{path}: AssertionError, not RuntimeError: {error}") from error


NONSTRICT_EXPORT_WEIGHT_LENGTH = KnownFailure(
    id="nll_loss-nonstrict-export-weight-length",
    layer=LAYER,
    breaks=Check.RAISES,
    paths=("export:nonstrict",),
    covers=weight_given,
    repro=nonstrict_export_weight_length,
    observed=Observed(since="2.13.0"),
    summary=(
        "Under non-strict torch.export (and on the meta device) a class weight of the wrong "
        "length raises AssertionError from torch/_decomp/decompositions.py where eager "
        "raises RuntimeError (as CrossEntropyLoss's)"
    ),
    upstream="not filed (no upstream issue found)",
)


def cuda_half_mean_sum_overflows() -> None:
    x = torch.tensor([-1.0, -32768.0, -2.0, -32768.0], dtype=torch.float16, device="cuda")
    target = torch.tensor([1, 1], device="cuda").reshape(2, 1, 1)
    value = torch.nn.NLLLoss()(x.reshape(2, 2, 1, 1), target).item()
    # Two targets of class 1: the mean of 32768 and 32768.
    assert value == 32768.0, f"loss {value}, the law 32768"


CUDA_HALF_MEAN_SUM_OVERFLOWS = seen_on_cuda(
    HALF_MEAN_SUM_OVERFLOWS,
    cuda_half_mean_sum_overflows,
    (
        "CUDA float16 NLLLoss with reduction 'mean' overflows as the CPU's does "
        "(nll_loss-half-mean-sum-overflows): targets 1 over x (-1, -32768) in two rows "
        "(4-D, the 2-D kernel) give inf for 32768. Found by the exact case 'a mean of "
        "losses past float16's range' on the first CUDA run"
    ),
)


def _unbatched_all_ignored_mean(where: Where) -> bool:
    """One position (an input of C scores), its target the ignored class, reduced by the
    mean: the mean over no counted position, NaN by torch's documentation."""
    arguments = where.arguments
    if arguments["reduction"] != "mean" or where.x is None or not where.call_arguments:
        return False
    target = np.asarray(where.call_arguments[0])
    return where.x.ndim == 1 and bool((target == arguments["ignore_index"]).all())


def cuda_unbatched_all_ignored_mean() -> None:
    x = torch.tensor([0.1257302210933933], device="cuda")
    value = torch.nn.NLLLoss()(x, torch.tensor(-100, device="cuda")).item()
    # Every target ignored: the mean over nothing is 0 / 0 (the CPU gives NaN).
    assert value != value, f"loss {value}, the law NaN"


CUDA_UNBATCHED_ALL_IGNORED_MEAN = KnownFailure(
    id="nll_loss-cuda-unbatched-all-ignored-mean",
    layer=LAYER,
    breaks=Check.VALUES,
    devices=("cuda",),
    covers=_unbatched_all_ignored_mean,
    repro=cuda_unbatched_all_ignored_mean,
    observed=FIRST_CUDA_RUN,
    summary=(
        "CUDA NLLLoss on an unbatched input (C scores, a 0-d target) with reduction "
        "'mean' gives 0 where its target is ignore_index; the mean over no counted "
        "position is NaN, as documented and as the CPU gives, and as CUDA gives for a "
        "batch. All four dtypes, with or without a class weight. Found by the forward, "
        "devices, modes, layouts and gradients properties of the first CUDA run"
    ),
    upstream=(
        "related: https://github.com/pytorch/pytorch/pull/64572 (merged: NaN for a mean "
        "over no target on every device; the unbatched CUDA kernel is not covered)"
    ),
)

ENTRIES = (
    HALF_MEAN_SUM_OVERFLOWS,
    CUDA_HALF_MEAN_SUM_OVERFLOWS,
    CUDA_UNBATCHED_ALL_IGNORED_MEAN,
    CHANNELS_LAST_BACKWARD,
    CUDA_CHANNELS_LAST_BACKWARD,
    NONSTRICT_EXPORT_WEIGHT_LENGTH,
)
