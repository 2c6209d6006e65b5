"""NLLLoss's known torch failures."""

from __future__ import annotations

import torch

from tests.known_failures.entry import Check, KnownFailure, Observed, Where
from tests.known_failures.layers.cross_entropy_loss import weight_given
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "NLLLoss"


def _channels_last_4d(where: Where) -> bool:
    return where.layout == "channels_last" and where.x is not None and where.x.ndim == 4


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

ENTRIES = (CHANNELS_LAST_BACKWARD, NONSTRICT_EXPORT_WEIGHT_LENGTH)
