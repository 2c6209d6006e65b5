"""Known failures of released torch: each defined once, shrunk to a minimal repro, checked by hand.

An entry says which check it breaks (a `Check`), the configurations it covers, and
where it applies (dtypes, devices, CPU kernel sets, torch releases, execution paths).
Its repro is code: a function that fails while torch is wrong. The strict xfail in
tests/test_known_failures.py runs it (in a child process where the entry asks for one)
and the report prints its source. A property test carves out the configurations an
entry covers with one call, `carve_out(check, where)`; nothing else hides a case.
When torch fixes a bug, its repro passes, the run fails, and the entry is removed.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from hypothesis import note, reject
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from reference.avg_pool2d import avg_pool2d_out_shape
from reference.conv2d import conv2d_out_shape
from reference.geometry import pair
from reference.max_pool2d import has_empty_window
from tests import kernel_sets
from tests.paths.routing import current as current_path

ALL_DTYPES = ("float32", "float64", "float16", "bfloat16")
# The row of failures in torch's samplers, which the init property's laws draw from; the
# init property scopes a law by its kind: Where(INIT, dtype, device, {"law": "normal"}).
INIT = "nn.init"
# Execution paths (tests/paths/) that run eager torch's own kernels: AOTAutograd's graphs
# under aot_eager, and exported programs, call the same ATen kernels eager does.
EAGER_KERNELS = ("eager", "compile:aot_eager", "export:strict", "export:nonstrict")
# Every path that runs torch at all (onnxruntime has kernels of its own).
TORCH_PATHS = (*EAGER_KERNELS, "compile:inductor")
# 1/sqrt(var + eps) overflows float16 (max 65504) once var + eps < 65504**-2.
FLOAT16_INVSTD_LIMIT = 65504.0**-2


class Check(enum.Enum):
    """What a property asserts, as far as a known failure can break it."""

    SHAPE = "the output has the closed-form shape (the call returns at all)"
    VALUES = "values agree with the reference"
    GRADIENTS = "gradients agree with the reference"
    EXACT = "exact cases give the exact answer"
    RAISES = "an invalid configuration raises"
    UNCHANGED_STATE = "a rejected call leaves the module unchanged"
    META_DEVICE = "the meta device computes the output shape"
    SURVIVES = "the process survives the call"
    DISTRIBUTION = "random values follow their law"


@dataclass(frozen=True)
class Where:
    """A drawn configuration, as far as known failures scope themselves by it."""

    layer: str
    dtype: str
    device: str
    hp: Mapping[str, Any]
    training: bool | None = None
    layout: str = "contiguous"
    # The execution path under test unless said otherwise (tests/paths/).
    path: str = field(default_factory=lambda: current_path().name)
    x: np.ndarray | None = None  # the input values, for failures that depend on them


def _all(where: Where) -> bool:
    return True


@dataclass(frozen=True)
class KnownFailure:
    """One reproduced disagreement between torch and the mathematics."""

    id: str
    layer: str
    breaks: Check | frozenset[Check]
    summary: str
    upstream: str  # the upstream issue, or "not filed" with the search that found none
    # Raises (or crashes) while torch is wrong. An entry on several execution paths may
    # take the path's name ("compile:inductor") and reproduce on that path alone.
    repro: Callable[..., None]
    covers: Callable[[Where], bool] = _all
    dtypes: tuple[str, ...] = ALL_DTYPES
    devices: tuple[str, ...] = ("cpu",)
    # CPU kernel sets (tests/kernel_sets.py) whose kernels fail; None: every set.
    kernel_sets: tuple[str, ...] | None = None
    # The torch releases it applies to, as a version specifier ("" : every release).
    releases: str = ""
    paths: tuple[str, ...] = ("eager",)
    # Run the repro in a child process: it crashes, or needs a kernel set of its own.
    isolate: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def takes_path(self) -> bool:
        return bool(inspect.signature(self.repro).parameters)

    def run(self, path: str) -> None:
        """Run the repro (for `path`, when it reproduces path by path)."""
        if self.takes_path:
            self.repro(path)
        else:
            self.repro()

    def source(self, path: str | None = None) -> str:
        """The repro as the report prints it: the function body, runnable with torch alone."""
        lines = inspect.getsource(self.repro).splitlines()
        body = textwrap.dedent("\n".join(lines[1:])).strip()
        if self.takes_path:
            name = next(iter(inspect.signature(self.repro).parameters))
            body = f"{name} = {(path or self.paths[0])!r}\n" + body
        header = "import torch\n\n"
        if "on_path(" in body:
            # The helper travels with the repro, so the snippet still runs with torch alone.
            header = "from collections.abc import Callable\n\n" + header
            body = inspect.getsource(on_path) + "\n\n" + body
        return header + body + "\n"

    @property
    def checks(self) -> frozenset[Check]:
        """The checks this failure breaks."""
        return self.breaks if isinstance(self.breaks, frozenset) else frozenset({self.breaks})

    def in_release(self, version: str) -> bool:
        release = Version(Version(version).base_version)
        return not self.releases or release in SpecifierSet(self.releases)

    def applies(self, where: Where) -> bool:
        """Whether this entry covers `where` in this process (release, kernel set, path)."""
        device_type = where.device.partition(":")[0]
        return (
            where.layer == self.layer
            and where.dtype in self.dtypes
            and device_type in self.devices
            and where.path in self.paths
            and self.in_release(torch.__version__)
            and (self.kernel_sets is None or kernel_sets.current() in self.kernel_sets)
            and self.covers(where)
        )


# ---- the repros: each fails (AssertionError, or a crash) while torch is wrong -----------


def on_path(path: str, module: torch.nn.Module) -> Callable[..., torch.Tensor]:
    """`module` run as execution path `path` runs it (tests/paths/), in torch alone (and
    onnxruntime for that path).

    A kernel bug of eager torch is seen by every path that runs that kernel (aot_eager
    and exported programs run eager kernels): its repro takes the path and calls this.
    """
    family, _, how = path.partition(":")
    if family == "compile":
        return torch.compile(module, backend=how, fullgraph=True)
    if family == "export":
        programs = {}

        def exported(*args: torch.Tensor) -> torch.Tensor:
            key = tuple((a.shape, a.stride(), a.dtype, a.requires_grad) for a in args)
            if key not in programs:
                programs[key] = torch.export.export(module, args, strict=how == "strict")
            return programs[key].module()(*args)

        return exported
    if family == "onnxruntime":
        import onnxruntime

        def inferred(x: torch.Tensor) -> torch.Tensor:
            program = torch.onnx.export(module.eval(), (x,), dynamo=True, verbose=False)
            session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
            (y,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
            return torch.from_numpy(y)

        return inferred
    return module


def batch_norm2d_float16_invstd_overflow(path: str) -> None:
    bn = torch.nn.BatchNorm2d(1, eps=2.2e-10).half()
    y = on_path(path, bn)(torch.full((2, 1, 1, 1), 0.5, dtype=torch.float16))
    # x equals the batch mean: the normalised output is exactly 0.
    assert torch.equal(y, torch.zeros_like(y)), y


def layer_norm_float16_rstd_overflow(path: str) -> None:
    ln = torch.nn.LayerNorm(1, eps=1e-10, elementwise_affine=False).half()
    x = torch.tensor([0.125], dtype=torch.float16, requires_grad=True)
    on_path(path, ln)(x).backward(torch.tensor([0.125], dtype=torch.float16))
    # The output is constantly 0 in x: the gradient is exactly 0.
    assert x.grad.item() == 0.0, x.grad


def batch_norm2d_rejected_input_counts_a_batch() -> None:
    bn = torch.nn.BatchNorm2d(1)
    with contextlib.suppress(RuntimeError):  # two channels for a one-channel layer
        bn(torch.ones(2, 2, 2, 2))
    # A call that raises must leave the module unchanged.
    assert int(bn.num_batches_tracked) == 0, bn.num_batches_tracked


def batch_norm2d_meta_cumulative_average() -> None:
    bn = torch.nn.BatchNorm2d(1, momentum=None, device="meta")
    # The output shape is fully determined; torch raises reading a meta value instead.
    try:
        shape = bn(torch.empty(1, 1, 1, 2, device="meta")).shape
    except RuntimeError as error:
        raise AssertionError(f"raised {error}") from error
    assert shape == (1, 1, 1, 2), shape


def conv2d_negative_padding_crops(path: str) -> None:
    conv = torch.nn.Conv2d(1, 1, 1, padding=-1, padding_mode="reflect")
    try:
        shape = on_path(path, conv)(torch.ones(1, 1, 4, 4)).shape
    except RuntimeError:
        return  # rejected, as padding_mode='zeros' rejects it
    raise AssertionError(f"negative padding accepted: output {tuple(shape)} (cropped input)")


def conv2d_channels_last_1x1_strided_backward_crash(path: str) -> None:
    torch.set_num_threads(1)
    conv = torch.nn.Conv2d(2, 2, 1, stride=3).to(memory_format=torch.channels_last)
    run = on_path(path, conv)
    for _ in range(300):
        with torch.no_grad():
            conv.weight.copy_(torch.randn(2, 2, 1, 1))
            conv.bias.copy_(torch.randn(2))
        x = torch.randn(2, 2, 9, 3).contiguous(memory_format=torch.channels_last)
        run(x.requires_grad_()).backward(torch.randn(2, 2, 3, 1))


def conv2d_bfloat16_amx_strided_single_column() -> None:
    x = torch.ones(1, 3, 7, 3, dtype=torch.bfloat16)
    w = torch.ones(1, 3, 2, 2, dtype=torch.bfloat16)
    y = torch.nn.functional.conv2d(x, w, None, stride=(1, 2), padding=0, dilation=2)
    # Output 5x1; every window holds 3 channels x 4 taps of 1 * 1: each output is 12,
    # exact in bfloat16 (AMX machines were seen to return [12, 12, 6, 12, 9]).
    assert torch.equal(y, torch.full_like(y, 12.0)), y.flatten().tolist()


def max_pool2d_empty_window_backward(path: str) -> None:
    # Kernel 2, dilation 2, padding 1 on 1x1 planes: the one window's taps (-1 and 1) are
    # both outside, so its output is -inf, constant in x, and every gradient is 0.
    x = torch.randn(4, 1, 1, 1, requires_grad=True)
    y = on_path(path, torch.nn.MaxPool2d(2, stride=1, padding=1, dilation=2))(x)
    try:
        y.backward(torch.ones_like(y))
    except RuntimeError as error:  # inductor's kernel checks the index it was handed
        raise AssertionError(f"backward raised: {error}") from error
    # torch records the window's first tap past the input and writes there: into the next
    # planes (a wrong gradient) or past the tensor (heap corruption, often a crash).
    assert torch.equal(x.grad, torch.zeros_like(x)), x.grad.flatten()


def layer_norm_weight_grad_of_constant_rows(path: str) -> None:
    for dtype, size, eps in ((torch.float32, 4, 1e-3), (torch.float64, 1, 0.1)):
        ln = torch.nn.LayerNorm(size, eps=eps).to(dtype)
        x = torch.full((2, size), 7.0, dtype=dtype, requires_grad=True)
        on_path(path, ln)(x).backward(torch.full((2, size), 2.0, dtype=dtype))
        # A constant row normalises to exactly 0 whatever the weight: the weight gradient
        # sum(g * x_hat) is exactly 0. torch sums g * (rstd * x - rstd * mean), fused.
        assert torch.equal(ln.weight.grad, torch.zeros_like(ln.weight)), (dtype, ln.weight.grad)


def layer_norm_half_forward_of_constant_rows(path: str) -> None:
    for dtype in (torch.bfloat16, torch.float16):
        ln = torch.nn.LayerNorm(4, eps=1e-3, elementwise_affine=False).to(dtype)
        y = on_path(path, ln)(torch.full((2, 4), 3.0, dtype=dtype))
        # x - mean is exactly 0 in a constant row: the output is exactly 0.
        assert torch.equal(y, torch.zeros_like(y)), (dtype, y)


def batch_norm2d_training_constant_channel(path: str) -> None:
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


def layer_norm_forward_of_constant_rows() -> None:
    for dtype, value in ((torch.float32, 6.0), (torch.float64, 9.0)):
        ln = torch.nn.LayerNorm(1, eps=1e-3, elementwise_affine=False).to(dtype)
        y = ln(torch.full((2, 1), value, dtype=dtype))
        # A row of one element is constant: x - mean is exactly 0, so the output is 0.
        assert torch.equal(y, torch.zeros_like(y)), (dtype, y.flatten())


def batch_norm2d_non_positive_eps_accepted() -> None:
    for eps in (0.0, -1.0):
        bn = torch.nn.BatchNorm2d(1, eps=eps, track_running_stats=False)
        try:
            y = bn(torch.tensor([[[[1.0]]], [[[3.0]]]]))
        except ValueError:
            continue  # rejected: batch statistics divide by sqrt(var + eps), eps must be > 0
        raise AssertionError(f"eps={eps} accepted with batch statistics: y={y.flatten()}")


def normal_half_precision_tails() -> None:
    for dtype in (torch.bfloat16, torch.float16):
        torch.manual_seed(0)
        x = torch.empty(4_000_000, dtype=dtype).normal_()
        # 4M standard normal draws all stay within 4.5 with probability 1.5e-12.
        assert x.abs().max().item() > 4.5, (dtype, x.abs().max().item())


# ---- repros on the execution paths (tests/paths/): code that compiles or exports -------


def avg_pool2d_inductor_ceil_overhang_backward() -> None:
    pool = torch.nn.AvgPool2d(kernel_size=(1, 3), stride=(1, 2), ceil_mode=True)
    x = torch.tensor([[[[1.0, 2.0, 3.0, 4.0]]]], requires_grad=True)
    torch.compile(pool, backend="inductor", fullgraph=True)(x).sum().backward()
    # Windows [1, 2, 3] and, cut off by ceil mode at the input's end, [3, 4]: divided by
    # 3 and by 2 (count_include_pad counts padding, not the overhang past it).
    expected = torch.tensor([[[[1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2]]]])
    assert torch.allclose(x.grad, expected), x.grad


def conv2d_replicate_inductor_backward() -> None:
    conv = torch.nn.Conv2d(2, 2, 3, padding=1, padding_mode="replicate")
    x = torch.randn(1, 2, 3, 3, requires_grad=True)
    try:
        torch.compile(conv, backend="inductor", fullgraph=True)(x).sum().backward()
    except AssertionError as error:  # inductor's stride assertion, in the backward
        raise AssertionError(f"backward raised: {str(error)[:200]}") from error


def batch_norm2d_cumulative_average_traced(path: str) -> None:
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


def avg_pool2d_onnx_divisor_override() -> None:
    pool = torch.nn.AvgPool2d(2, divisor_override=1)  # window sums
    y = on_path("onnxruntime", pool)(torch.ones(1, 1, 2, 2))
    assert y.item() == 4.0, f"onnxruntime: {y.item()}, the window sum is 4.0"


def sigmoid_onnxruntime_negative_tail() -> None:
    for dtype, value in ((torch.float32, -20.0), (torch.float64, -40.0)):
        x = torch.tensor([value], dtype=dtype)
        y = on_path("onnxruntime", torch.nn.Sigmoid())(x).item()
        # sigmoid(-20) = 2.1e-9 and sigmoid(-40) = 4.2e-18: normal numbers of the dtype.
        exact = torch.sigmoid(x).item()
        assert abs(y - exact) < 1e-6 * exact, f"{dtype}: onnxruntime {y}, sigmoid {exact}"


def batch_norm2d_onnx_epsilon_float32() -> None:
    bn = torch.nn.BatchNorm2d(1, eps=0.1, affine=False).double()  # 0.1: no float32 value
    y = on_path("onnxruntime", bn)(torch.ones(1, 1, 1, 1, dtype=torch.float64)).item()
    # Running mean 0, variance 1 (eval): y = 1 / sqrt(1 + eps), eps in float64.
    assert y == 1 / 1.1**0.5, f"onnxruntime {y!r}, float64 {1 / 1.1**0.5!r}"


def layer_norm_onnx_epsilon_float32() -> None:
    ln = torch.nn.LayerNorm(2, eps=0.1, elementwise_affine=False).double()
    y = on_path("onnxruntime", ln)(torch.tensor([[3.0, 5.0]], dtype=torch.float64))
    # Mean 4, variance 1: y = +-1 / sqrt(1 + eps), eps in float64.
    assert y[0, 1].item() == 1 / 1.1**0.5, f"onnxruntime {y.tolist()}, float64 {1 / 1.1**0.5!r}"


def max_pool2d_onnx_empty_window() -> None:
    pool = torch.nn.MaxPool2d(2, padding=(1, 0), dilation=2, ceil_mode=True)
    y = on_path("onnxruntime", pool)(torch.tensor([[[[1.0, 2.0]]]]))
    # The window's taps (rows -1 and 1) are both outside the one-row input: torch's
    # forward gives -inf, the max over nothing.
    assert y.item() == float("-inf"), f"onnxruntime {y.item()}, torch -inf"


# ---- what each covers -------------------------------------------------------------------


def _tiny_eps(where: Where) -> bool:
    return where.hp.get("eps", 1e-5) < FLOAT16_INVSTD_LIMIT


def _cumulative_average_in_training(where: Where) -> bool:
    hp = where.hp
    return (
        bool(where.training)
        and hp.get("momentum", 0.1) is None
        and hp.get("track_running_stats", True)
    )


def _negative_padding_copying_mode(where: Where) -> bool:
    padding = where.hp.get("padding", 0)
    amounts = [padding] if isinstance(padding, int) else list(padding)
    negative = not isinstance(padding, str) and min(amounts) < 0
    return negative and where.hp.get("padding_mode", "zeros") != "zeros"


def _channels_last_strided_1x1_without_conv_padding(where: Where) -> bool:
    hp = where.hp
    kernel, stride = hp.get("kernel_size"), hp.get("stride", 1)
    one_by_one = kernel in (1, (1, 1))
    strided = stride not in (1, (1, 1))
    # Copying padding modes pad with F.pad first: the convolution itself gets padding 0.
    no_conv_padding = hp.get("padding_mode", "zeros") != "zeros" or hp.get("padding", 0) in (
        0,
        (0, 0),
        "valid",
    )
    return where.layout == "channels_last" and one_by_one and strided and no_conv_padding


def _strided_single_output_column(where: Where) -> bool:
    """Conv2d whose output is one column wide, reached with a horizontal stride above 1."""
    hp = where.hp
    if where.x is None:
        return False
    stride = pair(hp.get("stride", 1))
    padding = hp.get("padding", 0)
    # The output width does not depend on the padding mode: copying modes pad the input
    # by the same amounts first and convolve it with padding 0.
    out = conv2d_out_shape(
        where.x.shape, hp["out_channels"], hp["kernel_size"], stride, padding, hp.get("dilation", 1)
    )
    return out[-1] == 1 and stride[1] > 1


def _empty_pooling_window(where: Where) -> bool:
    hp = where.hp
    return where.x is not None and has_empty_window(
        where.x.shape,
        hp["kernel_size"],
        hp.get("stride"),
        hp.get("padding", 0),
        hp.get("dilation", 1),
        hp.get("ceil_mode", False),
    )


def _constant_over(x: np.ndarray | None, axes: tuple[int, ...]) -> bool:
    """Whether some group of x over `axes` (a row, a channel) holds one value only."""
    if x is None or x.size == 0:
        return False
    spread = x.max(axis=axes) - x.min(axis=axes)
    return bool((spread == 0).any())


def _constant_row(where: Where) -> bool:
    shape = where.hp.get("normalized_shape")
    dims = 1 if isinstance(shape, int) else len(shape)
    x = where.x
    return x is not None and _constant_over(x, tuple(range(x.ndim - dims, x.ndim)))


def _constant_row_with_weight(where: Where) -> bool:
    return where.hp.get("elementwise_affine", True) and _constant_row(where)


def _constant_channel_in_training(where: Where) -> bool:
    batch_stats = bool(where.training) or not where.hp.get("track_running_stats", True)
    # The default kernel set is exact without a bias to fold in (measured: affine=False or
    # bias=False); the FMA sets are not even then.
    has_bias = where.hp.get("affine", True) and where.hp.get("bias", True)
    folds = has_bias or kernel_sets.current() != "default"
    return batch_stats and folds and _constant_over(where.x, (0, 2, 3))


def _ceil_window_past_padding(where: Where) -> bool:
    """AvgPool2d counting padding, whose last ceil-mode window runs past the padded input."""
    hp = where.hp
    if not hp.get("ceil_mode") or not hp.get("count_include_pad", True) or where.x is None:
        return False
    if hp.get("divisor_override") is not None:
        return False
    kernel, pads = pair(hp["kernel_size"]), pair(hp.get("padding", 0))
    strides = kernel if hp.get("stride") is None else pair(hp["stride"])
    shape = avg_pool2d_out_shape(where.x.shape, kernel, strides, pads, True)
    dims = zip(where.x.shape[-2:], shape[-2:], kernel, strides, pads, strict=True)
    return any((out - 1) * s + k > size + 2 * p for size, out, k, s, p in dims)


def _replicate_batched_channels(where: Where) -> bool:
    x = where.x
    batched = x is not None and x.ndim == 4
    return batched and where.hp.get("padding_mode") == "replicate" and where.hp["in_channels"] > 1


def _divisor_override(where: Where) -> bool:
    return where.hp.get("divisor_override") is not None


# onnxruntime's sigmoid leaves the tolerance table below -1.97 (float32) and -1.71
# (float64), measured on a 240,001-point grid of [-60, 60], and returns 0 from about -18
# (float32) and -37 (float64) on; at and above -1.5 it is within the table.
ONNXRUNTIME_SIGMOID_ACCURATE_ABOVE = -1.5


def _sigmoid_negative_tail(where: Where) -> bool:
    return where.x is not None and bool((where.x < ONNXRUNTIME_SIGMOID_ACCURATE_ABOVE).any())


def _eps_not_float32(where: Where) -> bool:
    eps = where.hp.get("eps", 1e-5)
    return float(np.float32(eps)) != eps


def _counts_batches(where: Where) -> bool:
    return bool(where.training) and where.hp.get("track_running_stats", True)


def _non_positive_eps(where: Where) -> bool:
    return where.hp.get("eps", 1e-5) <= 0


def _normal_law(where: Where) -> bool:
    return where.hp.get("law") == "normal"


KNOWN_FAILURES: tuple[KnownFailure, ...] = (
    KnownFailure(
        id="batch_norm2d-float16-invstd-overflow",
        layer="BatchNorm2d",
        breaks=Check.VALUES,
        dtypes=("float16",),
        covers=_tiny_eps,
        paths=EAGER_KERNELS,
        repro=batch_norm2d_float16_invstd_overflow,
        summary=(
            "CPU float16 BatchNorm2d in training returns NaN for a constant channel when "
            "eps < 65504**-2: the inverse std is stored in float16 and overflows to inf, "
            "and 0 * inf = NaN, where the output is exactly 0"
        ),
        upstream="related: https://github.com/pytorch/pytorch/issues/66707",
    ),
    KnownFailure(
        id="layer_norm-float16-rstd-overflow",
        layer="LayerNorm",
        breaks=Check.VALUES,
        dtypes=("float16",),
        covers=_tiny_eps,
        paths=EAGER_KERNELS,
        repro=layer_norm_float16_rstd_overflow,
        summary=(
            "CPU float16 LayerNorm backward returns NaN when var + eps < 65504**-2 (e.g. a "
            "constant row or a single normalized element): the saved 1/std is float16 and "
            "overflows, where the true gradient is finite (0 for a single element)"
        ),
        upstream="related: https://github.com/pytorch/pytorch/issues/41527",
    ),
    KnownFailure(
        id="batch_norm2d-rejected-input-counts-a-batch",
        layer="BatchNorm2d",
        breaks=Check.UNCHANGED_STATE,
        covers=_counts_batches,
        repro=batch_norm2d_rejected_input_counts_a_batch,
        summary=(
            "BatchNorm2d in training increments num_batches_tracked before it validates the "
            "input, so a rejected input (channel mismatch, one value per channel) still "
            "counts a batch; with momentum=None that skews every later cumulative average"
        ),
        upstream="not filed (no upstream issue found)",
        devices=("cpu", "cuda", "meta"),
    ),
    KnownFailure(
        id="batch_norm2d-meta-cumulative-average",
        layer="BatchNorm2d",
        breaks=Check.META_DEVICE,
        covers=_cumulative_average_in_training,
        repro=batch_norm2d_meta_cumulative_average,
        summary=(
            "BatchNorm2d(momentum=None) in training cannot run on the meta device: forward "
            "computes the cumulative-average factor as 1 / float(num_batches_tracked), "
            "which reads a value a meta tensor does not have (RuntimeError), where the "
            "output shape is fully determined"
        ),
        upstream="not filed (no upstream issue found)",
        devices=("cpu", "cuda", "meta"),
    ),
    KnownFailure(
        id="conv2d-negative-padding-crops",
        layer="Conv2d",
        breaks=Check.RAISES,
        covers=_negative_padding_copying_mode,
        paths=TORCH_PATHS,
        repro=conv2d_negative_padding_crops,
        summary=(
            "Conv2d rejects negative padding only with padding_mode='zeros'; with reflect, "
            "replicate or circular it hands the negative amounts to F.pad, which crops the "
            "input, and the convolution silently runs on a smaller image"
        ),
        upstream="not filed (no upstream issue found)",
        devices=("cpu", "cuda", "meta"),
    ),
    KnownFailure(
        id="conv2d-channels-last-1x1-strided-backward-crash",
        layer="Conv2d",
        breaks=Check.SURVIVES,
        dtypes=("float32",),
        kernel_sets=("avx2",),
        isolate=True,
        covers=_channels_last_strided_1x1_without_conv_padding,
        paths=TORCH_PATHS,
        repro=conv2d_channels_last_1x1_strided_backward_crash,
        summary=(
            "CPU Conv2d backward with a channels_last input, a 1x1 kernel, stride > 1 and "
            "fewer than 8 input channels crashes the process (segfault or abort) with one "
            "intra-op thread: oneDNN's AVX2 1x1 backward-weights kernel writes past its "
            "workspace (with more threads it is reported to hang or give wrong weight "
            "gradients). It reproduces on AVX-512 CPUs with oneDNN capped at AVX2"
        ),
        upstream="https://github.com/uxlfoundation/oneDNN/issues/6035",
    ),
    KnownFailure(
        id="conv2d-bfloat16-amx-strided-single-column",
        layer="Conv2d",
        breaks=frozenset({Check.VALUES, Check.EXACT}),
        dtypes=("bfloat16",),
        kernel_sets=("amx",),
        isolate=True,
        covers=_strided_single_output_column,
        paths=EAGER_KERNELS,
        repro=conv2d_bfloat16_amx_strided_single_column,
        summary=(
            "CPU bfloat16 Conv2d on AMX CPUs gives wrong outputs when the output is one "
            "column wide and the horizontal stride is above 1: oneDNN's AMX bf16 BRGEMM "
            "convolution (brg_conv_fwd:avx10_1_512_amx). Reported on an Intel Xeon with "
            "AMX by the gradients property (max abs error 7e11); right with oneDNN capped "
            "below AMX or with mkldnn off. Not reproduced here: this project's machines "
            "have no AMX, so the entry is not applicable on them"
        ),
        upstream=(
            "https://github.com/pytorch/pytorch/issues/169688 (open; fix proposed in pull "
            "188426, which names the out_w == 1, stride_w > 1 class)"
        ),
    ),
    KnownFailure(
        id="max_pool2d-empty-window-backward",
        layer="MaxPool2d",
        breaks=Check.SURVIVES,
        isolate=True,
        covers=_empty_pooling_window,
        paths=TORCH_PATHS,
        repro=max_pool2d_empty_window_backward,
        summary=(
            "MaxPool2d accepts a dilation and padding for which a window holds no input "
            "element (forward: -inf); its backward then writes that window's gradient at "
            "the first tap past the input, out of the plane: a wrong gradient in the next "
            "planes or heap corruption ('double free or corruption', SIGABRT). Found by "
            "the gradients property: a crashed worker. Paths running eager's kernel share "
            "it; inductor's compiled backward raises an out-of-bounds index error instead"
        ),
        upstream=(
            "related: https://github.com/pytorch/pytorch/issues/114216 (open: the -inf "
            "forward of the same configurations; the maintainers would reject them)"
        ),
    ),
    KnownFailure(
        id="layer_norm-weight-grad-of-constant-rows",
        layer="LayerNorm",
        breaks=Check.EXACT,
        dtypes=("float32", "float64"),
        kernel_sets=("avx2", "avx512", "amx"),
        covers=_constant_row_with_weight,
        paths=EAGER_KERNELS,
        repro=layer_norm_weight_grad_of_constant_rows,
        summary=(
            "CPU LayerNorm backward gives a nonzero weight gradient for a constant row, "
            "whose normalised value is exactly 0 (the output does not depend on the "
            "weight): the vectorised kernel never centres x, it sums "
            "g * (rstd * x - rstd * mean) with fused multiply-adds, leaving the rounding "
            "residue of rstd * x. Found by the exact cases (constant rows of 2^k "
            "elements); exact with the default (non-FMA) kernels"
        ),
        upstream=(
            "https://github.com/pytorch/pytorch/issues/188375 (open: weight.grad nonzero "
            "for normalized_shape=(1,))"
        ),
    ),
    KnownFailure(
        id="layer_norm-half-forward-of-constant-rows",
        layer="LayerNorm",
        breaks=Check.EXACT,
        dtypes=("float16", "bfloat16"),
        kernel_sets=("avx2", "avx512", "amx"),
        covers=_constant_row,
        paths=EAGER_KERNELS,
        repro=layer_norm_half_forward_of_constant_rows,
        summary=(
            "CPU LayerNorm forward in float16 and bfloat16 does not give exactly 0 (the "
            "bias) for a constant row: the vectorised reduced-precision kernel computes "
            "x * rstd - mean * rstd with a fused multiply-add instead of (x - mean) * "
            "rstd. Found by the exact cases; exact with the default kernels"
        ),
        upstream=(
            "related: https://github.com/pytorch/pytorch/issues/108072 (the same form in "
            "float32, fixed in 2.2 by pull 108089; the half path kept it)"
        ),
    ),
    KnownFailure(
        id="batch_norm2d-training-constant-channel",
        layer="BatchNorm2d",
        breaks=Check.EXACT,
        dtypes=("float32", "float64"),
        covers=_constant_channel_in_training,
        paths=EAGER_KERNELS,
        repro=batch_norm2d_training_constant_channel,
        summary=(
            "CPU BatchNorm2d in float32 and float64 with batch statistics does not give "
            "exactly the bias for a constant channel, whose mean and variance are exact "
            "(normalised value 0): every kernel set folds the affine transform as "
            "x * a + (b - mean * a), a = weight * invstd, rounding b - mean * a (-1.0000010 "
            "for bias -1 in float32); the AVX2/AVX-512 kernels also fuse x * a - mean * a "
            "into one multiply-add, wrong without a bias too (-3.05e-5 for x = 5). Found by "
            "the exact cases; the bias form by a run under the default kernel set"
        ),
        upstream=(
            "related: https://github.com/pytorch/pytorch/issues/5410 (closed: the same "
            "cancellation for constant inputs at large scale)"
        ),
    ),
    KnownFailure(
        id="avg_pool2d-inductor-ceil-overhang-backward",
        layer="AvgPool2d",
        breaks=Check.GRADIENTS,
        paths=("compile:inductor",),
        covers=_ceil_window_past_padding,
        repro=avg_pool2d_inductor_ceil_overhang_backward,
        summary=(
            "torch.compile (inductor) AvgPool2d backward with ceil_mode=True and "
            "count_include_pad=True divides the gradient of a last window that runs past "
            "the padded input by the full kernel size, where the forward (and eager) divide "
            "by the window clipped to the padded input: a wrong input gradient"
        ),
        upstream="https://github.com/pytorch/pytorch/issues/198119 (open)",
    ),
    KnownFailure(
        id="conv2d-replicate-inductor-backward",
        layer="Conv2d",
        breaks=Check.GRADIENTS,
        paths=("compile:inductor",),
        covers=_replicate_batched_channels,
        repro=conv2d_replicate_inductor_backward,
        summary=(
            "torch.compile (inductor) Conv2d with padding_mode='replicate', a batched input "
            "with more than one channel that requires grad: the backward raises "
            "AssertionError 'expected size 2==2, stride 1==9' from "
            "replication_pad2d_backward: layout optimisation saves the padded input "
            "channels_last, and the kernel's meta function returns it contiguous"
        ),
        upstream=(
            "not filed (no exact upstream issue found); related: "
            "https://github.com/pytorch/pytorch/issues/179442, "
            "https://github.com/pytorch/pytorch/issues/179837 (pad stride mismatches in "
            "the forward), https://github.com/pytorch/pytorch/issues/171622"
        ),
    ),
    KnownFailure(
        id="batch_norm2d-cumulative-average-traced",
        layer="BatchNorm2d",
        breaks=frozenset({Check.SHAPE, Check.VALUES}),
        paths=("compile:inductor", "compile:aot_eager", "export:strict", "export:nonstrict"),
        covers=_cumulative_average_in_training,
        repro=batch_norm2d_cumulative_average_traced,
        summary=(
            "BatchNorm2d(momentum=None) in training cannot be traced whole: forward computes "
            "the cumulative-average factor as 1.0 / float(num_batches_tracked), a Python "
            "float of a tensor, so torch.compile(fullgraph=True) and torch.export raise "
            "'Could not guard on data-dependent expression' (without fullgraph, dynamo "
            "breaks the graph there and runs that part eagerly)"
        ),
        upstream="https://github.com/pytorch/pytorch/issues/194504 (open)",
    ),
    KnownFailure(
        id="avg_pool2d-onnx-divisor-override-ignored",
        layer="AvgPool2d",
        breaks=Check.VALUES,
        paths=("onnxruntime",),
        covers=_divisor_override,
        repro=avg_pool2d_onnx_divisor_override,
        summary=(
            "torch.onnx.export (dynamo exporter) drops AvgPool2d's divisor_override: the "
            "ONNX AveragePool it emits divides by the window size, with no warning, so "
            "onnxruntime returns window means where torch returns sums over the override"
        ),
        upstream="not filed (no upstream issue found)",
    ),
    KnownFailure(
        id="layer_norm-forward-of-constant-rows",
        layer="LayerNorm",
        breaks=Check.EXACT,
        dtypes=("float32", "float64"),
        kernel_sets=("avx2", "avx512", "amx"),
        releases="<2.2",
        covers=_constant_row,
        repro=layer_norm_forward_of_constant_rows,
        summary=(
            "CPU LayerNorm forward in float32 and float64 does not give exactly 0 (the bias) "
            "for a constant row: the vectorised kernel computes x * rstd - mean * rstd with a "
            "fused multiply-add instead of (x - mean) * rstd, leaving the rounding residue of "
            "x * rstd (-3.8e-6 for LayerNorm(1, eps=1e-3) at x = 6 in float32). Found by the "
            "exact cases on torch 2.1.2; exact with the default kernels and from 2.2 on"
        ),
        upstream=(
            "https://github.com/pytorch/pytorch/issues/108072 (closed: fixed in 2.2 by pull 108089)"
        ),
    ),
    KnownFailure(
        id="batch_norm2d-non-positive-eps-accepted",
        layer="BatchNorm2d",
        breaks=Check.RAISES,
        releases="<2.10",
        covers=_non_positive_eps,
        repro=batch_norm2d_non_positive_eps_accepted,
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
    ),
    KnownFailure(
        id="normal-half-precision-box-muller",
        layer=INIT,
        breaks=Check.DISTRIBUTION,
        dtypes=("float16", "bfloat16"),
        releases="<2.12",
        covers=_normal_law,
        repro=normal_half_precision_tails,
        summary=(
            "CPU normal_ (so kaiming_normal_ and xavier_normal_) in float16 and bfloat16 "
            "runs the Box-Muller transform in the output dtype for 16 or more elements: the "
            "tails are cut (16M draws stay within 3.33 in bfloat16 and 3.90 in float16, "
            "float32's reach 5.3) and the standard deviation is 0.75% (bfloat16) and 0.12% "
            "(float16) low. Found by the init property on torch 2.1.2 (kaiming_normal_, "
            "bfloat16: the chi-square test of the variance). Measured per release: 2.1.2, "
            "2.2.0, 2.6.0, 2.9.1 and 2.11.0 cut the tails; 2.12.0, 2.12.1 and 2.13.0 draw in "
            "float32 and round"
        ),
        upstream=(
            "https://github.com/pytorch/pytorch/issues/166853 (open; fix proposed in pull 166854)"
        ),
    ),
    KnownFailure(
        id="sigmoid-onnxruntime-negative-tail",
        layer="Sigmoid",
        breaks=Check.VALUES,
        dtypes=("float32", "float64"),
        paths=("onnxruntime",),
        covers=_sigmoid_negative_tail,
        repro=sigmoid_onnxruntime_negative_tail,
        summary=(
            "onnxruntime's CPU Sigmoid loses its relative accuracy for negative inputs "
            "(below about -2 in float32, -1.7 in float64) and returns 0 where the sigmoid "
            "is a normal number (sigmoid(-20) = 2.1e-9 in float32, sigmoid(-40) = 4.2e-18 "
            "in float64); torch gives them to an ulp"
        ),
        upstream=(
            "related: https://github.com/microsoft/onnxruntime/issues/22557 (open: a "
            "negative sigmoid at -18 on Arm), "
            "https://github.com/microsoft/onnxruntime/issues/26281 (closed, stale: the "
            "logistic post-transform's precision for large negative inputs)"
        ),
    ),
    KnownFailure(
        id="batch_norm2d-onnx-epsilon-float32",
        layer="BatchNorm2d",
        breaks=Check.VALUES,
        dtypes=("float64",),
        paths=("onnxruntime",),
        covers=_eps_not_float32,
        repro=batch_norm2d_onnx_epsilon_float32,
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
    ),
    KnownFailure(
        id="layer_norm-onnx-epsilon-float32",
        layer="LayerNorm",
        breaks=Check.VALUES,
        dtypes=("float64",),
        paths=("onnxruntime",),
        covers=_eps_not_float32,
        repro=layer_norm_onnx_epsilon_float32,
        summary=(
            "A float64 LayerNorm exported to ONNX normalises with eps rounded to float32: "
            "LayerNormalization's epsilon is a 32-bit float attribute (as BatchNorm2d's)"
        ),
        upstream=(
            "by the ONNX spec (epsilon: float attribute); related: "
            "https://github.com/onnx/onnx/issues/1820 (closed: epsilon's float type)"
        ),
    ),
    KnownFailure(
        id="max_pool2d-onnx-empty-window",
        layer="MaxPool2d",
        breaks=Check.VALUES,
        paths=("onnxruntime",),
        covers=_empty_pooling_window,
        repro=max_pool2d_onnx_empty_window,
        summary=(
            "MaxPool2d exported to ONNX returns the lowest finite float (-3.4e38) for a "
            "window that holds no input element, where torch returns -inf, the max over "
            "nothing (configurations torch accepts with dilation, padding and ceil_mode)"
        ),
        upstream=(
            "related: https://github.com/pytorch/pytorch/issues/114216 (open: the -inf "
            "forward of the same configurations)"
        ),
    ),
)

BY_ID: dict[str, KnownFailure] = {known.id: known for known in KNOWN_FAILURES}


def known_failure(check: Check, where: Where) -> KnownFailure | None:
    """The known failure that breaks `check` for `where` in this process, if any."""
    for known in KNOWN_FAILURES:
        if check in known.checks and known.applies(where):
            return known
    return None


# The known failures that left out cases of the test running now, with how many each.
carved: dict[str, int] = {}


def carve_out(check: Check, where: Where) -> None:
    """Leave out a drawn case a known failure covers: the one way a property skips a case.

    The case is rejected (Hypothesis draws another), so the rest of the domain stays under
    test; the bug itself stays visible through its strict xfail and the report. A cell
    whose every case is left out ends as a known failure (conftest.py).
    """
    known = known_failure(check, where)
    if known is not None:
        carved[known.id] = carved.get(known.id, 0) + 1
        note(f"left out: known torch failure {known.id} ({check.value})")
        reject()
