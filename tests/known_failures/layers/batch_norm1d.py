"""BatchNorm1d's known torch failures: BatchNorm2d's, on (N, C) and (N, C, L) inputs alike
(one kernel serves both; tests/known_failures/layers/batch_norm2d.py has the 2-D ones)."""

from __future__ import annotations

import contextlib
import dataclasses

import torch

from tests.known_failures.entry import SECOND_CUDA_RUN, KnownFailure, Observed
from tests.known_failures.layers import batch_norm2d as two_d
from tests.paths.routing import on_path

LAYER = "BatchNorm1d"
# Found by this layer's own properties on torch 2.13.0 (issue 19's run, eager).
SEEN = Observed(since="2.13.0")


def training_constant_channel(path: str) -> None:
    for dtype, eps, value in ((torch.float32, 1e-5, 5.0), (torch.float64, 0.1, 6.0)):
        # Each channel's batch mean is its value, its variance 0: the output is the bias.
        bn = torch.nn.BatchNorm1d(2, eps=eps, affine=False, track_running_stats=False)
        plain = on_path(path, bn.to(dtype))(torch.full((2, 2), value, dtype=dtype))
        bn = torch.nn.BatchNorm1d(1, eps=0.3125, track_running_stats=False).to(dtype)
        with torch.no_grad():
            bn.bias.fill_(2.0)
        biased = on_path(path, bn)(torch.full((1, 1, 2), -8.0, dtype=dtype))
        assert torch.equal(plain, torch.zeros_like(plain)), (dtype, plain.flatten().tolist())
        assert torch.equal(biased, torch.full_like(biased, 2.0)), (dtype, biased.flatten().tolist())


def float16_invstd_overflow(path: str) -> None:
    bn = torch.nn.BatchNorm1d(1, eps=2.2e-10).half()
    y = on_path(path, bn)(torch.full((2, 1), 0.5, dtype=torch.float16))
    # x equals the batch mean: the normalised output is exactly 0.
    assert torch.equal(y, torch.zeros_like(y)), y


def inductor_float16_tiny_eps_backward(path: str) -> None:
    bn = torch.nn.BatchNorm1d(1, eps=2.2e-10).half()
    x = torch.full((2, 1, 8), 0.5, dtype=torch.float16, requires_grad=True)
    y = on_path(path, bn)(x)
    y.backward(torch.full_like(y, -1.0))
    # x_hat = 0 and g - mean(g) = 0 for a constant g: the input gradient is invstd * 0 = 0.
    assert torch.equal(x.grad, torch.zeros_like(x)), x.grad.flatten().tolist()


def rejected_input_counts_a_batch() -> None:
    bn = torch.nn.BatchNorm1d(1)
    with contextlib.suppress(RuntimeError):  # two features for a one-feature layer
        bn(torch.ones(2, 2))
    assert int(bn.num_batches_tracked) == 0, bn.num_batches_tracked


def meta_cumulative_average() -> None:
    bn = torch.nn.BatchNorm1d(1, momentum=None, device="meta")
    try:
        shape = bn(torch.empty(2, 1, device="meta")).shape
    except RuntimeError as error:
        raise AssertionError(f"raised {error}") from error
    assert shape == (2, 1), shape


def float16_strided_grad_output(path: str) -> None:
    two_d.float16_strided_grad_output_alone(path, torch.nn.BatchNorm1d, (2, 1))
    # Right on compile:aot_eager, which hands the backward a contiguous grad_output; a
    # strided input is wrong there as everywhere.
    two_d.float16_strided_input(path)


def cumulative_average_traced(path: str) -> None:
    bn = torch.nn.BatchNorm1d(1, momentum=None)  # training, cumulative moving average
    x = torch.randn(2, 1)
    family, _, how = path.partition(":")
    try:
        if family == "compile":
            torch.compile(bn, backend=how, fullgraph=True)(x)
        else:
            torch.export.export(bn, (x,), strict=how == "strict")
    except Exception as error:  # data-dependent 1 / float(num_batches_tracked)
        raise AssertionError(f"{path}: {str(error).splitlines()[0]}") from error


def non_positive_eps_accepted() -> None:
    for eps in (0.0, -1.0):
        bn = torch.nn.BatchNorm1d(1, eps=eps, track_running_stats=False)
        try:
            y = bn(torch.tensor([[1.0], [3.0]]))
        except ValueError:
            continue  # rejected: batch statistics divide by sqrt(var + eps), eps must be > 0
        raise AssertionError(f"eps={eps} accepted with batch statistics: y={y.flatten()}")


def cuda_training_constant_channel() -> None:
    bn = torch.nn.BatchNorm1d(1, track_running_stats=False).cuda()
    with torch.no_grad():
        bn.weight.fill_(2.0)
        bn.bias.fill_(-1.0)
    y = bn(torch.full((1, 1, 2), -7.0, device="cuda"))
    # Mean -7 and variance 0 exactly: the normalised value is 0, the output the bias.
    assert torch.equal(y, torch.full_like(y, -1.0)), y.flatten().tolist()


def _like(entry: KnownFailure, repro, **changes) -> KnownFailure:
    """BatchNorm2d's entry for this layer: its scope and summary, this layer's repro."""
    fields = {
        "id": entry.id.replace("batch_norm2d", "batch_norm1d"),
        "layer": LAYER,
        "repro": repro,
        "observed": SEEN,
        "summary": f"{entry.summary} (BatchNorm1d as BatchNorm2d: the same kernel)",
    }
    return dataclasses.replace(entry, **fields | changes)


ENTRIES = (
    _like(two_d.TRAINING_CONSTANT_CHANNEL, training_constant_channel),
    # Seen on the second CUDA run: 1 - 2**-14 for a bias of 1 over a (1, 3, 2) input.
    _like(
        two_d.CUDA_TRAINING_CONSTANT_CHANNEL,
        cuda_training_constant_channel,
        observed=SECOND_CUDA_RUN,
    ),
    _like(two_d.FLOAT16_INVSTD_OVERFLOW, float16_invstd_overflow, observed=Observed(since="2.6.0")),
    # Found by the exact property on compile:inductor (compile profile, seed 5,
    # 2026-12-07), never recorded before; checked by hand on the shapes in the summary.
    _like(
        two_d.INDUCTOR_FLOAT16_TINY_EPS_BACKWARD,
        inductor_float16_tiny_eps_backward,
        summary=(
            "BatchNorm2d's inductor float16 tiny-eps backward "
            "(batch_norm2d-inductor-float16-tiny-eps-backward) on BatchNorm1d, in the same "
            "scope: NaN or infinite input gradients for a channel of more than 8 values "
            "whose variance + eps is below 65504**-2. Constant inputs (2, 1, 8), (1, 1, 9), "
            "(2, 1, 5) and (9, 1) under a constant gradient give NaN; (8, 1), (1, 1, 8), "
            "(2, 1, 4) and (2, 1) are right (by hand on compile:inductor, torch 2.13.0; "
            "the scan in BatchNorm2d's entry covers both layers). Found at 2 seeds of 5 "
            "before the exact cases met a values-per-channel class every run"
        ),
    ),
    _like(
        two_d.REJECTED_INPUT_COUNTS_A_BATCH,
        rejected_input_counts_a_batch,
        observed=Observed(since="2.1.2"),
    ),
    _like(two_d.META_CUMULATIVE_AVERAGE, meta_cumulative_average, observed=Observed(since="2.1.2")),
    # On compile:aot_eager a strided input alone: the entry once left that path out, since
    # its repro (a strided grad_output) passes there, and a strided input went red
    # (layouts, compile profile, seed 1, 2026-12-07).
    _like(
        two_d.FLOAT16_STRIDED_GRAD_OUTPUT,
        float16_strided_grad_output,
        observed=Observed(since="2.6.0"),
    ),
    _like(two_d.CUMULATIVE_AVERAGE_TRACED, cumulative_average_traced),
    # Found by BatchNorm1d's errors property on torch 2.6.0 (this layer's first old run);
    # its repro fails on 2.1.2 too (tests/known_failures/observe.py).
    _like(
        two_d.NON_POSITIVE_EPS_ACCEPTED,
        non_positive_eps_accepted,
        observed=Observed(since="2.1.2"),
    ),
)
