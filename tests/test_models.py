"""models: the chapter's containers and networks hold the layers, parameters
and names the law says, and compute the composition of the reference ops, judged op by op
on the values torch fed each (tests/model_checks.py says why not end to end).
"""

from types import SimpleNamespace

from hypothesis import given, note, strategies as st

from spec.models import model_param_count, named_parameter_shapes, stage_param_count
from spec.values import arrays
from tests.cases import kernels_for
from tests.model_checks import forward_and_gradients_follow_the_reference, run_with_hooks
from tests.models import build_model
from tests.paths import Need
from tests.tensors import as_received, to_torch, torch_dtype

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

    def backward(y):
        grad_y = as_received(data.draw(arrays(tuple(y.shape), GRAD_MAGNITUDE, "grad_y")), dtype)
        y.backward(to_torch(grad_y, dtype, device))

    with kernels_for(f"{model_spec.name} on {device} for {dtype}"):
        x = to_torch(x_values, dtype, device, True)
        trace = run_with_hooks(model, stages, x, backward)
    context = SimpleNamespace(
        model=model_spec.name,
        dtype=dtype,
        device=device,
        training=training,
        impl=nn.__name__,
    )
    forward_and_gradients_follow_the_reference(model, stages, trace, context)


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
