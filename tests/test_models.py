"""models: the chapter's containers and networks hold the layers, parameters
and names the law says, and compute the composition of the reference ops.

Tolerance of a composed model: compared op by op, not end to end. Hooks record the value
torch fed each child and what the child returned (and the gradients at both), and the
reference recomputes each op from the very values torch fed it. Each comparison then
carries one op's derived tolerance from spec/tolerances.py; an end-to-end bound would
have to propagate errors through every later op (tanh, conv, pooling) and could only be
loose. The composition itself is checked by the runs between children: the value a child
receives is the reference of the functions between (tanh, view: within their tolerance;
nothing between: bitwise the previous child's output), from the model input to its output.
"""

from types import SimpleNamespace

import numpy as np
from hypothesis import given, note, strategies as st

from spec.inputs import Inputs
from spec.models import model_param_count, named_parameter_shapes, stage_param_count
from spec.values import arrays
from tests.assertions import assert_matches_reference, tolerance_bound
from tests.cases import Case, kernels_for
from tests.models import build_model
from tests.paths import Need
from tests.tensors import as_received, to_numpy, to_torch, torch_dtype

# Models are built outside the harness (tests/models.py) and read through hooks.
NEEDS = frozenset({Need.UNCHANGED_MODULE})

# grad_y values reach |10|, as in the gradient property.
GRAD_MAGNITUDE = 10.0


@given(data=st.data())
def test_models(model, device, dtype, path, nn, data):
    model_spec = model
    config = data.draw(model_spec.config(), label="config")
    stages = model_spec.stages(config)
    model = build_model(nn, model_spec, config).to(device=device, dtype=torch_dtype(dtype))
    training = data.draw(st.booleans(), label="training")
    assert model.train(training) is model
    note(f"{model_spec.name}({config}) training={training}")

    _parameters_follow_the_law(model, stages, model_spec.name)
    CONTAINER_LAWS[model_spec.container](nn, model, stages, config, data)

    shape = data.draw(model_spec.input_shape(config), label="input_shape")
    x_values = as_received(data.draw(arrays(shape, model_spec.max_magnitude, "x")), dtype)
    with kernels_for(f"{model_spec.name} on {device} for {dtype}"):
        x = to_torch(x_values, dtype, device, True)
        trace = _run_with_hooks(model, stages, x, dtype, data)
    context = SimpleNamespace(
        model=model_spec.name,
        dtype=dtype,
        device=device,
        training=training,
        impl=nn.__name__,
    )
    _forward_and_gradients_follow_the_reference(model, stages, trace, context)


# ---- parameters and children -------------------------------------------------------------


def _parameters_follow_the_law(model, stages, name):
    law = named_parameter_shapes(stages)
    listed = {n: tuple(p.shape) for n, p in model.named_parameters()}
    # Names, shapes and order, as named_parameters() prints them.
    assert list(listed.items()) == list(law.items()), (
        f"{name}: named_parameters {listed}, law {law}"
    )
    total = sum(p.numel() for p in model.parameters())
    assert total == model_param_count(stages), (
        f"{name}: {total} parameters, law {model_param_count(stages)}"
    )
    leaves = [n for n, m in model.named_modules() if not list(m.children()) and n]
    children = [s.child for s in stages if s.child is not None]
    assert leaves == children, f"{name}: leaf modules {leaves}, law {children}"
    for stage in stages:
        if stage.child is None:
            continue
        module = model.get_submodule(stage.child)
        assert type(module).__name__ == stage.layer, f"{name}.{stage.child} is {module}"
        count = sum(p.numel() for p in module.parameters())
        assert count == stage_param_count(stage), (
            f"{name}.{stage.child}: {count} parameters, law {stage_param_count(stage)}"
        )


def _custom_module_laws(nn, model, stages, config, data):
    # Assigning a module to an attribute registers it, in assignment order.
    assert isinstance(model, nn.Module)
    named = [n for n, _ in model.named_children()]
    top = list(dict.fromkeys(s.child.split(".")[0] for s in stages if s.child is not None))
    assert named == top, f"children {named}, assigned {top}"


def _sequential_laws(nn, model, stages, config, data):
    names = [s.child for s in stages]
    children = list(model)  # iteration order
    assert isinstance(model, nn.Sequential)
    assert len(model) == len(stages)
    assert [n for n, _ in model.named_children()] == names
    for i, name in enumerate(names):
        # model.fc1 is model[0], and iteration yields the same objects in order.
        assert getattr(model, name) is model[i] is children[i], f"model.{name} is not model[{i}]"
        assert model[i - len(names)] is model[i]
    start = data.draw(st.integers(-len(names), len(names)), label="slice start")
    stop = data.draw(st.integers(-len(names), len(names)), label="slice stop")
    step = data.draw(st.sampled_from([None, 1, 2]), label="slice step")
    part = model[start:stop:step]
    assert isinstance(part, nn.Sequential), f"model[{start}:{stop}:{step}] is {type(part)}"
    assert list(part) == children[start:stop:step]
    # Slicing keeps the names (an OrderedDict slice).
    assert [n for n, _ in part.named_children()] == names[start:stop:step]


def _module_list_laws(nn, model, stages, config, data):
    layers = model.layers
    assert isinstance(layers, nn.ModuleList)
    children = list(layers)
    assert len(layers) == len(stages)
    for i in range(len(children)):
        assert layers[i] is children[i] is model.get_submodule(f"layers.{i}")
        assert layers[i - len(children)] is layers[i]
    # The same calls again on a fresh list: length, order and indexing after each one.
    fresh, start = nn.ModuleList(), 0
    for size in config["chunks"]:
        if size == 0:
            fresh.append(children[start])
            start += 1
        else:
            fresh.extend(children[start : start + size])
            start += size
        assert len(fresh) == start
        assert list(fresh) == children[:start]
        assert fresh[-1] is children[start - 1]
    # A ModuleList registers its modules' parameters; a plain Python list registers none.
    law = model_param_count(stages)
    assert sum(p.numel() for p in fresh.parameters()) == law
    holder = nn.Module()
    holder.plain = children
    assert list(holder.parameters()) == []


CONTAINER_LAWS = {
    "module": _custom_module_laws,
    "sequential": _sequential_laws,
    "module_list": _module_list_laws,
}


# ---- hooks ------------------------------------------------------------------------------


def _run_with_hooks(model, stages, x, dtype, data):
    """Forward and backward, recording each child's input, output and their gradients."""
    captured = {}

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
    grad_y = as_received(data.draw(arrays(tuple(y.shape), GRAD_MAGNITUDE, "grad_y")), dtype)
    y.backward(to_torch(grad_y, dtype, str(x.device)))
    for handle in handles:
        handle.remove()
    return {"input": (x, x.grad), "output": (y, y.new_tensor(grad_y)), "children": captured}


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


def _forward_and_gradients_follow_the_reference(model, stages, trace, context):
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
        bound = _bound(context.dtype, _exact_or(scales[name]), reference)
        _check(actual[name], reference, bound, f"{stage.child} d/d{name}", case, context, grad_y)
