"""exact: on inputs whose answer every correct algorithm gives exactly, torch gives exactly that.

Each layer's exact cases (spec/exact.py, declared in its spec with the reason they are
exact) are drawn in turn: small-integer inputs of linear ops, constant rows of
normalisations, equal logits, zeros; the quantities a case names must equal the
reference bit for bit, in every dtype. A symmetry compares two of torch's own results.
"""

import dataclasses

import numpy as np
import torch
from hypothesis import given, note, strategies as st

from report.interface import cover, not_run
from spec.exact import Sweep, Symmetry, integer_values
from tests import corners, flight_recorder
from tests.assertions import assert_bitwise, violated
from tests.cases import (
    Case,
    argument_tensors,
    arguments_missing,
    build_case,
    in_release,
    kernels_for,
)
from tests.checks import check_forward, check_gradients
from tests.known_failures import Check, Where, carve_out_quantities, covering
from tests.layouts import CHANNELS_LAST, CONTIGUOUS, arrange, layouts_for
from tests.paths import Need
from tests.plugin.profiles import PROFILE_EXAMPLES, run_examples
from tests.repro import crash_snippet
from tests.tensors import as_received, module_buffers, to_numpy, to_torch

# Each exact case draws its own configurations; the corner pass runs every case once,
# so that no case goes undrawn in a run (tests/corners.py: exact_corners).
CORNERS = "exact cases"
# Nothing the paths must provide: where a path has autograd the gradients are judged
# too; where it runs eval alone (inference runtimes), a case that needs training mode is
# left out, and the output alone is judged.
NEEDS: frozenset = frozenset()


def _rounded(values: dict, dtype: str) -> dict:
    return {k: v if v.dtype.kind == "i" else as_received(v, dtype) for k, v in values.items()}


def _case(layer, hp, inputs, dtype, device, nn) -> Case:
    case = Case(
        spec=layer,
        hp=dict(hp),
        input_shape=tuple(inputs.x.shape),
        training=inputs.training,
        x=as_received(inputs.x, dtype),
        params=_rounded(dict(inputs.params), dtype),
        buffers=_rounded(dict(inputs.buffers), dtype) if inputs.buffers else None,
        dtype=dtype,
        device=device,
        impl=nn.__name__,
    )
    case.arguments = tuple(as_received(a, dtype) for a in inputs.arguments)
    return case


@given(data=st.data())
def test_exact(layer, device, dtype, path, nn, data):
    if not layer.exact:
        not_run("not-applicable", f"{layer.name} declares no exact case")
    device_type = device.partition(":")[0]
    claims = [
        c for c in layer.exact if getattr(c, "devices", None) in (None,) or device_type in c.devices
    ]
    corner = corners.forced.get()
    if corner is not None:
        claims = [c for c in claims if c.name == corner["exact case"]]
        if not claims:
            corners.leave_out(f"{corner['exact case']} does not cover {device_type}")
    if not claims:
        not_run("not-applicable", f"{layer.name}'s exact cases do not cover {device_type}")
    claims = runnable_claims(claims, path)
    if corner is None:
        # A sweep is a run's worth of configurations in one example: it runs once a run,
        # as its corner, not again in every random example that draws it.
        claims = [c for c in claims if not isinstance(c, Sweep)]
    if corner is not None and not claims:
        corners.leave_out(f"{corner['exact case']} cannot be judged on {path.name}")
    if not claims:
        not_run("not-applicable", f"{layer.name}'s exact cases need what {path.name} lacks")
    claim = data.draw(st.sampled_from(claims), label="exact case")
    if isinstance(claim, Sweep):
        cover(f"exact={claim.name}")
        _sweep(claim, layer, device, dtype, nn, data)
        return
    hp = data.draw(
        claim.hyperparams(layer) if claim.hyperparams else layer.hyperparams(), label="hp"
    )
    in_release(nn, layer, hp)
    inputs = data.draw(
        claim.inputs(corners.drawing_inside(layer, corner), hp, dtype), label="inputs"
    )
    missed = corners.outside(layer, corner, hp, tuple(inputs.x.shape))
    if missed:
        corners.leave_out(f"{claim.name} drew no input in {missed}")
    provides = path.provides
    if inputs.training and Need.TRAIN_MODE not in provides:
        # A case exact in either mode drew training (runnable_claims dropped those fixed to
        # train mode): it is judged in eval, which this path runs. Leaving it out lost the
        # corner of such a case one run in two on the inference paths: compile:openvino's
        # float16 LayerNorm eps bug, held by "constant rows, tiny eps", was found at 3
        # seeds of 5.
        inputs = inputs.replace(training=False)
        note(f"training=False: {path.name} runs eval only")
    case = _case(layer, hp, inputs, dtype, device, nn)
    # A known failure that breaks some quantities of the case leaves the others judged.
    where = case.where()
    unjudged = carve_out_quantities(Check.VALUES, where) | carve_out_quantities(Check.EXACT, where)
    # A wrong backward that depends on the gradient reaching the output and the weights
    # (float16 columns of W^T g) is known only with them.
    with_gradient = dataclasses.replace(
        where, grad_y=as_received(inputs.g, dtype), params=case.params
    )
    unjudged |= carve_out_quantities(Check.GRADIENTS, with_gradient)
    note(f"{claim.name}: {case.describe()}")
    if unjudged:
        note(f"not judged (known failures): {sorted(unjudged)}")
    cover(f"exact={claim.name}")
    grad_y = as_received(inputs.g, dtype)
    if isinstance(claim, Symmetry):
        _symmetric(claim, case, nn, grad_y, Need.AUTOGRAD in provides)
        return
    module = build_case(nn, case)
    if Need.AUTOGRAD not in provides:
        x = to_torch(case.x, dtype, device)
        check_forward(case, module, x, frozenset(claim.exact), None, unjudged)
        return
    x = to_torch(case.x, dtype, device, requires_grad=True)
    exact = frozenset(claim.exact)
    grad_y_tensor = to_torch(grad_y, dtype, device)
    check_gradients(case, module, x, x.clone(), grad_y, grad_y_tensor, exact, unjudged)
    if "buffers" in exact and "buffers" not in unjudged:
        expected = layer.forward(case.extra["inputs"])[1]
        for name, value in module_buffers(module).items():
            assert_bitwise(value, expected[name], f"{name} after the call", case)


def runnable_claims(claims: list, path) -> list:
    """The claims a path can judge: a case exact only in train mode needs a path that
    runs it; without autograd, only cases that name the output (a symmetry always does)."""
    if Need.TRAIN_MODE not in path.provides:
        claims = [c for c in claims if getattr(c, "training", None) is not True]
    if Need.AUTOGRAD not in path.provides:
        claims = [c for c in claims if isinstance(c, Symmetry) or "output" in c.exact]
    if path.transforms:
        # A sweep builds hundreds of modules an example: hundreds of compiles or exports.
        claims = [c for c in claims if not isinstance(c, Sweep)]
    return claims


# What a sweep's configuration must not meet: a recorded crash, wrong values or a wrong
# backward. An entry that names the quantities it breaks leaves only those unjudged (a
# weight gradient never written must not hide a crash of the same call); any other leaves
# the configuration out in that layout, and the sweep goes on.
SWEEP_CHECKS = (Check.SURVIVES, Check.VALUES, Check.EXACT, Check.GRADIENTS)
# The layouts kernels compute in: a strided input is copied into one of them first (the
# layouts property judges it), so a sweep spends its calls on these two.
SWEEP_LAYOUTS = (CONTIGUOUS, CHANNELS_LAST)


def sweep_leaves_unjudged(where: Where) -> frozenset[str] | None:
    """The quantities a sweep leaves unjudged for `where`, or None where the known failures
    leave the configuration out in that layout."""
    found = [known for check in SWEEP_CHECKS for known in covering(check, where)]
    if any(not known.quantities for known in found):
        return None
    return frozenset(quantity for known in found for quantity in known.quantities)


def _sweep(claim: Sweep, layer, device: str, dtype: str, nn, data) -> None:
    """Judge `claim.count` configurations, each in the SWEEP_LAYOUTS its input can take,
    on small integers: the output and every gradient bit for bit."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="sweep seed"))
    judged, left_out = 0, 0
    for index in range(sweep_count(claim)):
        hp, shape = claim.configuration(rng)
        inputs = integer_values(layer, hp, shape, dtype, rng)
        if arguments_missing(nn, layer, hp):
            left_out += 1
            continue
        case = _case(layer, hp, inputs, dtype, device, nn)
        grad_y = as_received(inputs.g, dtype)
        unjudged = {}
        for layout in [name for name in layouts_for(len(shape)) if name in SWEEP_LAYOUTS]:
            where = case.where(layout)
            where = dataclasses.replace(
                where, grad_layout=layout, grad_y=grad_y, params=case.params
            )
            skipped = sweep_leaves_unjudged(where)
            if skipped is None:
                left_out += 1
            else:
                unjudged[layout] = skipped
        if not unjudged:
            continue
        # One reference for every layout: the values are the same, only the strides differ.
        reference = inputs.replace(x=case.x, params=case.params)
        expected = {"output": layer.forward(reference)[0], **layer.vjp(reference)}
        wanted = _exact_quantities(claim.exact, case.params)
        for layout, skipped in unjudged.items():
            case.extra["layout"] = case.extra["grad_layout"] = layout
            try:
                _judge_in_layout(nn, case, layout, grad_y, expected, wanted - skipped)
            except BaseException:
                note(f"sweep configuration {index}, {layout} input and grad_output")
                raise
            judged += 1
    note(f"{claim.name}: {judged} judged, {left_out} left out")
    if not judged:
        corners.leave_out(f"{claim.name}: every configuration was left out")


# A sweep's count is its configurations at `ci`; a profile with another example budget
# scales it (a `thorough` run sweeps ten times as many, a `corners` run the floor).
SWEEP_FLOOR = 100


def sweep_count(claim: Sweep) -> int:
    """The configurations a sweep judges under the loaded profile."""
    budget = run_examples() / PROFILE_EXAMPLES["ci"]
    return max(SWEEP_FLOOR, round(claim.count * budget))


def _exact_quantities(exact: tuple[str, ...], params: dict) -> frozenset[str]:
    """The quantities a claim names, "parameters" spelled out as the parameters' names."""
    named = set(exact) - {"parameters"}
    return frozenset(named | (set(params) if "parameters" in exact else set()))


def _judge_in_layout(
    nn, case: Case, layout: str, grad_y: np.ndarray, expected: dict, wanted: frozenset
) -> None:
    """One configuration in one layout, forward and backward, against references computed
    once: cheaper than check_gradients' tolerance machinery, which exact values need not."""
    flight_recorder.record(case.describe(), crash_snippet(case))
    module = build_case(nn, case)
    if layout == CHANNELS_LAST:
        module = module.to(memory_format=torch.channels_last)
    x = to_torch(case.x, case.dtype, case.device, requires_grad=True)
    # SWEEP_LAYOUTS has no strided layout, so no dimension to stride: 0 is never read.
    grad = arrange(to_torch(grad_y, case.dtype, case.device), layout, 0)
    with kernels_for(f"{case.spec.name} on {case.device} for {case.dtype}"):
        y = module(arrange(x * 1, layout, 0))
        y.backward(grad)
    actual = {"output": y, "input": x.grad, **dict(module.named_parameters())}
    for name in sorted(wanted & set(expected)):
        value = actual[name] if name in ("output", "input") else actual[name].grad
        if value is None:
            raise violated(f"{case.describe()}: no gradient reached {name} ({layout})", case)
        assert_bitwise(to_numpy(value), expected[name], f"{name} ({layout} layout)", case)


def _run(
    nn, case: Case, x: np.ndarray, grad_y: np.ndarray, backward: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    module = build_case(nn, case)
    x_leaf = to_torch(x, case.dtype, case.device, requires_grad=backward)
    with kernels_for(f"{case.spec.name} on {case.device} for {case.dtype}"):
        y = module(x_leaf.clone(), *argument_tensors(case))
        if not backward:
            return to_numpy(y), None
        y.backward(to_torch(grad_y, case.dtype, case.device))
    return to_numpy(y), to_numpy(x_leaf.grad)


def _symmetric(claim: Symmetry, case: Case, nn, grad_y: np.ndarray, backward: bool) -> None:
    y, grad = _run(nn, case, case.x, grad_y, backward)
    mirrored_x = claim.transform_x(case.x)
    y_m, grad_m = _run(nn, case, mirrored_x, grad_y, backward)
    # Bitwise, signed zeros included: -0.0 and 0.0 are different answers here.
    _same_bits(y_m, claim.transform_y(y), f"output at the mirrored input ({claim.name})", case)
    if backward and claim.transform_grad is not None:
        # Values, not bits: a zero gradient's sign says nothing about the derivative.
        what = f"input gradient at the mirrored input ({claim.name})"
        assert_bitwise(grad_m, claim.transform_grad(grad), what, case)


def _same_bits(actual: np.ndarray, expected: np.ndarray, what: str, case: Case) -> None:
    as_bits = torch.from_numpy(np.ascontiguousarray(actual)).view(torch.int64).numpy()
    expected_bits = torch.from_numpy(np.ascontiguousarray(expected)).view(torch.int64).numpy()
    assert_bitwise(as_bits, expected_bits, what, case)
