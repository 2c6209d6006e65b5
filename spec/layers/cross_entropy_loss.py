"""nn.CrossEntropyLoss: log_softmax then the likelihood of the targets; class-index targets
(with ignore_index) and probability targets, class weights, label smoothing, every
reduction, inputs (C,), (N, C) and (N, C, d1, ...).

Targets are drawn as int64 class indices or as probabilities of the input's shape (torch
tells them apart by dtype and shape); torch also takes uint8 class indices (not drawn).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.cross_entropy import (
    cross_entropy_forward,
    cross_entropy_vjp,
    is_probabilities,
    log_softmax_last,
    loss_weights,
)
from reference.nll_loss import classes_back, classes_last
from reference.reduction import per_position_gradient
from spec import class_targets
from spec.arguments import CallArguments, TensorValue, indices
from spec.exact import (
    HALF_OVERFLOWING_LOSSES,
    ExactCase,
    largest_power_of_two,
    representable,
    sums_exact,
)
from spec.inputs import Inputs
from spec.layers.nll_loss import (
    at_least_two_classes,
    buffer_shapes,
    counted_targets,
    half_overflowing_mean,
    no_params,
    out_shape,
    sum_or_none,
    weight_of,
)
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import from_class
from spec.tolerances import (
    SUBNORMAL_REACH,
    SUBNORMAL_ROUNDING_IN_FLOORS,
    rounded_factor_floor,
    rounded_terms_floor,
)

# A cross entropy over class indices raises RuntimeError for a 0-d input (it reads the
# 0-d target as probabilities of the wrong dtype).
ZERO_D_ERROR = RuntimeError

SMOOTHING_CLASSES = {
    "0": st.sampled_from([{}, {"label_smoothing": 0.0}]),
    "in (0, 1)": st.floats(0.0, 1.0, exclude_min=True, exclude_max=True).map(
        lambda e: {"label_smoothing": e}
    ),
    "1": st.just({"label_smoothing": 1.0}),
}
TARGET_CLASSES = (*class_targets.INDEX_TARGET_CLASSES, "probabilities")
CLASSES = {
    **class_targets.CLASSES,
    "targets": TARGET_CLASSES,
    "label_smoothing": tuple(SMOOTHING_CLASSES),
}
# How probability targets are drawn: rows summing to 1, one-hot rows, any values in [0, 1].
PROBABILITY_KINDS = ("distribution", "one-hot", "any in [0, 1]")


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    hp = draw(class_targets.loss_hyperparams(corner), label="loss hp")
    return hp | from_class(draw, corner or {}, "label_smoothing", SMOOTHING_CLASSES)[1]


def _smoothing(hp: dict) -> float:
    return hp.get("label_smoothing", 0.0)


def classify(hp: dict, shape: tuple) -> dict:
    named = {0.0: "0", 1.0: "1"}
    smoothing = named.get(_smoothing(hp), "in (0, 1)")
    return class_targets.classify_loss(hp, shape) | {"label_smoothing": smoothing}


def input_shape(hp: dict, corner: dict | None = None) -> st.SearchStrategy[tuple]:
    return class_targets.input_shape(hp, corner)


def probability_targets(rng: np.random.Generator, shape: tuple, kind: str) -> np.ndarray:
    """Probabilities of the input's shape along its class axis."""
    last = (*class_targets.positions(shape), shape[0 if len(shape) == 1 else 1])
    if kind == "distribution":
        values = rng.exponential(size=last)
        values = values / values.sum(axis=-1, keepdims=True)
    elif kind == "one-hot":
        values = np.eye(last[-1])[rng.integers(0, last[-1], last[:-1])]
    else:
        values = rng.random(last)
    return classes_back(values, len(shape))


@st.composite
def arguments(draw: st.DrawFn, hp: dict, shape: tuple, corner: dict) -> CallArguments:
    wanted = corner.get("targets") or draw(st.sampled_from(TARGET_CLASSES), label="targets")
    if wanted == "probabilities" and not _takes_probabilities(hp):
        # torch takes probabilities with a negative ignore_index alone (a non-negative one
        # is an invalid call, below): class indices instead, as the coverage then says.
        wanted = draw(st.sampled_from(class_targets.INDEX_TARGET_CLASSES), label="instead")
    if wanted != "probabilities":
        return draw(class_targets.class_index_arguments(hp, shape, {"targets": wanted}))
    kind = draw(st.sampled_from(PROBABILITY_KINDS), label="probabilities")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="target seed"))
    return CallArguments((probability_targets(rng, shape, kind),), {"targets": wanted})


def impossible(classes: dict) -> bool:
    # Probabilities go with a negative ignore_index alone (a non-negative one is an invalid
    # call; a negative one has nothing to ignore and is accepted, in every release seen).
    non_negative = classes.get("ignore_index") == "non-negative"
    return class_targets.impossible(classes) or (
        classes.get("targets") == "probabilities" and non_negative
    )


def _takes_probabilities(hp: dict) -> bool:
    """Whether a call may pass probabilities: torch checks ignore_index < 0."""
    return class_targets.ignore_index(hp) < 0


def _call(inputs: Inputs) -> tuple:
    hp = inputs.hp
    return (
        inputs.x,
        inputs.arguments[0],
        weight_of(inputs),
        class_targets.ignore_index(hp),
        hp.get("reduction", "mean"),
        _smoothing(hp),
    )


def forward(inputs):
    return cross_entropy_forward(*_call(inputs)), {}


def vjp(inputs):
    return cross_entropy_vjp(*_call(inputs), inputs.g)


class _Rounding:
    """What the error scales read: the per-element log_softmax error factor A and the
    weights h of loss_p = -sum_c h[p, c] logp[p, c].

    torch computes logp as x - max - log(sum exp(x - max)), or as x - (max + log sum):
    the subtraction rounds relative to |x| + |max|; exp of a rounded difference errs by
    eps |x_j - max| relatively, so the sum by the weighted mean of those, and its log by
    that much absolutely (plus its own rounding of |L|, L = log sum >= 0, and the
    summation's). A[p, c] = |x| + |max| + |logp| + 2 L + sum_j s_j |x_j - max| + 2 bounds
    logp's error in units of eps, and everything downstream is weighted by h (K = C).
    """

    def __init__(self, inputs: Inputs) -> None:
        x, target, weight, ignore_index, reduction, smoothing = _call(inputs)
        x_last = classes_last(x)
        probabilities = is_probabilities(x, target)
        target_last = classes_last(target) if probabilities else target
        self.h, self.total, self.ignored = loss_weights(
            x_last, target_last, weight, ignore_index, smoothing
        )
        self.classes = x_last.shape[-1]
        self.logp = log_softmax_last(x_last)
        self.s = np.exp(self.logp)
        top = np.max(x_last, axis=-1, keepdims=True)
        spread = np.abs(x_last - top)
        log_sum = np.log(np.sum(np.exp(x_last - top), axis=-1, keepdims=True))
        self.a = (
            np.abs(x_last)
            + np.abs(top)
            + np.abs(self.logp)
            + 2 * log_sum
            + np.sum(self.s * spread, axis=-1, keepdims=True)
            + 2
        )
        self.reduction = reduction
        self.positions = max(1, int(np.prod(x_last.shape[:-1], dtype=np.int64)))
        self.probabilities = probabilities
        self.smoothing = smoothing
        self.weight = np.ones(self.classes) if weight is None else weight
        self.ndim = np.ndim(x)

    def k(self) -> int:
        """Reduction lengths behind an element: the classes, and the positions a sum or a
        mean's total weight adds up."""
        return self.classes * (self.positions if self.reduction != "none" else 1)

    def per_position_gradient(self, grad_y: np.ndarray) -> np.ndarray:
        g = per_position_gradient(grad_y, self.h.shape[:-1], self.reduction, self.total)
        return np.where(self.ignored, 0.0, np.nan_to_num(np.abs(g), nan=0.0))


def forward_error(inputs):
    r = _Rounding(inputs)
    per_position = np.sum(r.h * r.a, axis=-1)
    if r.reduction == "none":
        return per_position, r.classes
    # Each position's loss is materialised in the dtype before the sum; among the
    # subnormals that rounding is absolute (spec/tolerances.py: rounded_terms_floor).
    losses = np.sum(r.h * np.abs(r.logp), axis=-1)
    if r.reduction == "sum":
        return per_position.sum(), r.k(), rounded_terms_floor(losses)
    # The mean's sum reaches the sum of the losses, past the accumulator's range for a
    # mean that fits.
    reach = per_position.sum()
    if r.total is None:
        floor = rounded_terms_floor(losses, r.positions)
        return reach / r.positions, r.k(), floor, reach
    # The total weight is itself a sum: its rounding scales the whole mean.
    mean_scale = 2 * reach / r.total if r.total > 0 else 0.0
    return mean_scale, r.k(), rounded_terms_floor(losses, r.total), reach


def vjp_error(inputs):
    # torch: grad_logp = -G h, then grad_x = grad_logp - exp(logp) * sum(grad_logp); exp
    # of logp errs by eps * A relatively, the class sum by sqrt(C) roundings.
    r = _Rounding(inputs)
    g = r.per_position_gradient(inputs.g)[..., None]
    total_h = np.sum(r.h, axis=-1, keepdims=True)
    k = r.classes * (r.positions if r.reduction == "mean" else 1)
    scale = g * (r.h + r.s * (r.a + 1) * total_h)
    floor_scale = classes_back(_subnormal_chain_floor(r, inputs.g), r.ndim)
    errors = {"input": (classes_back(scale, r.ndim), k, floor_scale)}
    if r.probabilities:
        target_scale = g * (1.0 - r.smoothing) * r.weight * r.a
        errors["target"] = (classes_back(target_scale, r.ndim), r.classes)
    return errors


def _subnormal_chain_floor(r: _Rounding, grad_y: np.ndarray) -> np.ndarray:
    """The floor scale, per element (classes last), of the values torch's backward forms in
    the dtype between grad_y and log_softmax's backward: among the subnormals each errs by
    half their spacing, absolute, and what follows carries it into the gradient.

    torch's label smoothing (class indices) is a composite: loss = (1 - e) nll + (e / C)
    smooth_sum / d, so the backward forms grad_y e / C and grad_y (1 - e) in the dtype, then
    divides by the mean's total weight d; probability targets form grad_y / d. Then each
    class's value G h[c] reaches element j as |delta_cj - s_j|. A small total weight
    carries the first roundings far. Seen on torch 2.13.0: float16, weight [2, 0.00314],
    smoothing 0.0625, target 1, x = [0.1257, -0.1321], grad_y = 107 * 2^-24: grad_y e / C
    = 3.34 subnormals rounds to 3, and the division by 0.00314 makes the input gradient
    4.62e-5 against 5.19e-5, 24 floors off (float16's floor is 2^-22).
    """
    g = np.abs(np.broadcast_to(np.asarray(grad_y, dtype=np.float64), r.h.shape[:-1]))[..., None]
    g = np.where(r.ignored[..., None], 0.0, g)
    divisor = (r.total if r.total is not None else r.positions) if r.reduction == "mean" else 1
    if not divisor > 0:
        return np.ones_like(r.h)

    def spread(coefficients: np.ndarray) -> np.ndarray:
        """|c_j - s_j sum_c c_c|: what a value times the coefficients c reaches j with."""
        return np.abs(coefficients - r.s * np.sum(coefficients, axis=-1, keepdims=True))

    floors = [np.ones_like(r.h)]
    if r.probabilities:
        if r.reduction == "mean":
            floors.append(rounded_factor_floor(g / divisor, spread(r.h)))
    elif r.smoothing > 0:
        weight = np.broadcast_to(r.weight, r.h.shape)
        smoothing_part = r.smoothing / r.classes
        target_weight = np.where(r.ignored[..., None], 0.0, r.h - smoothing_part * weight)
        floors.append(rounded_factor_floor(g * smoothing_part, spread(weight) / divisor))
        floors.append(rounded_factor_floor(g * (1 - r.smoothing), spread(target_weight) / divisor))
        if r.reduction == "mean":
            floors.append(rounded_factor_floor(g * smoothing_part / divisor, spread(weight)))
    # What log_softmax's backward receives per class: G h[c], each rounded.
    received = g / divisor * r.h
    tiny = ((received > 0) & (received < SUBNORMAL_REACH)).astype(np.float64)
    reach = tiny * (1 - r.s) + r.s * (np.sum(tiny, axis=-1, keepdims=True) - tiny)
    return sum(floors) - (len(floors) - 1) + SUBNORMAL_ROUNDING_IN_FLOORS * reach


SMOOTHING_INVALID = ("label_smoothing above 1", "label_smoothing below 0")
PROBABILITIES_IGNORING = "probabilities with a non-negative ignore_index"
INVALID_KINDS = (*class_targets.INVALID_KINDS, *SMOOTHING_INVALID, PROBABILITIES_IGNORING)


@st.composite
def _invalid(draw: st.DrawFn, corner: dict | None = None):
    kind = (corner or {}).get("invalid kind") or draw(st.sampled_from(INVALID_KINDS))
    if kind == PROBABILITIES_IGNORING:
        # "ignore_index is only applicable when the target contains class indices"; torch
        # raises "ignore_index is not supported for floating point target" for one that
        # could name a class (>= 0), and accepts a negative one, which ignores nothing
        # (2.1.2, 2.6.0, 2.13.0: the valid draws hold it).
        hp = draw(hyperparams(), label="valid hp")
        hp["ignore_index"] = draw(st.integers(0, 5), label="ignore_index")
        classes = len(hp["weight"]) if hp.get("weight") is not None else 3
        x = np.zeros((2, classes))
        return InvalidCase(hp, x.shape, RuntimeError, kind, x, (np.full(x.shape, 1 / classes),))
    if kind not in SMOOTHING_INVALID:
        return draw(class_targets.invalid_call({"invalid kind": kind}, hyperparams, ZERO_D_ERROR))
    # A valid call but for the smoothing: torch documents label_smoothing as "a float in
    # [0.0, 1.0]", and its message says "label_smoothing must be between 0.0 and 1.0".
    hp = draw(hyperparams(), label="valid hp")
    classes = len(hp["weight"]) if hp.get("weight") is not None else 3
    if kind == "label_smoothing above 1":
        wrong = draw(st.floats(1.0, 4.0, exclude_min=True), label="label_smoothing")
    else:
        wrong = draw(st.floats(-4.0, 0.0, exclude_max=True), label="label_smoothing")
    x, target = np.zeros((2, classes)), np.zeros(2, dtype=np.int64)
    return InvalidCase({**hp, "label_smoothing": wrong}, x.shape, RuntimeError, kind, x, (target,))


# ---- exact cases ------------------------------------------------------------------------

# Logits GAP below the largest: exp(-GAP) is 0 in every dtype (float64's smallest
# subnormal is exp(-744.4)), so log_softmax is exactly 0 at the largest and -GAP
# elsewhere, and softmax exactly one-hot, whatever the algorithm.
GAP = 1024.0
# Smoothings that keep 1 - e and e / C powers of two (C a power of two), or zero.
DYADIC_SMOOTHINGS = (0.0, 0.5, 1.0)
WEIGHT_EXPONENTS = (-1, 0, 1)
# Probability values of the saturated case: dyadic, so q (1 - e) + e / C is exact.
DYADIC_PROBABILITIES = (0.0, 0.25, 0.5, 1.0)
# Positions the saturated case keeps along each dim: sums stay short.
MAX_SATURATED_SIDE = 2


def _dyadic_hyperparams(spec):
    """Smoothing 0, 1/2 or 1; a weight, if any, a constant power of two over a power of two
    of classes."""

    @st.composite
    def build(draw):
        hp = draw(spec.hyperparams(), label="hp")
        smoothing = draw(st.sampled_from(DYADIC_SMOOTHINGS), label="label_smoothing")
        hp["label_smoothing"] = smoothing
        if hp.get("weight") is not None:
            classes = largest_power_of_two(max(2, len(hp["weight"])))
            value = 2.0 ** draw(st.sampled_from(WEIGHT_EXPONENTS), label="weight exponent")
            hp["weight"] = TensorValue.of(np.full(classes, value))
        return hp

    return build()


def _saturated_inputs(hp: dict, shape: tuple, rng: np.random.Generator, dtype: str) -> Inputs:
    axis = 0 if len(shape) == 1 else 1
    last = (*class_targets.positions(shape), shape[axis])
    top = rng.integers(0, last[-1], last[:-1])
    x_last = np.full(last, -GAP)
    np.put_along_axis(x_last, np.asarray(top)[..., None], 0.0, axis=-1)
    x = classes_back(x_last, len(shape))
    if rng.random() < 0.5 or not _takes_probabilities(hp):
        target = counted_targets(rng, hp, shape)
    else:
        target = classes_back(rng.choice(DYADIC_PROBABILITIES, last), len(shape))
    out = out_shape(hp, shape)
    # Output gradients of -1, 0 or 1: a product with them is exact.
    grad_y = rng.integers(-1, 2, out).astype(np.float64)
    buffers = {} if hp.get("weight") is None else {"weight": hp["weight"].array()}
    return Inputs(x, hp, {}, buffers, False, None, grad_y, (target,))


def _exact_in(inputs: Inputs, dtype: str) -> bool:
    """Every sum the loss and its gradient take is exact in dtype, and so are the results."""
    r = _Rounding(inputs)
    terms = r.h * r.logp
    grads = vjp(inputs)
    per_position_exact = all(sums_exact(row, dtype) for row in np.reshape(r.h, (-1, r.classes)))
    return (
        sums_exact(terms, dtype)
        and per_position_exact
        and representable(forward(inputs)[0], dtype)
        and all(representable(v, dtype) for v in grads.values())
    )


def _saturated(spec, hp, dtype):
    @st.composite
    def build(draw):
        shape = list(at_least_two_classes(hp, tuple(draw(spec.input_shape(hp), label="shape"))))
        axis = 0 if len(shape) == 1 else 1
        for i, size in enumerate(shape):
            # A power of two of classes (e / C exact) and of positions (a mean over them).
            limit = size if i == axis else min(size, MAX_SATURATED_SIDE)
            shape[i] = largest_power_of_two(limit)
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        inputs = _saturated_inputs(hp, tuple(shape), rng, dtype)
        if _exact_in(inputs, dtype):
            return inputs
        # One position: the shortest sums, which every dtype holds.
        shape = [1 if i != axis else n for i, n in enumerate(shape)]
        inputs = _saturated_inputs(hp, tuple(shape), rng, dtype)
        assert _exact_in(inputs, dtype), f"a single saturated position is inexact in {dtype}"
        return inputs

    return build()


def _one_class(spec):
    """A weight, if any, of one positive class; the mean counts a target (not ignored)."""

    @st.composite
    def build(draw):
        hp = draw(spec.hyperparams(), label="hp")
        if hp.get("weight") is not None:
            hp["weight"] = TensorValue.of([draw(st.floats(0.125, 4.0), label="weight")])
        if hp.get("ignore_index") == 0:
            hp["ignore_index"] = -100
        return hp

    return build()


def _single_class_inputs(spec, hp, dtype):
    @st.composite
    def build(draw):
        shape = list(draw(spec.input_shape(hp), label="shape"))
        shape[0 if len(shape) == 1 else 1] = 1
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        x = rng.uniform(-spec.max_magnitude, spec.max_magnitude, shape)
        if rng.random() < 0.5 or not _takes_probabilities(hp):
            target = indices(np.zeros(class_targets.positions(tuple(shape))))
        else:
            target = rng.random(shape)
        grad_y = rng.integers(-2, 3, out_shape(hp, tuple(shape))).astype(np.float64)
        buffers = {} if hp.get("weight") is None else {"weight": hp["weight"].array()}
        return Inputs(x, hp, {}, buffers, False, None, grad_y, (target,))

    return build()


def _every_target_ignored(spec, hp, dtype):
    @st.composite
    def build(draw):
        shape = tuple(draw(spec.input_shape(hp), label="input_shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        target = indices(np.full(class_targets.positions(shape), class_targets.ignore_index(hp)))
        x = rng.uniform(-spec.max_magnitude, spec.max_magnitude, shape)
        grad_y = rng.standard_normal(out_shape(hp, shape))
        return Inputs(x, hp, {}, {}, False, None, grad_y, (target,))

    return build()


def _loss_beside_target(
    rng: np.random.Generator, shape: tuple, target: np.ndarray, loss: float
) -> np.ndarray:
    """Logits 0, and L at the class beside each position's target: its loss is L."""
    classes = shape[0 if len(shape) == 1 else 1]
    x_last = np.zeros((*class_targets.positions(shape), classes))
    beside = (np.asarray(target)[..., None] + 1) % classes
    np.put_along_axis(x_last, beside, loss, axis=-1)
    return classes_back(x_last, len(shape))


# Logits far below the others: with L from HALF_OVERFLOWING_LOSSES above, its
# log-probability -(L + FAR) passes float16's largest in magnitude.
FAR = 32768.0


def _one_position_hyperparams(smoothings: tuple[float, ...], probabilities: bool):
    """No class weight, label smoothing from `smoothings`, and for probability targets a
    negative ignore_index (torch takes them with no other)."""

    def hyperparams(spec):
        @st.composite
        def build(draw):
            hp = draw(spec.hyperparams(), label="hp")
            hp["weight"] = None
            hp["label_smoothing"] = draw(st.sampled_from(smoothings), label="label_smoothing")
            if probabilities and class_targets.ignore_index(hp) >= 0:
                hp["ignore_index"] = -100
            return hp

        return build()

    return hyperparams


def _one_position(classes: st.SearchStrategy[int], probabilities: bool, far_mass: float = 0.0):
    """One position (1, C) of logits 0, L at the class beside the target and, with
    probability targets, -FAR at the class after it, which the target gives `far_mass`
    (the target's class the rest); the loss is kept exact in the dtype."""

    def inputs(spec, hp, dtype):
        @st.composite
        def build(draw):
            shape = (1, draw(classes, label="classes"))
            rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
            target = counted_targets(rng, hp, shape, ignored_too=False)
            t = int(np.asarray(target).reshape(-1)[0])
            grad_y = rng.integers(-2, 3, out_shape(hp, shape)).astype(np.float64)
            for loss in draw(st.permutations(HALF_OVERFLOWING_LOSSES), label="losses"):
                x = _loss_beside_target(rng, shape, target, loss)
                argument = target
                if probabilities:
                    far = (t + 2) % shape[1]
                    x[0, far] = -FAR
                    argument = np.eye(shape[1])[[t]] * (1.0 - far_mass)
                    argument[0, far] += far_mass
                found = Inputs(x, hp, {}, {}, False, None, grad_y, (argument,))
                if representable(forward(found)[0], dtype):
                    return found
            raise AssertionError(f"no loss of {HALF_OVERFLOWING_LOSSES} is exact in {dtype}")

        return build()

    return inputs


EXACT = (
    ExactCase(
        "saturated logits",
        why=(
            "one logit 0 and the others -1024 at each position: exp(-1024) is 0 in every "
            "dtype, so log_softmax is exactly 0 and -1024 and softmax exactly one-hot for "
            "any algorithm; with a constant power-of-two weight, smoothing 0, 1/2 or 1 over "
            "2^j classes, dyadic probabilities and 2^k counted positions every term is "
            "dyadic, every sum is checked exact in the dtype, and the gradient G (s sum h - "
            "h) with G = +-1 / 2^k is exact too"
        ),
        inputs=_saturated,
        hyperparams=_dyadic_hyperparams,
        exact=("output", "input", "target"),
    ),
    ExactCase(
        "a single class",
        why=(
            "C = 1: log_softmax is x - x - log(1) = 0 exactly, so every loss is exactly 0 "
            "and the gradient G (s h - h) with s = exp(0) = 1 is exactly 0, for class "
            "indices and probabilities, with any smoothing and weight"
        ),
        inputs=_single_class_inputs,
        hyperparams=_one_class,
        exact=("output", "input", "target"),
    ),
    ExactCase(
        "every target ignored",
        why=(
            "no position counts: the likelihood and the smoothing terms are masked to 0, "
            "their sum is 0 and the gradient is exactly 0 everywhere (the mean would be "
            "0/0, NaN: the forward property judges that)"
        ),
        inputs=_every_target_ignored,
        hyperparams=sum_or_none,
        exact=("output", "input"),
    ),
    ExactCase(
        "a mean of losses past float16's range",
        why=(
            "logits 0 and L (32768 to 65280, at most 8 significant bits) at one class beside "
            "each counted target: exp(-L) is 0 in every dtype, so log_softmax is exactly -L "
            "at the target and softmax exactly one-hot at L, and every loss is L; the mean "
            "over 2^k positions, no weight or smoothing, is exactly L, though the sum passes "
            "65504, float16's largest, since half sums accumulate in float32 "
            "(spec/tolerances.py), where every partial sum is exact; the gradient +-g / 2^k "
            "is exact"
        ),
        inputs=half_overflowing_mean(_loss_beside_target),
        hyperparams=class_targets.unweighted_mean,
        exact=("output", "input"),
    ),
    ExactCase(
        "label smoothing over logits past float16's range",
        why=(
            "one position of logits 0 and L (32768 to 65280) beside the target, over C = 4 "
            "or 8 classes: -log p is exactly L at each 0 logit and 0 at L, so the smoothed "
            "loss (1 - e) L + e (C - 1) L / C, e = 1/2 or 1, is dyadic (kept exact in the "
            "dtype) though the sum (C - 1) L passes 65504; that sum is exact in float32, "
            "where half sums accumulate (spec/tolerances.py); the gradient g (onehot(L) - "
            "(1 - e) onehot(t) - e / C) is exact"
        ),
        inputs=_one_position(st.sampled_from((4, 8)), probabilities=False),
        hyperparams=_one_position_hyperparams((0.5, 1.0), probabilities=False),
        exact=("output", "input"),
    ),
    ExactCase(
        "a zero target on a class past float16's range",
        why=(
            "one position of logits 0 at the target, L beside it and -32768 after it, "
            "against one-hot probabilities: log_softmax is exactly 0 - L, 0 and -(L + 32768) "
            "(past -65504, float16's largest), and the loss -sum q log p is exactly L, since "
            "a target of 0 takes no part in it (0 log p is 0 for a finite log p); the "
            "gradient g (onehot(L) - onehot(t)) is exact"
        ),
        inputs=_one_position(st.integers(3, 6), probabilities=True),
        hyperparams=_one_position_hyperparams((0.0,), probabilities=True),
        exact=("output", "input"),
    ),
    ExactCase(
        "half the target on a class past float16's range",
        why=(
            "one position of logits 0 at the target, L beside it and -32768 after it, "
            "against probabilities 1/2 at the target and 1/2 after it: log_softmax is "
            "exactly -L, 0 and -(L + 32768) (past -65504, float16's largest), so the loss "
            "L / 2 + (L + 32768) / 2 = L + 16384 is exact (kept within the dtype's range) "
            "though a term of it is not float16; the gradient g (onehot(L) - q) is exact"
        ),
        inputs=_one_position(st.integers(3, 6), probabilities=True, far_mass=0.5),
        hyperparams=_one_position_hyperparams((0.0,), probabilities=True),
        exact=("output", "input"),
    ),
)


SPEC = LayerSpec(
    name="CrossEntropyLoss",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "weight": None,
        "size_average": None,
        "ignore_index": -100,
        "reduce": None,
        "reduction": "mean",
        "label_smoothing": 0.0,
    },
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=out_shape,
    param_shapes=no_params,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=_invalid,
    invalid_kinds=INVALID_KINDS,
    buffer_shapes=buffer_shapes,
    max_magnitude=1e3,
    exact=EXACT,
    classes=CLASSES,
    input_ranks=class_targets.input_ranks,
    impossible=impossible,
    classify=classify,
    shape_classes=("input rank",),
    argument_names=("target",),
    arguments=arguments,
    argument_classes=("targets",),
    factory_kwargs=False,
    out_of_scope={
        "size_average": "deprecated in favour of reduction (torch maps it onto reduction)",
        "reduce": "deprecated in favour of reduction (torch maps it onto reduction)",
    },
    # Class-index targets go through nll_loss, which torch.use_deterministic_algorithms
    # documents as nondeterministic on CUDA (its sums use atomic adds): repeats may
    # differ in the last bits.
    nondeterministic_on=("cuda",),
)
