"""Judging a composed model op by op, through hooks: what tests/test_models.py and
tests/test_training_steps.py share.

Tolerance of a composed model: compared op by op, not end to end. Hooks record the value
torch fed each child and what the child returned (and the gradients at both), and the
reference recomputes each op from the very values torch fed it. Each comparison then
carries one op's derived tolerance from spec/tolerances.py; an end-to-end bound would
have to propagate errors through every later op (tanh, conv, pooling) and could only be
loose. The composition itself is checked by the runs between children: the value a child
receives is the reference of the functions between (tanh, view: within their tolerance;
nothing between: bitwise the previous child's output), from the model input to its output.
"""

from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import torch
from hypothesis import note

from report.interface import cover
from spec.inputs import Inputs
from spec.models import Stage
from tests.assertions import assert_matches_reference, tolerance_bound
from tests.cases import Case
from tests.known_failures import Check, Where, known_failure
from tests.tensors import to_numpy

# ---- hooks ------------------------------------------------------------------------------


def run_with_hooks(
    model: torch.nn.Module,
    stages: tuple[Stage, ...],
    x: torch.Tensor,
    backward: Callable[[torch.Tensor], None],
) -> dict:
    """model(x), then `backward(output)`, recording each child's input and output and the
    gradients at both, and the gradient that reached the model's output."""
    captured: dict = {}

    def recorder(path):
        def hook(module, inputs, output):
            entry = captured[path] = {"x": inputs[0], "y": output}
            inputs[0].register_hook(lambda g: entry.__setitem__("gx", g))
            output.register_hook(lambda g: entry.__setitem__("gy", g))

        return hook

    handles = [
        model.get_submodule(s.child).register_forward_hook(recorder(s.child))
        for s in stages
        if s.child is not None
    ]
    y = model(x)
    reached: dict = {}
    y.register_hook(lambda g: reached.__setitem__("g", g))
    backward(y)
    for handle in handles:
        handle.remove()
    return {"input": (x, x.grad), "output": (y, reached.get("g")), "children": captured}


# ---- forward and gradients, op by op ----------------------------------------------------


def _case(stage, x, params, context):
    """A one-op Case, so a failure prints a repro of that op alone on the value torch fed it."""
    # An empty run between two children is the identity.
    return Case(
        SimpleNamespace(name="Identity") if stage is None else stage.spec,
        {} if stage is None else dict(stage.hp),
        tuple(x.shape),
        context.training,
        x,
        params,
        None,
        context.dtype,
        context.device,
        context.impl,
    )


def _exact_or(error):
    """A spec's error scale, or None where it is zero throughout: the op only moves or
    selects values (a view, ReLU, Dropout in eval), and a model demands it bitwise."""
    return None if not np.any(error[0]) else error


def _bound(dtype, error, like):
    """The allowed error for an op's (scale, K); None means the op is exact: bitwise."""
    return np.zeros(like.shape) if error is None else tolerance_bound(dtype, error)


def _exact_if_none(bound, like):
    return np.zeros(like.shape) if bound is None else bound


def _check(actual, expected, bound, what, case, context, grad_y=None):
    assert_matches_reference(
        actual,
        expected,
        bound,
        what=f"{context.model}: {what}",
        case=case,
        grad_y=grad_y,
    )


def forward_and_gradients_follow_the_reference(
    model: torch.nn.Module, stages: tuple[Stage, ...], trace: dict, context: SimpleNamespace
) -> None:
    """Every child's output and gradients, and every run of functions between children,
    against the references, each on the very values torch fed it (module docstring).

    `context` names the model, dtype, device, mode and implementation for messages."""
    anchor, anchor_name, between = trace["input"], "model input", []
    for stage in stages:
        if stage.child is None:
            between.append(stage)
            continue
        entry = trace["children"][stage.child]
        _check_run(
            between, anchor, (entry["x"], entry.get("gx")), anchor_name, stage.child, context
        )
        _check_child(model, stage, entry, context)
        anchor, anchor_name, between = (entry["y"], entry.get("gy")), stage.child, []
    _check_run(between, anchor, trace["output"], anchor_name, "model output", context)


def _check_run(run, start, end, start_name, end_name, context):
    """The functions forward() applies between two children (often none) map start to end."""
    where = f"from {start_name} to {end_name}"
    value = to_numpy(start[0])
    inputs, bound = [], None
    for stage in run:
        spec = stage.spec
        call = Inputs(value, stage.arguments, training=context.training)
        error = _exact_or(spec.forward_error(call))
        inputs.append(value)
        if error is not None:
            # A run holds at most one inexact function; the rest relabel (view), so the
            # bound travels through them unchanged in value.
            assert bound is None, f"{where}: two inexact functions in one run"
            bound = tolerance_bound(context.dtype, error)
        elif bound is not None:
            bound = spec.forward(call.replace(x=bound))[0]
        value = spec.forward(call)[0]
    case = _case(run[0] if run else None, inputs[0] if run else value, {}, context)
    actual = to_numpy(end[0])
    _check(actual, value, _exact_if_none(bound, actual), f"value {where}", case, context)

    assert start[1] is not None and end[1] is not None, f"{where}: a gradient never arrived"
    grad = to_numpy(end[1])
    bound = None
    for stage, x in zip(reversed(run), reversed(inputs), strict=True):
        spec = stage.spec
        call = Inputs(x, stage.arguments, training=context.training, grad_y=grad)
        error = _exact_or(spec.vjp_error(call)["input"])
        if error is not None:
            bound = tolerance_bound(context.dtype, error)
        elif bound is not None:
            bound = spec.vjp(call.with_grad(bound))["input"]
        grad = spec.vjp(call)["input"]
    actual = to_numpy(start[1])
    _check(actual, grad, _exact_if_none(bound, actual), f"gradient {where}", case, context)


def _check_child(model, stage, entry, context):
    spec, module = stage.spec, model.get_submodule(stage.child)
    x, y = to_numpy(entry["x"]), to_numpy(entry["y"])
    params = {name: to_numpy(p) for name, p in module.named_parameters()}
    call = Inputs(x, stage.arguments, params, training=context.training)
    # A layer that keeps elements at random: its mask is read off torch's values.
    random = spec.mode.keep is not None
    if random and context.training:
        # Where x == 0 the output cannot tell kept from dropped; the gradient can.
        call = call.replace(randomness=(y != 0) | (x == 0))
    case = _case(stage, x, params, context)
    expected = spec.forward(call)[0]
    bound = _bound(context.dtype, _exact_or(spec.forward_error(call)), y)
    _check(y, expected, bound, f"{stage.child} output", case, context)

    grad_y, grad_x = to_numpy(entry["gy"]), to_numpy(entry["gx"])
    if random and context.training:
        call = call.replace(randomness=np.where(x != 0, y != 0, grad_x != 0))
    call = call.with_grad(grad_y)
    expected = spec.vjp(call)
    scales = spec.vjp_error(call)
    actual = {"input": grad_x} | {name: to_numpy(p.grad) for name, p in module.named_parameters()}
    assert set(actual) == set(expected), f"{stage.child}: gradients {sorted(actual)}"
    for name, reference in expected.items():
        if name == "input" and _input_gradient_known_to_fail(stage, call, context):
            continue
        bound = _bound(context.dtype, _exact_or(scales[name]), reference)
        _check(actual[name], reference, bound, f"{stage.child} d/d{name}", case, context, grad_y)


def _input_gradient_known_to_fail(stage: Stage, call: Inputs, context: SimpleNamespace) -> bool:
    """Whether a known torch failure covers the gradient this child passes back, given the
    gradient that reached it and the child's parameters. Only that comparison is left out:
    each other is judged on the values torch held, so nothing downstream inherits it."""
    where = Where(
        stage.layer, context.dtype, context.device, dict(stage.hp), context.training,
        x=call.x, grad_y=call.g, params=call.params,
    )  # fmt: skip
    known = known_failure(Check.GRADIENTS, where)
    if known is None:
        return False
    note(f"{context.model}: {stage.child} d/dinput not judged: known torch failure {known.id}")
    cover(f"known torch failure={known.id}")
    return True
