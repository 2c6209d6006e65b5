"""BatchNorm2d's known torch failures."""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from spec.batch_norm import PER_CHANNEL, per_channel_class
from tests import kernel_sets
from tests.known_failures.entry import (
    FIRST_CUDA_RUN,
    Check,
    KnownFailure,
    Observed,
    Where,
    constant_over,
)
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "BatchNorm2d"
# 1/sqrt(var + eps) overflows float16 (max 65504) once var + eps < 65504**-2.
FLOAT16_INVSTD_LIMIT = 65504.0**-2


def tiny_eps(where: Where) -> bool:
    return where.arguments["eps"] < FLOAT16_INVSTD_LIMIT


def _uses_batch_statistics(where: Where) -> bool:
    return bool(where.training) or not where.arguments["track_running_stats"]


def _tiny_eps_batch_statistics(where: Where) -> bool:
    return tiny_eps(where) and _uses_batch_statistics(where)


def inverse_std_overflows(x: np.ndarray, axes: tuple[int, ...], eps: float) -> bool:
    """Whether some group of x over `axes` (a channel, a row) has a variance + eps below
    FLOAT16_INVSTD_LIMIT: its 1/sqrt(var + eps) is past float16's largest value."""
    variance = np.asarray(x, dtype=np.float64).var(axis=axes)
    return bool((variance + eps < FLOAT16_INVSTD_LIMIT).any())


def _channel_axes(x: np.ndarray) -> tuple[int, ...]:
    return tuple(i for i in range(x.ndim) if i != 1)


def _channel_past_float16_invstd(where: Where) -> bool:
    """Batch statistics under a tiny eps, over a channel whose inverse std overflows
    (a constant channel, or values among float16's subnormals). An unknown input: every
    tiny-eps case with batch statistics."""
    if not _tiny_eps_batch_statistics(where):
        return False
    x = where.x
    return x is None or inverse_std_overflows(x, _channel_axes(x), where.arguments["eps"])


def _invstd_overflows_past_one_vector(where: Where) -> bool:
    """_channel_past_float16_invstd, over more than FEW_VALUES values per channel where
    each shape compiles a kernel of its own. With dynamic shapes a kernel compiled for a
    longer channel (in this process, or loaded from inductor's cache on disk) also serves
    shorter ones: every count."""
    x = where.x
    few = x is not None and per_channel_class(x.shape) == PER_CHANNEL[0]
    if few and where.path != "compile:inductor-dynamic":
        return False
    return _channel_past_float16_invstd(where)


def float16_invstd_overflow(path: str) -> None:
    bn = torch.nn.BatchNorm2d(1, eps=2.2e-10).half()
    y = on_path(path, bn)(torch.full((2, 1, 1, 1), 0.5, dtype=torch.float16))
    # x equals the batch mean: the normalised output is exactly 0.
    assert torch.equal(y, torch.zeros_like(y)), y


FLOAT16_INVSTD_OVERFLOW = KnownFailure(
    id="batch_norm2d-float16-invstd-overflow",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_channel_past_float16_invstd,
    paths=running_kernels("aten"),
    repro=float16_invstd_overflow,
    observed=Observed(since="2.6.0"),
    # The exact cases' constant channels meet it whenever eps is tiny (1e-10 is one of
    # the spec's named values): forward's random values hold a constant channel rarely.
    found_by="exact",
    summary=(
        "CPU float16 BatchNorm2d with batch statistics returns NaN or inf where the "
        "output is finite (NaN where it is exactly 0: a constant channel) for a channel "
        "whose variance + eps is below 65504**-2 (constant, or among float16's "
        "subnormals, under eps < 65504**-2): the inverse std is stored in float16 and "
        "overflows to inf, and 0 * inf = NaN. With running statistics it is right, and so "
        "is a channel whose variance keeps the inverse std finite: a scan of 17 shapes "
        "with constant, subnormal, near-constant and normal inputs, in training and in "
        "eval (running variance 0 and 1), under the default, AVX2 and AVX-512 kernel "
        "sets, and of 5 shapes on each path of the entry (torch 2.13.0 and 2.6.0; on "
        "eager, 2.14.1 too)"
    ),
    upstream="related: https://github.com/pytorch/pytorch/issues/66707",
)


def inductor_float16_tiny_eps_backward(path: str) -> None:
    bn = torch.nn.BatchNorm2d(1, eps=2.2e-10).half()
    x = torch.full((2, 1, 4, 2), 0.5, dtype=torch.float16, requires_grad=True)
    y = on_path(path, bn)(x)
    y.backward(torch.full_like(y, -1.0))
    # x_hat = 0 and g - mean(g) = 0 for a constant g: the input gradient is invstd * 0 = 0.
    assert torch.equal(x.grad, torch.zeros_like(x)), x.grad.flatten().tolist()


INDUCTOR_FLOAT16_TINY_EPS_BACKWARD = KnownFailure(
    id="batch_norm2d-inductor-float16-tiny-eps-backward",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    dtypes=("float16",),
    covers=_invstd_overflows_past_one_vector,
    paths=running_kernels("inductor"),
    repro=inductor_float16_tiny_eps_backward,
    # Seen on 2.13.0; on 2.6.0 the repro passes on inductor (measured by
    # tests/known_failures/observe.py), and so does every case of the scan in the summary,
    # on both inductor paths: older releases are not claimed.
    observed=Observed(since="2.13.0"),
    found_by="exact",
    summary=(
        "float16 BatchNorm2d on compile:inductor, batch statistics with eps < 65504**-2: "
        "the forward is right, but the input gradient is NaN or infinite where it is "
        "finite (NaN where it is exactly 0: a constant (2, 1, 4, 2) input under a constant "
        "gradient) for a channel of more than 8 values whose variance + eps is below "
        "65504**-2 (constant, or among float16's subnormals). A scan of 55 shapes of 2 to "
        "36 values per channel, with constant, subnormal, near-constant and normal inputs, "
        "on both inductor paths (torch 2.13.0), and on compile:inductor under the "
        "AVX-512, AVX2 and default kernel sets (inductor vectorises for the set) and on "
        "torch 2.14.1, the same cases each time: wrong there alone on compile:inductor. "
        "On compile:inductor-dynamic the kernels compiled before decide, so any count: "
        "a (2, 1) constant input gave NaN after other runs had filled inductor's cache "
        "(the rediscovery bench, seed 5), though it is right in a fresh process. Eager has the "
        "forward form of this overflow (batch_norm2d-float16-invstd-overflow). Found by "
        "the exact cases' corner pass ('constant channels, tiny eps')"
    ),
    upstream="not filed (no upstream issue found)",
)


def counts_batches(where: Where) -> bool:
    return bool(where.training) and where.arguments["track_running_stats"]


def rejected_input_counts_a_batch() -> None:
    bn = torch.nn.BatchNorm2d(1)
    with contextlib.suppress(RuntimeError):  # two channels for a one-channel layer
        bn(torch.ones(2, 2, 2, 2))
    # A call that raises must leave the module unchanged.
    assert int(bn.num_batches_tracked) == 0, bn.num_batches_tracked


REJECTED_INPUT_COUNTS_A_BATCH = KnownFailure(
    id="batch_norm2d-rejected-input-counts-a-batch",
    layer=LAYER,
    breaks=Check.UNCHANGED_STATE,
    covers=counts_batches,
    repro=rejected_input_counts_a_batch,
    observed=Observed(since="2.1.2"),
    summary=(
        "BatchNorm2d in training increments num_batches_tracked before it validates the "
        "input, so a rejected input (channel mismatch, one value per channel) still "
        "counts a batch; with momentum=None that skews every later cumulative average"
    ),
    upstream="not filed (no upstream issue found)",
    devices=("cpu", "cuda", "meta"),
)


def cumulative_average_in_training(where: Where) -> bool:
    arguments = where.arguments
    return (
        bool(where.training) and arguments["momentum"] is None and arguments["track_running_stats"]
    )


def meta_cumulative_average() -> None:
    bn = torch.nn.BatchNorm2d(1, momentum=None, device="meta")
    # The output shape is fully determined; torch raises reading a meta value instead.
    try:
        shape = bn(torch.empty(1, 1, 1, 2, device="meta")).shape
    except RuntimeError as error:
        raise AssertionError(f"raised {error}") from error
    assert shape == (1, 1, 1, 2), shape


META_CUMULATIVE_AVERAGE = KnownFailure(
    id="batch_norm2d-meta-cumulative-average",
    layer=LAYER,
    breaks=Check.META_DEVICE,
    covers=cumulative_average_in_training,
    repro=meta_cumulative_average,
    observed=Observed(since="2.1.2"),
    summary=(
        "BatchNorm2d(momentum=None) in training cannot run on the meta device: forward "
        "computes the cumulative-average factor as 1 / float(num_batches_tracked), "
        "which reads a value a meta tensor does not have (RuntimeError), where the "
        "output shape is fully determined"
    ),
    upstream="not filed (no upstream issue found)",
    devices=("cpu", "cuda", "meta"),
)


def constant_channel_in_training(where: Where) -> bool:
    arguments = where.arguments
    # The default kernel set is exact without a bias to fold in (measured: affine=False or
    # bias=False); the FMA sets are not even then.
    has_bias = arguments["affine"] and arguments["bias"]
    folds = has_bias or kernel_sets.current() != "default"
    x = where.x
    constant = x is not None and constant_over(x, _channel_axes(x))
    return _uses_batch_statistics(where) and folds and constant


def training_constant_channel(path: str) -> None:
    # Each channel's batch mean is exactly its value and its variance exactly 0, so the
    # normalised value is exactly 0 and the output exactly the bias.
    for dtype, eps, value in ((torch.float32, 1e-5, 5.0), (torch.float64, 0.1, 6.0)):
        # No affine: wrong where the kernel fuses x * invstd - mean * invstd (FMA sets).
        bn = torch.nn.BatchNorm2d(2, eps=eps, affine=False, track_running_stats=False)
        plain = on_path(path, bn.to(dtype))(torch.full((2, 2, 2, 2), value, dtype=dtype))
        # A bias: wrong on every kernel set, which fold it as x * a + (b - mean * a).
        bn = torch.nn.BatchNorm2d(1, eps=0.3125, track_running_stats=False).to(dtype)
        with torch.no_grad():
            bn.bias.fill_(2.0)
        biased = on_path(path, bn)(torch.full((1, 1, 1, 2), -8.0, dtype=dtype))
        assert torch.equal(plain, torch.zeros_like(plain)), (dtype, plain.flatten().tolist())
        assert torch.equal(biased, torch.full_like(biased, 2.0)), (dtype, biased.flatten().tolist())


TRAINING_CONSTANT_CHANNEL = KnownFailure(
    id="batch_norm2d-training-constant-channel",
    layer=LAYER,
    breaks=Check.EXACT,
    dtypes=("float32", "float64"),
    covers=constant_channel_in_training,
    quantities=("output",),
    paths=running_kernels("aten"),
    repro=training_constant_channel,
    observed=Observed(since="2.1.2"),
    summary=(
        "CPU BatchNorm2d in float32 and float64 with batch statistics does not give "
        "exactly the bias for a constant channel, whose mean and variance are exact "
        "(normalised value 0): every kernel set folds the affine transform as "
        "x * a + (b - mean * a), a = weight * invstd, rounding b - mean * a (-1.0000010 "
        "for bias -1 in float32); the AVX2/AVX-512 kernels also fuse x * a - mean * a "
        "into one multiply-add, wrong without a bias too (-3.05e-5 for x = 5). Found by "
        "the exact cases; the bias form, first met by a run under the default kernel "
        "set, by their case of a bias that cancels mean * a"
    ),
    upstream=(
        "related: https://github.com/pytorch/pytorch/issues/5410 (closed: the same "
        "cancellation for constant inputs at large scale)"
    ),
)


def _constant_channel_with_batch_statistics(where: Where) -> bool:
    x = where.x
    constant = x is not None and constant_over(x, _channel_axes(x))
    return _uses_batch_statistics(where) and constant


def cuda_training_constant_channel() -> None:
    bn = torch.nn.BatchNorm2d(1, track_running_stats=False).cuda()
    with torch.no_grad():
        bn.weight.fill_(2.0)
        bn.bias.fill_(-1.0)
    y = bn(torch.full((1, 1, 1, 2), -7.0, device="cuda"))
    # Mean -7 and variance 0 exactly: the normalised value is 0, the output the bias.
    assert torch.equal(y, torch.full_like(y, -1.0)), y.flatten().tolist()


CUDA_TRAINING_CONSTANT_CHANNEL = KnownFailure(
    id="batch_norm2d-cuda-training-constant-channel",
    layer=LAYER,
    breaks=Check.EXACT,
    dtypes=("float32",),
    covers=_constant_channel_with_batch_statistics,
    quantities=("output",),
    devices=("cuda",),
    repro=cuda_training_constant_channel,
    observed=FIRST_CUDA_RUN,
    summary=(
        "CUDA BatchNorm2d in float32 with batch statistics does not give exactly the bias "
        "for a constant channel, as the CPU's does not (batch_norm2d-training-constant-"
        "channel): weight 2, bias -1 over -7, -7 gives -1.0000610 (x * a is 4427 there, "
        "a = weight / sqrt(eps)). Found by the exact case 'constant channels' on the "
        "first CUDA run; seen with a bias, and in float32 only (float64 passed)"
    ),
    upstream=TRAINING_CONSTANT_CHANNEL.upstream,
)


def cumulative_average_traced(path: str) -> None:
    bn = torch.nn.BatchNorm2d(1, momentum=None)  # training, cumulative moving average
    x = torch.randn(2, 1, 2, 2)
    family, _, how = path.partition(":")
    try:
        if family == "compile":
            torch.compile(bn, backend=how, fullgraph=True)(x)
        else:
            torch.export.export(bn, (x,), strict=how == "strict")
    except Exception as error:  # data-dependent 1 / float(num_batches_tracked)
        raise AssertionError(f"{path}: {str(error).splitlines()[0]}") from error


CUMULATIVE_AVERAGE_TRACED = KnownFailure(
    id="batch_norm2d-cumulative-average-traced",
    layer=LAYER,
    breaks=frozenset({Check.SHAPE, Check.VALUES}),
    # Every path that traces the module (eager runs it as Python).
    paths=tuple(p for p in running_kernels("aten", "inductor") if p != "eager"),
    covers=cumulative_average_in_training,
    repro=cumulative_average_traced,
    observed=Observed(since="2.13.0"),
    summary=(
        "BatchNorm2d(momentum=None) in training cannot be traced whole: forward computes "
        "the cumulative-average factor as 1.0 / float(num_batches_tracked), a Python "
        "float of a tensor, so torch.compile(fullgraph=True) and torch.export raise "
        "'Could not guard on data-dependent expression' (without fullgraph, dynamo "
        "breaks the graph there and runs that part eagerly)"
    ),
    upstream="https://github.com/pytorch/pytorch/issues/194504 (open)",
)


def _non_positive_eps(where: Where) -> bool:
    return where.arguments["eps"] <= 0


def non_positive_eps_accepted() -> None:
    for eps in (0.0, -1.0):
        bn = torch.nn.BatchNorm2d(1, eps=eps, track_running_stats=False)
        try:
            y = bn(torch.tensor([[[[1.0]]], [[[3.0]]]]))
        except ValueError:
            continue  # rejected: batch statistics divide by sqrt(var + eps), eps must be > 0
        raise AssertionError(f"eps={eps} accepted with batch statistics: y={y.flatten()}")


NON_POSITIVE_EPS_ACCEPTED = KnownFailure(
    id="batch_norm2d-non-positive-eps-accepted",
    layer=LAYER,
    breaks=Check.RAISES,
    releases="<2.10",
    covers=_non_positive_eps,
    repro=non_positive_eps_accepted,
    observed=Observed(since="2.1.2"),
    summary=(
        "BatchNorm2d with batch statistics accepts eps <= 0, which its division by "
        "sqrt(var + eps) needs positive, and returns NaN or inf (eps < 0) or divides by a "
        "zero variance (eps = 0) where torch 2.10 on raises ValueError. Found by the "
        "errors property on torch 2.1.2 and 2.6.0"
    ),
    upstream=(
        "https://github.com/pytorch/pytorch/issues/166405 (closed: fixed in 2.10, pull 166756)"
    ),
    devices=("cpu", "cuda", "meta"),
)


def eps_not_float32(where: Where) -> bool:
    """An eps that ONNX's float32 epsilon attribute cannot hold exactly."""
    eps = where.arguments["eps"]
    return float(np.float32(eps)) != eps


def onnx_epsilon_float32() -> None:
    bn = torch.nn.BatchNorm2d(1, eps=0.1, affine=False).double()  # 0.1: no float32 value
    y = on_path("onnxruntime", bn)(torch.ones(1, 1, 1, 1, dtype=torch.float64)).item()
    # Running mean 0, variance 1 (eval): y = 1 / sqrt(1 + eps), eps in float64.
    assert y == 1 / 1.1**0.5, f"onnxruntime {y!r}, float64 {1 / 1.1**0.5!r}"


ONNX_EPSILON_FLOAT32 = KnownFailure(
    id="batch_norm2d-onnx-epsilon-float32",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float64",),
    paths=running_kernels("onnxruntime"),
    covers=eps_not_float32,
    repro=onnx_epsilon_float32,
    observed=Observed(since="2.13.0"),
    summary=(
        "A float64 BatchNorm2d exported to ONNX normalises with eps rounded to float32: "
        "BatchNormalization's epsilon is a 32-bit float attribute, so "
        "1 / sqrt(var + eps) is off by up to 1e-8 relative wherever eps is not a "
        "float32 value and var is not much larger than it"
    ),
    upstream=(
        "by the ONNX spec (epsilon: float attribute); related: "
        "https://github.com/onnx/onnx/issues/1820 (closed: epsilon's float type)"
    ),
)


def strided_grad_or_input(where: Where) -> bool:
    """Either tensor strided, or the two in different memory formats (a channels_last
    input with a contiguous grad_output, or the reverse), sends the backward down the
    same float16-product path; both contiguous or both channels_last do not. On
    compile:aot_eager a strided input alone: AOTAutograd hands the backward a grad_output
    in the output's memory format, so only the input's layout decides (by hand, torch
    2.13.0: both batch norms wrong there with a strided input and any grad layout, right
    with a contiguous or channels_last input and any grad layout)."""
    if where.path == "compile:aot_eager":
        return where.layout == "strided"
    strided = "strided" in (where.layout, where.grad_layout)
    return strided or where.layout != where.grad_layout


def float16_strided_input(path: str) -> None:
    """A strided input with a contiguous grad_output takes that path too: subnormal x, so
    (x - mean) * g underflows in float16. weight.grad = sum(g * x_hat) = 1.538e-05."""
    x = torch.tensor([-6.377696990966797e-06, -2.7418136596679688e-06], dtype=torch.float16)
    g = torch.tensor([-0.01113128662109375, 0.015625], dtype=torch.float16)
    spaced = torch.zeros(2, 2, dtype=torch.float16)
    spaced[:, 0] = x
    bn = torch.nn.BatchNorm1d(1).half()
    on_path(path, bn)(spaced[:, :1].requires_grad_()).backward(g.reshape(2, 1))
    assert abs(bn.weight.grad.item() - 1.538e-05) < 1e-6, ("strided input", bn.weight.grad.item())


def float16_strided_grad_output_alone(
    path: str, batch_norm: type[torch.nn.Module], shape: tuple[int, ...]
) -> None:
    """The same grad_output values, contiguous then strided, into a one-channel batch
    norm of either rank (shape: the input's, two values)."""
    x = torch.tensor([-0.016845703125, -0.0011110305786132812], dtype=torch.float16)
    g = torch.tensor([-6.377696990966797e-06, -2.7418136596679688e-06], dtype=torch.float16)
    spaced = torch.zeros(4, dtype=torch.float16)
    spaced[::2] = g
    for name, grad in (("contiguous", g), ("strided", spaced[::2])):
        bn = batch_norm(1).half()
        leaf = x.reshape(shape).clone().requires_grad_()
        on_path(path, bn)(leaf).backward(grad.reshape(shape))
        # x_hat = -+0.927828: weight.grad = sum(g * x_hat) = 3.3735e-06 and
        # x.grad = -+2.98e-05, whatever the layout of the same grad values.
        assert abs(bn.weight.grad.item() - 3.3735e-06) < 1e-7, (name, bn.weight.grad.item())
        assert leaf.grad.flatten()[0].item() < 0, (name, leaf.grad.flatten().tolist())


def float16_strided_grad_output(path: str) -> None:
    float16_strided_grad_output_alone(path, torch.nn.BatchNorm2d, (2, 1, 1, 1))
    float16_strided_input(path)
    # A channels_last input with a contiguous grad_output (the value class "tiny gradient
    # over few small values" found it): channel 1 of x is [-0.0187, -0.00186, -0.0219,
    # -0.0324], g a few float16 steps. The NumPy reference's x.grad[0, 1, 0, 1] is
    # -1.2133e-05, which the contiguous call gives to 3e-8.
    x = torch.tensor(
        [
            0.0033817,
            -0.0066795,
            -0.0187225,
            -0.0018568,
            0.0158539,
            0.0091476,
            -0.0218811,
            -0.0324402,
        ]
    )
    g = torch.tensor([6, 2, 1, 1, -10, 13, 5, -8]) * 2.0**-24
    bn = torch.nn.BatchNorm2d(2, affine=False, track_running_stats=False).half()
    leaf = x.half().reshape(2, 2, 1, 2).requires_grad_()
    y = on_path(path, bn)(leaf.contiguous(memory_format=torch.channels_last))
    y.backward(g.half().reshape(2, 2, 1, 2))
    got = leaf.grad[0, 1, 0, 1].item()
    assert abs(got - -1.2133e-05) < 1e-6, ("channels_last input, contiguous grad_output", got)


FLOAT16_STRIDED_GRAD_OUTPUT = KnownFailure(
    id="batch_norm2d-float16-strided-grad-output",
    layer=LAYER,
    breaks=Check.GRADIENTS,
    dtypes=("float16",),
    covers=strided_grad_or_input,
    # The products g * (x - mean) feed these two; the output and sum(g) stay right.
    quantities=("input", "weight"),
    paths=running_kernels("aten"),
    found_by="layouts",
    repro=float16_strided_grad_output,
    observed=Observed(since="2.6.0"),
    summary=(
        "CPU float16 BatchNorm backward with a non-contiguous grad_output or input (or the "
        "two in different memory formats: a channels_last input, a contiguous grad_output) forms "
        "the products g * (x - mean) in float16, where they underflow among the "
        "subnormals; contiguous ones form them in float32. For x = [-0.01685, -0.00111], "
        "g = [-6.38e-6, -2.74e-6] (subnormals) the strided call gives weight.grad 7.03e-6 "
        "(exactly the sum of the float16-rounded products) and x.grad of the wrong sign, "
        "[1.69e-4, -1.76e-4], where the answer is 3.37e-6 and [-2.98e-5, 2.98e-5]; a "
        "strided input x = [-6.38e-6, -2.74e-6] with g = [-0.0111, 0.0156] gives weight.grad "
        "0 where it is 1.54e-5. Found by the layouts property on BatchNorm1d (the strided "
        "input by a corner's drawn example); BatchNorm2d alike"
    ),
    upstream="not filed (no upstream issue found)",
)

ENTRIES = (
    FLOAT16_STRIDED_GRAD_OUTPUT,
    FLOAT16_INVSTD_OVERFLOW,
    INDUCTOR_FLOAT16_TINY_EPS_BACKWARD,
    REJECTED_INPUT_COUNTS_A_BATCH,
    META_CUMULATIVE_AVERAGE,
    TRAINING_CONSTANT_CHANNEL,
    CUDA_TRAINING_CONSTANT_CHANNEL,
    CUMULATIVE_AVERAGE_TRACED,
    NON_POSITIVE_EPS_ACCEPTED,
    ONNX_EPSILON_FLOAT32,
)
