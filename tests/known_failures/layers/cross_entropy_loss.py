"""CrossEntropyLoss's known failures."""

from __future__ import annotations

import math

import numpy as np
import torch

from reference.cross_entropy import cross_entropy_forward, is_probabilities, log_softmax_last
from reference.nll_loss import class_axis, classes_last
from report.interface import NotRun
from spec.class_targets import class_weight
from spec.dtypes import format_of
from tests.known_failures.entry import (
    SECOND_CUDA_RUN,
    Check,
    KnownFailure,
    Observed,
    Where,
    seen_on_cuda,
)
from tests.known_failures.layers import log_softmax
from tests.paths import running_kernels
from tests.paths.routing import on_path

LAYER = "CrossEntropyLoss"
FLOAT16_LARGEST = format_of("float16").largest


def _negative_smoothing(where: Where) -> bool:
    return where.arguments["label_smoothing"] < 0


def negative_label_smoothing_accepted() -> None:
    loss = torch.nn.CrossEntropyLoss(label_smoothing=-0.5)
    try:
        value = loss(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    except (ValueError, RuntimeError):
        return  # rejected, as label_smoothing=1.5 is: the documented range is [0, 1]
    raise AssertionError(f"label_smoothing=-0.5 accepted: loss {value.item()}")


NEGATIVE_LABEL_SMOOTHING_ACCEPTED = KnownFailure(
    id="cross_entropy_loss-negative-label-smoothing-accepted",
    layer=LAYER,
    breaks=Check.RAISES,
    covers=_negative_smoothing,
    paths=running_kernels("aten", "inductor"),
    devices=("cpu", "cuda", "meta"),
    repro=negative_label_smoothing_accepted,
    observed=Observed(since="2.1.2"),
    summary=(
        "CrossEntropyLoss checks only the upper end of label_smoothing's documented range "
        "[0, 1]: 1.5 raises 'label_smoothing must be between 0.0 and 1.0', -0.5 is accepted "
        "and mixes the targets with a negative weight (loss 1.0986 for zero logits, 3 classes)"
    ),
    upstream="not filed (no upstream issue found)",
)


def _smoothed(where: Where) -> bool:
    return where.arguments["label_smoothing"] > 0


def onnx_label_smoothing_dropped() -> None:
    loss = torch.nn.CrossEntropyLoss(label_smoothing=0.5)
    logits, target = torch.tensor([[1.0, 0.0]]), torch.tensor([0])
    smoothed = loss(logits, target).item()  # 0.56326: half the loss spread over both classes
    y = on_path("onnxruntime", loss)(logits, target).item()
    assert abs(y - smoothed) < 1e-6, f"onnxruntime {y}, torch {smoothed} (unsmoothed: 0.31326)"


ONNX_LABEL_SMOOTHING_DROPPED = KnownFailure(
    id="cross_entropy_loss-onnx-label-smoothing-dropped",
    layer=LAYER,
    breaks=Check.VALUES,
    paths=running_kernels("onnxruntime"),
    covers=_smoothed,
    repro=onnx_label_smoothing_dropped,
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.onnx.export (dynamo, onnxscript's torchlib) drops CrossEntropyLoss's "
        "label_smoothing: onnxruntime returns the unsmoothed loss (0.31326 where torch gives "
        "0.56326 for logits [[1, 0]], target [0], smoothing 0.5)"
    ),
    upstream="not filed (torchlib's own comment: ONNX has no label smoothing)",
)


def _unbatched(where: Where) -> bool:
    return where.x is not None and where.x.ndim == 1


def onnx_unbatched_unloadable() -> None:
    loss = torch.nn.CrossEntropyLoss()
    logits, target = torch.zeros(3), torch.tensor(1)
    try:
        y = on_path("onnxruntime", loss)(logits, target).item()
    except NotRun as refused:  # the path's "unsupported": the model does not load
        raise AssertionError(str(refused)) from None
    # Three equal logits: the loss is log 3 whatever the target.
    assert abs(y - math.log(3)) < 1e-6, y


ONNX_UNBATCHED_UNLOADABLE = KnownFailure(
    id="cross_entropy_loss-onnx-unbatched-unloadable",
    layer=LAYER,
    breaks=frozenset({Check.SHAPE, Check.VALUES}),
    paths=running_kernels("onnxruntime"),
    covers=_unbatched,
    refused_by_path=True,
    repro=onnx_unbatched_unloadable,
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.onnx.export (dynamo) of CrossEntropyLoss on an unbatched input (C scores, a "
        "0-D target) writes a model onnxruntime refuses to load: 'Node () Op (Reshape) "
        "[ShapeInferenceError] Invalid position of 0', for every reduction, weight and "
        "label_smoothing; NLLLoss on the same input exports and runs. Left out by the path "
        "(PathCannotRun) until recorded here; found in the report's rejected draws"
    ),
    upstream="not filed (no upstream issue found)",
)


def _probability_targets(where: Where) -> bool:
    if where.x is None or not where.call_arguments:
        return False
    return bool(is_probabilities(where.x, where.call_arguments[0]))


def onnx_probability_targets_unloadable() -> None:
    loss = torch.nn.CrossEntropyLoss()
    logits, target = torch.zeros(2, 2), torch.full((2, 2), 0.5)
    try:
        y = on_path("onnxruntime", loss)(logits, target).item()
    except NotRun as refused:  # the path's "unsupported": the model does not load
        raise AssertionError(str(refused)) from None
    # Equal logits under uniform targets: the loss is log 2.
    assert abs(y - math.log(2)) < 1e-6, y


ONNX_PROBABILITY_TARGETS_UNLOADABLE = KnownFailure(
    id="cross_entropy_loss-onnx-probability-targets-unloadable",
    layer=LAYER,
    breaks=frozenset({Check.SHAPE, Check.VALUES}),
    paths=running_kernels("onnxruntime"),
    covers=_probability_targets,
    refused_by_path=True,
    repro=onnx_probability_targets_unloadable,
    observed=Observed(since="2.13.0"),
    summary=(
        "torch.onnx.export (dynamo) of CrossEntropyLoss with class-probability targets "
        "writes ONNX SoftmaxCrossEntropyLoss with the float target as its labels, which "
        "the operator types as integers: onnxruntime refuses the model ('Type "
        "tensor(float) of input parameter (target) ... is invalid') for every input rank. "
        "Left out by the path (PathCannotRun: 40 draws a cell) until recorded here"
    ),
    upstream="not filed (no upstream issue found)",
)


def weight_given(where: Where) -> bool:
    return where.arguments["weight"] is not None


def nonstrict_export_weight_length(path: str) -> None:
    loss = torch.nn.CrossEntropyLoss(weight=torch.ones(2))  # three classes below
    try:
        on_path(path, loss)(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    except RuntimeError:
        return  # eager's documented error for a weight of the wrong length
    except AssertionError as error:
        raise AssertionError(f"{path}: AssertionError, not RuntimeError: {error}") from error


NONSTRICT_EXPORT_WEIGHT_LENGTH = KnownFailure(
    id="cross_entropy_loss-nonstrict-export-weight-length",
    layer=LAYER,
    breaks=Check.RAISES,
    paths=("export:nonstrict",),
    covers=weight_given,
    repro=nonstrict_export_weight_length,
    observed=Observed(since="2.13.0"),
    summary=(
        "Under non-strict torch.export (and on the meta device) a class weight of the wrong "
        "length raises AssertionError from torch/_decomp/decompositions.py where eager "
        "raises RuntimeError"
    ),
    upstream="not filed (no upstream issue found)",
)


def _one_class(where: Where) -> bool:
    """One class: log_softmax over it is exactly 0, so is every loss."""
    if where.x is None or where.x.ndim == 0:
        return False
    return where.x.shape[class_axis(where.x.ndim)] == 1


def half_one_class_nonzero(path: str) -> None:
    x = torch.tensor(log_softmax.ROW, dtype=torch.bfloat16).reshape(1, 1, 4, 8)
    target = torch.zeros(1, 4, 8, dtype=torch.long)
    loss = on_path(path, torch.nn.CrossEntropyLoss(reduction="none"))(x, target)
    # One class: -log_softmax = 0 at every position.
    assert torch.equal(loss, torch.zeros_like(loss)), loss.flatten().tolist()


HALF_ONE_CLASS = KnownFailure(
    id="cross_entropy_loss-half-one-class-nonzero",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=log_softmax.HALF,
    releases="<2.13",
    covers=_one_class,
    paths=running_kernels("aten"),
    found_by="forward",
    repro=half_one_class_nonzero,
    observed=Observed(since="2.1.2"),
    summary=(
        "CrossEntropyLoss over one class in bfloat16 (and float16) is not exactly 0 at some "
        "positions: its log_softmax over the class dim is the kernel of "
        "log_softmax-half-single-element-nonzero (1.49e-8 at x = -1.265625 of a (1, 1, 4, 4) "
        "input on AVX2; a (1, 1, 2, 4, 4) input on AVX-512 gave NaN for a summed loss of 0, "
        "2.6.0). Seen on 2.1.2 and 2.6.0 on every kernel set; 2.13.0 gives 0"
    ),
    upstream="not filed (not reproduced on 2.13.0)",
)


def _class_dim_inside(where: Where) -> bool:
    """The class dim (1, or 0 unbatched) is not the last, over 16 or more positions."""
    if where.x is None or where.x.ndim < 2:
        return False
    axis = class_axis(where.x.ndim)
    return log_softmax.inner_size(where.x.shape, axis) >= log_softmax.half_lanes()


def half_upper_lanes_wrong_max(path: str) -> None:
    x = torch.zeros(1, 2, log_softmax.REPRO_LANES, dtype=torch.bfloat16)
    x[0, 1, -1] = 100.0
    target = torch.zeros(1, log_softmax.REPRO_LANES, dtype=torch.long)
    loss = on_path(path, torch.nn.CrossEntropyLoss(reduction="none"))(x, target)
    # The last position: logits (0, 100), class 0: -log_softmax = 100, exact in bfloat16.
    assert loss[0, -1].item() == 100.0, loss.flatten().tolist()


HALF_UPPER_LANES_WRONG_MAX = KnownFailure(
    id="cross_entropy_loss-half-upper-lanes-wrong-max",
    layer=LAYER,
    breaks=frozenset({Check.VALUES, Check.GRADIENTS}),
    dtypes=log_softmax.HALF,
    releases="<2.13",
    covers=_class_dim_inside,
    paths=running_kernels("aten"),
    found_by="forward",
    repro=half_upper_lanes_wrong_max,
    observed=Observed(since="2.1.2"),
    summary=(
        "CrossEntropyLoss in bfloat16 and float16 over (N, C, d1, ...) inputs with a full "
        "vector of positions (16, or 32 on AVX-512): its log_softmax over the class dim is "
        "the kernel of log_softmax-half-upper-lanes-wrong-max (logits (0, 100) at position "
        "15 of 16 give inf or NaN for a loss of 100 on AVX2; label smoothing 1.0 over a "
        "(1, 2, 1, 4, 4) input gave NaN for 1463.6 on 2.6.0). Seen on 2.1.2 and 2.6.0 "
        "on every kernel set; 2.13.0 right"
    ),
    upstream="not filed (not reproduced on 2.13.0)",
)


def _smoothing_sum_overflows(where: Where) -> bool:
    """Label smoothing over logits whose summed -log p (each class's weighted by its class
    weight), over classes and batch, passes 65504: float16 holds that sum before it
    scales it by label_smoothing / C. A CI run met the weighted form: weight 2 doubled a
    sum of 49152."""
    if not where.arguments["label_smoothing"] > 0 or where.x is None:
        return False
    terms = -log_softmax_last(classes_last(where.x))
    weight = class_weight(where.arguments)
    if weight is not None:
        terms = terms * np.abs(weight)
    return bool(np.abs(terms).sum() > FLOAT16_LARGEST)


def half_smoothing_sum_overflows(path: str) -> None:
    x = torch.zeros(1, 10, dtype=torch.float16)
    x[0, 0] = 8000.0
    loss = on_path(path, torch.nn.CrossEntropyLoss(label_smoothing=0.1))(x, torch.tensor([0]))
    # The loss is 0.9 * 0 + 0.1 / 10 * (9 * 8000) = 720; the sum 72000 is not float16.
    assert loss.item() == 720.0, f"loss {loss.item()}, the law 720"


HALF_SMOOTHING_SUM_OVERFLOWS = KnownFailure(
    id="cross_entropy_loss-half-smoothing-sum-overflows",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_smoothing_sum_overflows,
    # Freezing has no weights to fold in a loss: inductor's own lowering, seen there too
    # (a compile-profile run at seed 11: inf for 38400).
    paths=running_kernels("aten", "inductor", "inductor-freezing"),
    repro=half_smoothing_sum_overflows,
    found_by="exact",
    observed=Observed(since="2.6.0"),
    summary=(
        "CPU float16 CrossEntropyLoss with label_smoothing sums -log p over the classes "
        "(and, reduced, over the batch) in float16 before scaling it by label_smoothing / "
        "C, so the loss is inf once that sum passes 65504 although the loss fits: logits "
        "(8000, 0, ..., 0) of 10 classes, target 0, smoothing 0.1 give inf for 720 (every "
        "reduction; four such rows of 3000 summed: inf for 1080). float32 gives 720. Found "
        "by a float16 run of the training_steps property (a summed loss: inf for 7240). "
        "With a class weight the sum is of w_c * -log p_c: a weight of 2 over logits "
        "(0, -1024, -1024, -1024) at 16 positions, summed with smoothing 0.5, gives inf "
        "for 12288 (unweighted: 6144, right), met by a CI run (seed 1723912106)"
    ),
    upstream="not filed (no upstream issue found)",
)


def _probabilities_on_an_overflowing_class(where: Where) -> bool:
    """Probability targets over logits where a class's log-probability passes -65504."""
    if where.x is None or not where.call_arguments:
        return False
    if not is_probabilities(where.x, where.call_arguments[0]):
        return False  # class indices
    return bool((log_softmax_last(classes_last(where.x)) < -FLOAT16_LARGEST).any())


def half_probabilities_log_softmax_overflows(path: str) -> None:
    loss = on_path(path, torch.nn.CrossEntropyLoss())
    x = torch.tensor([[40000.0, -40000.0, 0.0]], dtype=torch.float16)
    target = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float16)
    # -(1 * log p0 + 0 * log p1 + 0 * log p2), with log p0 = 0: the loss is 0.
    zero_target = loss(x, target).item()
    x = torch.tensor([[40000.0, -32768.0, 0.0]], dtype=torch.float16)
    target = torch.tensor([[0.5, 0.25, 0.25]], dtype=torch.float16)
    # log p = (0, -72768, -40000): the loss is 0.25 * 72768 + 0.25 * 40000 = 28192, exact
    # in float16.
    nonzero_target = loss(x, target).item()
    assert (zero_target, nonzero_target) == (0.0, 28192.0), (
        f"losses {zero_target}, {nonzero_target}; the law 0, 28192"
    )


HALF_PROBABILITIES_LOG_SOFTMAX_OVERFLOWS = KnownFailure(
    id="cross_entropy_loss-half-probabilities-log-softmax-overflows",
    layer=LAYER,
    breaks=Check.VALUES,
    dtypes=("float16",),
    covers=_probabilities_on_an_overflowing_class,
    paths=running_kernels("aten"),
    repro=half_probabilities_log_softmax_overflows,
    found_by="exact",
    observed=Observed(since="2.6.0"),
    summary=(
        "CPU float16 CrossEntropyLoss with probability targets holds log_softmax in "
        "float16, so a class whose log-probability passes -65504 is -inf there although "
        "the loss fits: a target of 0 on it makes the loss NaN (0 times -inf), any other "
        "target inf. Logits (40000, -40000, 0) against (1, 0, 0) give NaN for 0; logits "
        "(40000, -32768, 0) against (0.5, 0.25, 0.25) give inf for 28192 (float32: 0 and "
        "28192). Found by float16 runs of the training_steps property (NaN for 22848; a "
        "CI run, seed 1134542726, inf for 45037.9); until 2026-12-06 recorded for a zero "
        "target alone, as cross_entropy_loss-half-probabilities-zero-times-inf"
    ),
    upstream="not filed (no upstream issue found)",
)


def _mean_of_overflowing_sum(where: Where) -> bool:
    """A mean whose per-position losses sum, in magnitude, past 65504 (float16's largest)."""
    arguments = where.arguments
    if arguments["reduction"] != "mean" or where.x is None or not where.call_arguments:
        return False
    try:
        losses = cross_entropy_forward(
            where.x, where.call_arguments[0], class_weight(arguments),
            arguments["ignore_index"], "none", arguments["label_smoothing"],
        )  # fmt: skip
    except IndexError:
        return False  # an invalid target: an error case, not a sum
    return bool(np.abs(losses).sum() > FLOAT16_LARGEST)


def half_mean_sum_overflows(path: str) -> None:
    x = torch.tensor([[40000.0, 0.0], [40000.0, 0.0]], dtype=torch.float16)
    loss = on_path(path, torch.nn.CrossEntropyLoss())
    # Each row's loss is -log p1 = 40000 (log_softmax is exact here): the mean is 40000,
    # whether the target is class 1 or the probabilities (0, 1).
    for target in (torch.tensor([1, 1]), torch.tensor([[0.0, 1.0]] * 2, dtype=torch.float16)):
        value = loss(x, target).item()
        assert value == 40000.0, f"{target.dtype} targets: loss {value}, the law 40000"


HALF_MEAN_SUM_OVERFLOWS = KnownFailure(
    id="cross_entropy_loss-half-mean-sum-overflows",
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
        "CPU float16 CrossEntropyLoss with reduction 'mean' holds the sum of the "
        "per-position losses in float16 before dividing it, so the mean is inf once that "
        "sum passes 65504 although the mean fits: logits (40000, 0) in two rows, target "
        "class 1 or probabilities (0, 1), give inf for 40000 (float32: 40000; 'none' gives "
        "each 40000). Class indices go through nll_loss (nll_loss-half-mean-sum-overflows). "
        "Found by a float16 run of the training_steps property (probability targets: inf "
        "for a mean of 48236)"
    ),
    upstream="not filed (no upstream issue found)",
)


def cuda_half_mean_sum_overflows() -> None:
    x = torch.tensor([32768.0, 0.0, 32768.0, 0.0], dtype=torch.float16, device="cuda")
    target = torch.tensor([1, 1], device="cuda").reshape(2, 1, 1)
    value = torch.nn.CrossEntropyLoss()(x.reshape(2, 2, 1, 1), target).item()
    # Each position's loss is -log p1 = 32768 (log_softmax is exact here): the mean is
    # 32768, the sum 65536 past float16's range.
    assert value == 32768.0, f"loss {value}, the law 32768"


CUDA_HALF_MEAN_SUM_OVERFLOWS = seen_on_cuda(
    HALF_MEAN_SUM_OVERFLOWS,
    cuda_half_mean_sum_overflows,
    (
        "CUDA float16 CrossEntropyLoss with reduction 'mean' overflows as the CPU's does "
        "(cross_entropy_loss-half-mean-sum-overflows): logits (32768, 0) at two positions "
        "of a (2, 2, 1, 1) input, target class 1, give inf for 32768. Found by the exact "
        "case 'a mean of losses past float16's range' on the second CUDA run"
    ),
    observed=SECOND_CUDA_RUN,
)


def cuda_half_smoothing_sum_overflows() -> None:
    x = torch.tensor([[32768.0, 0.0, 0.0, 0.0]], dtype=torch.float16, device="cuda")
    loss = torch.nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.5)
    value = loss(x, torch.tensor([3], device="cuda")).item()
    # -log p is 32768 at each 0 logit, 0 at 32768: 0.5 * 32768 + 0.5 / 4 * 3 * 32768.
    assert value == 28672.0, f"loss {value}, the law 28672"


CUDA_HALF_SMOOTHING_SUM_OVERFLOWS = seen_on_cuda(
    HALF_SMOOTHING_SUM_OVERFLOWS,
    cuda_half_smoothing_sum_overflows,
    (
        "CUDA float16 CrossEntropyLoss with label_smoothing overflows as the CPU's does "
        "(cross_entropy_loss-half-smoothing-sum-overflows): logits (32768, 0, 0, 0), "
        "target 3, smoothing 0.5, summed, give inf for 28672. Found by the exact case "
        "'label smoothing over logits past float16's range' on the first CUDA run"
    ),
)

ENTRIES = (
    HALF_MEAN_SUM_OVERFLOWS,
    CUDA_HALF_MEAN_SUM_OVERFLOWS,
    CUDA_HALF_SMOOTHING_SUM_OVERFLOWS,
    HALF_ONE_CLASS,
    HALF_UPPER_LANES_WRONG_MAX,
    HALF_PROBABILITIES_LOG_SOFTMAX_OVERFLOWS,
    HALF_SMOOTHING_SUM_OVERFLOWS,
    NEGATIVE_LABEL_SMOOTHING_ACCEPTED,
    ONNX_LABEL_SMOOTHING_DROPPED,
    ONNX_UNBATCHED_UNLOADABLE,
    ONNX_PROBABILITY_TARGETS_UNLOADABLE,
    NONSTRICT_EXPORT_WEIGHT_LENGTH,
)
