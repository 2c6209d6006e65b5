"""modes: train()/eval() reach every submodule and return the module; each layer's mode laws
(spec/modes.py) hold; no_grad and inference_mode change no value.

The laws come from the layer's spec, never from its name: a layer whose modes compute
the same gives bitwise equal outputs in both; a stochastic layer keeps elements at its
stated rate and scales them exactly; a layer with running buffers updates them as the
reference says in training and leaves them untouched in eval.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import torch
from hypothesis import given, note, strategies as st

from report.interface import cover
from spec.registry import LAYERS
from spec.statistics import check_keep_rate, keep_samples_needed
from tests import corners
from tests.assertions import (
    assert_bitwise,
    assert_matches_reference,
    assert_same_computation,
    tolerance_bound,
    violated,
)
from tests.cases import (
    Case,
    argument_tensors,
    arguments_missing,
    build,
    build_case,
    draw_case,
    draw_configuration,
    draw_input,
    inputs_for,
    kernels_for,
    run_with_probe,
)
from tests.corners import MODE_CLASSES
from tests.known_failures import Check, carve_out
from tests.paths import Need
from tests.tensors import as_received, module_buffers, seed_torch, to_numpy, to_torch, torch_dtype
from tests.trees import CONTAINERS, Tree, build_tree, trees

# Train and eval are what it compares; buffers are read back from the module.
NEEDS = frozenset({Need.TRAIN_MODE})

SEEDS = st.integers(0, 2**63 - 1)

# ---- train() and eval() on containers ---------------------------------------------------

# The layer under test sits among up to MAX_WIDTH siblings on each side, in containers
# nested up to MAX_DEPTH deep: enough for a non-recursive train() at any level to show.
MAX_DEPTH = 3
MAX_WIDTH = 2


@st.composite
def _any_layer(draw: st.DrawFn, nn) -> tuple:
    """A layer the implementation provides, with hyperparameters its constructor takes."""
    provided = [spec for spec in LAYERS if hasattr(nn, spec.name)]
    spec = draw(st.sampled_from(provided), label="sibling layer")
    hp = spec.hyperparams().filter(lambda hp: not arguments_missing(nn, spec, hp))
    return (spec, draw(hp, label=f"{spec.name} hyperparams"))


@functools.cache
def sibling_forests(nn) -> st.SearchStrategy[list]:
    """Up to MAX_WIDTH trees of siblings: built once per implementation, as Hypothesis
    walks a new strategy's whole graph before its first draw (spec/strategies.py)."""
    return st.lists(trees(_any_layer(nn), MAX_DEPTH - 1, MAX_WIDTH), max_size=MAX_WIDTH)


def _sibling(nn, leaf, layer, device, dtype):
    """A leaf of the tree; a sibling that cannot be built is a finding of its own class's
    cells, not of the layer under test: the draw is left out."""
    spec, hp = leaf
    try:
        return build(nn, spec, hp, device, dtype)
    except Exception as error:
        if spec.name == layer.name:
            raise
        corners.leave_out(f"a sibling's constructor raised {type(error).__name__}: {error}")


@given(data=st.data())
def test_modes_reach_every_submodule(layer, device, dtype, path, nn, data):
    hp = draw_configuration(data, layer, nn).hp
    siblings = sibling_forests(nn)
    before = data.draw(siblings, label="before")
    after = data.draw(siblings, label="after")
    root_kind = data.draw(st.sampled_from(CONTAINERS), label="root")
    tree = Tree(root_kind, (*before, Tree.of_leaf((layer, hp)), *after))
    root = build_tree(nn, tree, lambda leaf: _sibling(nn, leaf, layer, device, dtype))
    modules = list(root.modules())
    # Start from a mixed state, so a call that sets nothing cannot pass by luck.
    for module in modules:
        module.training = data.draw(st.booleans(), label="initial training flag")
    target = data.draw(st.sampled_from(modules), label="called on")
    call = data.draw(st.sampled_from(["train()", "train(True)", "train(False)", "eval()"]))
    note(f"{call} on {type(target).__name__} inside {root}")
    untouched = {id(m): m.training for m in modules if all(m is not s for s in target.modules())}
    mode = call not in ("train(False)", "eval()")
    returned = {
        "train()": target.train,
        "train(True)": lambda: target.train(True),
        "train(False)": lambda: target.train(False),
        "eval()": target.eval,
    }[call]()
    assert returned is target, f"{call} returned {returned!r}, not the module itself"
    wrong = [f"{type(m).__name__}" for m in target.modules() if m.training is not mode]
    assert not wrong, f"{call} left training != {mode} on submodules {wrong} of {target}"
    moved = [m for m in modules if id(m) in untouched and m.training != untouched[id(m)]]
    assert not moved, f"{call} on a submodule changed modules outside it: {moved}"


# ---- grad modes -------------------------------------------------------------------------


@given(data=st.data())
def test_modes_no_grad_and_inference_mode_agree(layer, device, dtype, path, nn, data):
    case = draw_case(data, layer, dtype, device, nn)
    base = build_case(nn, case)
    seed = data.draw(SEEDS, label="torch seed")
    outputs, buffers = {}, {}
    for name, context in (
        ("grad mode", torch.enable_grad),
        ("no_grad", torch.no_grad),
        ("inference_mode", torch.inference_mode),
    ):
        module = copy.deepcopy(base)  # training-mode calls update buffers: a fresh copy each
        x = to_torch(case.x, dtype, device, requires_grad=name == "grad mode")
        seed_torch(seed, device)  # the same dropout mask in every mode
        with context(), kernels_for(f"{layer.name} on {device} for {dtype}"):
            outputs[name] = to_numpy(module(x.clone(), *argument_tensors(case)))
        buffers[name] = module_buffers(module)
    for name in ("no_grad", "inference_mode"):
        assert_same_computation(
            outputs[name],
            outputs["grad mode"],
            f"output under {name}",
            case,
            base,
            one_graph=not path.graph_per_mode,
        )
        for buffer, value in buffers[name].items():
            assert_bitwise(value, buffers["grad mode"][buffer], f"{buffer} under {name}", case)


# ---- what train and eval compute --------------------------------------------------------


def _output(module: torch.nn.Module, case: Case, training: bool, seed: int) -> np.ndarray:
    module.train(training)
    seed_torch(seed, case.device)
    with kernels_for(f"{case.spec.name} on {case.device} for {case.dtype}"):
        return to_numpy(module(to_torch(case.x, case.dtype, case.device), *argument_tensors(case)))


@given(data=st.data())
def test_modes(layer, device, dtype, path, nn, data):
    case = draw_case(data, layer, dtype, device, nn, training=True)
    seed = data.draw(SEEDS, label="torch seed")
    mode = layer.mode
    base = build_case(nn, case)
    if mode.same_in_train_and_eval(case.hp):
        # Fresh copies: a training call may update buffers the eval call would read.
        y_train = _output(copy.deepcopy(base), case, True, seed)
        y_eval = _output(copy.deepcopy(base), case, False, seed)
        assert_same_computation(
            y_eval,
            y_train,
            "eval output vs train output",
            case,
            base,
            one_graph=not path.graph_per_mode,
        )
    cover(*(f"mode={mode}" for mode in MODE_CLASSES))
    for training in (True, False):
        module = copy.deepcopy(base).train(training)
        case.training = training
        x = to_torch(case.x, dtype, device)
        seed_torch(seed, device)
        before = inputs_for(case, module)
        y, probe_x, probe_y = run_with_probe(module, x, argument_tensors(case))
        randomness = layer.recover_randomness(probe_x, probe_y, case.hp, training)
        inputs = before.replace(randomness=randomness)
        what = f"{'train' if training else 'eval'} output"
        assert_matches_reference(
            to_numpy(y),
            layer.forward(inputs)[0],
            tolerance_bound(dtype, layer.forward_error(inputs)),
            what=what,
            case=case,
        )
        if training and mode.keep is not None:
            # A fresh x: an in-place layer has overwritten the one it was given.
            fresh = to_torch(case.x, dtype, device)
            _kept_exactly_scaled(case, fresh, to_numpy(y), mode.keep.probability(case.hp))
    if mode.keep is not None:
        _keep_rate(
            layer, case, nn, data.draw(st.integers(0, STAT_P_STEPS), label="rate step"), seed
        )
    if mode.buffers is not None:
        _buffer_updates(layer, case, base, data)


def _kept_exactly_scaled(case: Case, x: torch.Tensor, y: np.ndarray, q: float) -> None:
    """Every kept element is x / q as torch rounds it: x times 1 / q computed in the dtype
    (CPU, and CUDA in float32/64), or x times 1 / q in float32 rounded once (CUDA's fused
    kernel for half types). No tolerance: each is one exact rounding sequence."""
    if q == 0:
        return  # nothing is kept; the reference comparison demands zeros
    kept = y != 0
    scale = torch.ones((), dtype=x.dtype, device=x.device) / q
    by_dtype = to_numpy(x * scale)
    single = torch.tensor(1 / q, dtype=torch.float32, device=x.device)
    fused = to_numpy((x.float() * single).to(x.dtype))
    good = ~kept | (y == by_dtype) | (y == fused)
    if not good.all():
        raise violated(
            f"{case.describe()}: kept elements are not x / {q!r}: y={y[~good][:3]}, "
            f"x={case.x[~good][:3]}, x / q={by_dtype[~good][:3]}",
            case,
        )


# The keep-rate test draws its own keep probability q in [STAT_Q_MIN, STAT_Q_MAX] on a
# grid of STAT_P_STEPS (so the sample-size search is cached): at q = 0.1 it needs about
# 60,000 elements (a few ms of torch); q -> 0 would need unbounded samples, and q = 0
# and 1 are exact cases the reference comparison above covers.
STAT_Q_MIN, STAT_Q_MAX, STAT_P_STEPS = 0.1, 0.99, 100


def _keep_rate(layer, case: Case, nn, step: int, seed: int) -> None:
    """The kept fraction of an all-ones input is the law's keep probability (binomial test)."""
    q = round(STAT_Q_MIN + (STAT_Q_MAX - STAT_Q_MIN) * step / STAT_P_STEPS, 6)
    n = keep_samples_needed(q)
    hp = layer.mode.keep.with_probability(case.hp, q)
    module = build(nn, layer, hp, case.device, case.dtype).train()
    seed_torch(seed, case.device)
    ones = torch.ones(n, dtype=torch_dtype(case.dtype), device=case.device)
    with kernels_for(f"{layer.name} on {case.device} for {case.dtype}"):
        kept = int(np.count_nonzero(to_numpy(module(ones))))
    check_keep_rate(kept, n, q, f"{layer.name}(**{hp})")


# ---- running buffers --------------------------------------------------------------------

MAX_STEPS = 4  # training steps per example: a cumulative average needs a few


def _buffer_updates(layer, case: Case, module: torch.nn.Module, data: st.DataObject) -> None:
    """Training steps update the buffers as the reference does; a final eval step does not."""
    steps = data.draw(st.integers(1, MAX_STEPS), label="training steps")
    for step in range(steps + 1):
        training = step < steps
        if step == 0:
            x, arguments = case.x, case.arguments
        else:
            shape = data.draw(layer.input_shape(case.hp), label=f"shape {step}")
            drawn = draw_input(data, layer, case.hp, shape, layer.max_magnitude, f"x{step}")
            x = as_received(drawn, case.dtype)
            if layer.arguments is not None:
                more = data.draw(layer.arguments(case.hp, shape, {}), label=f"arguments {step}")
                arguments = tuple(as_received(a, case.dtype) for a in more.values)
        step_case = copy.copy(case)
        step_case.x, step_case.input_shape, step_case.training = x, x.shape, training
        step_case.arguments = arguments
        step_case.extra = {}
        carve_out(Check.VALUES, step_case.where())
        module.train(training)
        inputs = inputs_for(step_case, module)
        step_case.buffers = dict(inputs.buffers)
        with kernels_for(f"{layer.name} on {case.device} for {case.dtype}"):
            y = to_numpy(module(to_torch(x, case.dtype, case.device), *argument_tensors(step_case)))
        after = module_buffers(module)
        what = f"step {step} ({'train' if training else 'eval'})"
        expected_y, expected_buffers = layer.forward(inputs)
        assert_matches_reference(
            y,
            expected_y,
            tolerance_bound(case.dtype, layer.forward_error(inputs)),
            what=f"{what} output",
            case=step_case,
        )
        if set(after) != set(expected_buffers) and training:
            raise violated(f"{what}: buffers {sorted(after)}, law {sorted(expected_buffers)}")
        if not training:
            for name, value in after.items():
                assert_bitwise(
                    value, inputs.buffers[name], f"{what} {name} (eval: no update)", case
                )
            continue
        errors = layer.mode.buffers.error(inputs) if after else {}
        for name, value in after.items():
            if value.dtype.kind == "i":
                assert_bitwise(value, expected_buffers[name], f"{what} {name}", step_case)
                continue
            assert_matches_reference(
                value,
                expected_buffers[name],
                tolerance_bound(case.dtype, errors[name]),
                what=f"{what} {name}",
                case=step_case,
            )
