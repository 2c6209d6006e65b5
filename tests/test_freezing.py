"""freezing: requires_grad=False parameters get no gradient and never move.

For a drawn subset of a layer's (or a chapter model's) parameters frozen through a drawn
public API (the chapter's `p.requires_grad = False` loop, `p.requires_grad_(False)`, or
`requires_grad_(False)` on the module or any submodule, which must recurse):
- the trainable count sum(p.numel() for p if p.requires_grad) is the closed form;
- after forward/backward every frozen .grad is None, every trainable one is a gradient;
- through STEPS optimizer steps (SGD with momentum and weight decay, Adam, AdamW) the
  frozen parameters stay bitwise unchanged and every element of every trainable one moves;
- unfrozen again, gradients reach all of them and one step moves them all.

"Every element moves" must not depend on luck: a correct layer can give an element an
exactly zero gradient (a Conv2d tap that only ever sees padding, a dropped unit, a
LayerNorm over one element), and an update below half an ulp of the parameter is
rounded away. So weight decay does the moving, and the gradient is kept from undoing it:
- every parameter is set to |p| in [P_MIN, P_MAX] with a random sign;
- before each step the gradients are scaled (one factor for all, as scaling the loss
  would) so that max |g| = wd * P_MIN / GRAD_SHARE. With GRAD_SHARE = 16 and at most
  STEPS = 3 steps of size <= lr * 1.2 (Adam) or lr * wd * 1.75 (SGD, momentum <= 0.5),
  |p| stays above 0.15 > P_MIN / 8, so |g| < wd * |p| / 4 at every step;
- SGD: the step lr * (g + wd p) (+ momentum of same-signed terms) points towards zero and
  is >= lr * wd * (|p| - P_MIN/16) >= 0.05 * 0.2 * 0.47 = 4.7e-3 at the first step, more
  than half an ulp of |p| <= 1 in bfloat16 (2^-9 ~ 2.0e-3). Adam (coupled decay): its
  gradient g + wd p keeps the sign of p, so every step goes towards zero, the first by
  ~lr. AdamW (decoupled decay) with eps = 1: the adaptive part |m/(sqrt(v) + 1)| <= max |g|
  < wd |p| / 4, so the decay term dominates as in SGD.
Each step then moves every element towards zero or (rounded) not at all, never back, and
the first step moves it: the final value differs from the first, with certainty.
A forward that rewrites parameters breaks the bound on |p|: Embedding's max_norm renorms
a row to norm 0.5 or less, and three Adam steps then take elements near 0.01, where a
gradient of wd * P_MIN / 16 cancels the decay and a bfloat16 step rounds away (CI seed
1430727501). So the gradients are scaled against the smallest nonzero |p| of the step
instead (at most P_MIN): |g| <= wd * |p| / GRAD_SHARE for every element, every step.
"""

import copy
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, note, strategies as st

from spec.models import LENET5_NUM_CLASSES, model_named, named_parameter_shapes
from spec.registry import LAYERS
from tests.cases import build, draw_configuration, draw_input, kernels_for
from tests.known_failures import Check, Where, carve_out
from tests.models import build_model
from tests.paths import Need
from tests.tensors import bits, seed_torch, to_torch, torch_dtype

# The chapter's models are built outside the harness, so they run as built.
NEEDS = frozenset({Need.UNCHANGED_MODULE})

# Layers with parameters: those that declare an init law for them.
SPECS = tuple(spec for spec in LAYERS if spec.has_parameters)

SEEDS = st.integers(0, 2**32 - 1)
OPTIMIZERS = ("SGD", "Adam", "AdamW")
STEPS = 3
P_MIN, P_MAX = 0.5, 1.0
GRAD_SHARE = 16
LEARNING_RATES = st.floats(0.05, 0.1)
WEIGHT_DECAYS = st.floats(0.2, 0.4)
MOMENTA = st.floats(0.0, 0.5)
# AdamW's eps: large enough that its adaptive step is bounded by the gradient itself.
ADAMW_EPS = 1.0

# The chapter: LeNet5 has 61,706 parameters; c1 holds 6*1*5*5 + 6 = 156, c3 16*6*5*5 + 16.
LENET5_PARAMETERS = 61_706
LENET5_FROZEN = {"c1": 156, "c3": 2_416}


@st.composite
def recipes(draw: st.DrawFn) -> dict:
    """An optimizer and its hyperparameters, inside the ranges the argument above needs."""
    name = draw(st.sampled_from(OPTIMIZERS), label="optimizer")
    recipe = {
        "name": name,
        "lr": draw(LEARNING_RATES, label="lr"),
        "weight_decay": draw(WEIGHT_DECAYS, label="weight_decay"),
    }
    if name == "SGD":
        recipe["momentum"] = draw(MOMENTA, label="momentum")
        recipe["nesterov"] = recipe["momentum"] > 0 and draw(st.booleans(), label="nesterov")
    if name == "AdamW":
        recipe["eps"] = ADAMW_EPS
    return recipe


def make_optimizer(recipe: dict, params: list) -> torch.optim.Optimizer:
    kwargs = {k: v for k, v in recipe.items() if k not in ("name", "trainable_only")}
    return getattr(torch.optim, recipe["name"])(params, **kwargs)


def set_values(module: torch.nn.Module, seed: int) -> None:
    """Every parameter element to +-U(P_MIN, P_MAX): away from zero, within one binade."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in module.parameters():
            values = rng.uniform(P_MIN, P_MAX, p.shape) * rng.choice([-1.0, 1.0], p.shape)
            p.copy_(torch.from_numpy(values))


def backward(module, x: torch.Tensor, r: torch.Tensor, arguments: tuple = ()) -> None:
    # x requires grad, so there is a graph even when every parameter is frozen; an index
    # input requires none, and with every parameter frozen there is nothing to backpropagate.
    loss = (module(x, *arguments) * r).sum()
    if loss.requires_grad:
        loss.backward()


def check_grads(named: dict, frozen: set, where: str) -> None:
    for name, p in named.items():
        if name in frozen:
            assert p.grad is None, f"{where}: frozen {name} received a gradient"
        else:
            assert p.grad is not None, f"{where}: trainable {name} received no gradient"
            assert p.grad.shape == p.shape, f"{where}: {name}.grad has shape {p.grad.shape}"


def scale_grads(params: list, weight_decay: float) -> None:
    """One factor for all gradients so that max |g| = weight_decay * floor / GRAD_SHARE,
    floor the smallest nonzero |p| now, at most P_MIN: a forward that rewrites parameters
    (Embedding's max_norm) may have shrunk them below the bound the argument above keeps."""
    grads = [p.grad for p in params if p.grad is not None]
    largest = max((float(g.abs().max()) for g in grads if g.numel()), default=0.0)
    magnitudes = [p.detach().abs() for p in params if p.grad is not None and p.numel()]
    nonzero = [float(m[m > 0].min()) for m in magnitudes if bool((m > 0).any())]
    floor = min([P_MIN, *nonzero])
    if largest > 0 and math.isfinite(largest):
        for g in grads:
            g.mul_(weight_decay * floor / GRAD_SHARE / largest)


def train(
    module, named: dict, frozen: set, recipe: dict, steps: int, x, r, where: str, arguments=()
) -> None:
    """`steps` optimizer steps; the optimizer gets all parameters or the trainable ones."""
    params = list(named.values())
    if recipe.get("trainable_only"):
        params = [p for p in params if p.requires_grad]
    if not params:
        return
    optimizer = make_optimizer(recipe, params)
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        backward(module, x, r, arguments)
        check_grads(named, frozen, f"{where}, step {step}")
        scale_grads(params, recipe["weight_decay"])
        optimizer.step()


def check_freezing(
    module,
    shapes: dict,
    frozen: set,
    x_shape: tuple,
    data,
    dtype,
    device,
    x_values: np.ndarray | None = None,
    arguments: tuple[np.ndarray, ...] = (),
    forward_writes: bool = False,
    known: Callable[[np.ndarray], None] | None = None,
):
    """The whole property for one module, its parameters' closed-form shapes and a frozen set.

    x is uniform in [-1, 1] unless given (indices); `arguments` follow x in every call.
    A module whose forward rewrites parameters (Embedding's max_norm) has its frozen ones
    compared with a twin that made the same forward calls and took no optimizer step.
    `known(x)` leaves out a case whose values or gradients a known failure breaks: a NaN
    gradient (a float16 LayerNorm's overflowing 1/std) moves nothing, or everything to NaN.
    """
    where = f"{type(module).__name__} with {sorted(frozen)} frozen ({device}, {dtype})"
    named = dict(module.named_parameters())
    assert list(named) == list(shapes), f"{where}: parameters {list(named)}, law {list(shapes)}"
    set_values(module, data.draw(SEEDS, label="parameter values seed"))
    twin = copy.deepcopy(module) if forward_writes else module
    calls = count_calls(module)

    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    expected = sum(math.prod(shape) for name, shape in shapes.items() if name not in frozen)
    assert trainable == expected, f"{where}: {trainable} trainable parameters, law {expected}"

    # Before any forward: a layer must not touch a frozen parameter even in its forward.
    before = {name: p.detach().clone() for name, p in named.items()}
    rng = np.random.default_rng(data.draw(SEEDS, label="input seed"))
    values = rng.uniform(-1.0, 1.0, x_shape) if x_values is None else x_values
    if known is not None:
        known(values)
    x = to_torch(values, dtype, device, requires_grad=True)
    arguments = tuple(to_torch(a, dtype, device) for a in arguments)
    with torch.no_grad():
        y_shape = module(x, *arguments).shape
    r = to_torch(rng.standard_normal(tuple(y_shape)), dtype, device)
    backward(module, x, r, arguments)
    check_grads(named, frozen, f"{where}, first backward")

    recipe = data.draw(recipes(), label="optimizer")
    recipe["trainable_only"] = data.draw(st.booleans(), label="optimizer gets trainable only")
    note(f"{where}: {recipe}")
    train(module, named, frozen, recipe, STEPS, x, r, where, arguments)
    if twin is not module:
        # What the forward calls alone make of the parameters: no optimizer step in them.
        with torch.no_grad():
            for _ in range(calls()):
                twin(x.detach(), *arguments)
        before = {name: p.detach().clone() for name, p in twin.named_parameters()}
    for name, p in named.items():
        if name in frozen:
            assert torch.equal(bits(p), bits(before[name])), (
                f"{where}: frozen {name} changed under {recipe}"
            )
        else:
            still = int((p.detach() == before[name]).sum())
            assert still == 0, (
                f"{where}: {still} of {p.numel()} elements of trainable {name} did not move "
                f"in {STEPS} steps of {recipe}"
            )

    # Unfrozen (through a drawn public API): gradients reach everything again, and one
    # step moves everything.
    unfreeze = data.draw(st.sampled_from(UNFREEZING_APIS), label="unfreezing API")
    note(f"unfrozen through {unfreeze}")
    if unfreeze == "Module.requires_grad_(True)":
        module.requires_grad_(True)
    else:
        for p in named.values():
            p.requires_grad_(True)
    before = {name: p.detach().clone() for name, p in named.items()}
    unfrozen = {"name": "SGD", "lr": recipe["lr"], "weight_decay": recipe["weight_decay"]}
    train(module, named, set(), unfrozen, 1, x, r, f"{where}, unfrozen", arguments)
    for name, p in named.items():
        still = int((p.detach() == before[name]).sum())
        assert still == 0, f"{where}: unfrozen, {still} elements of {name} did not move"


def count_calls(module: torch.nn.Module):
    """A function telling how many times `module` has been called since now."""
    count = [0]
    module.register_forward_hook(lambda *_: count.__setitem__(0, count[0] + 1))
    return lambda: count[0]


# Every public way a user freezes parameters: the chapter's loop setting the attribute,
# the parameter's method, and a module's (or a submodule's) requires_grad_, recursive.
FREEZING_APIS = ("p.requires_grad = False", "p.requires_grad_(False)", "Module.requires_grad_")
UNFREEZING_APIS = ("p.requires_grad_(True)", "Module.requires_grad_(True)")


def freeze_drawn(module, data) -> set:
    """Freeze a drawn part of `module` through a drawn public API; the frozen names."""
    api = data.draw(st.sampled_from(FREEZING_APIS), label="freezing API")
    names = [name for name, _ in module.named_parameters()]
    if api == "Module.requires_grad_":
        # A submodule (the module itself included): everything under it freezes.
        paths = [path for path, m in module.named_modules() if any(True for _ in m.parameters())]
        path = data.draw(st.sampled_from(paths), label="frozen submodule") if paths else ""
        returned = module.get_submodule(path).requires_grad_(False)
        assert returned is module.get_submodule(path), "requires_grad_ must return the module"
        note(f"frozen through {api} on {path or 'the module itself'}")
        return {n for n in names if not path or n.startswith(path + ".")}
    frozen = data.draw(st.sets(st.sampled_from(names)), label="frozen") if names else set()
    note(f"frozen {sorted(frozen)} through {api}")
    for name in frozen:
        parameter = module.get_parameter(name)
        if api == "p.requires_grad = False":
            parameter.requires_grad = False
        else:
            parameter.requires_grad_(False)
    return frozen


@given(data=st.data())
def test_freezing(layer, device, dtype, path, nn, data):
    hp, shape, arguments = draw_configuration(data, layer, nn)
    shapes = layer.param_shapes(hp)
    module = build(nn, layer, hp, device, dtype)
    note(f"{layer.name}(**{hp}), input {shape}")
    frozen = freeze_drawn(module, data)
    # Indices as the spec draws them; values uniform in [-1, 1] (check_freezing's own).
    x = draw_input(data, layer, hp, shape, layer.max_magnitude) if layer.takes_indices else None
    writes = layer.writes_parameters

    def known(values: np.ndarray) -> None:
        where = Where(layer.name, dtype, device, hp, True, x=values, call_arguments=arguments)
        carve_out(Check.VALUES, where)
        carve_out(Check.GRADIENTS, where)

    with kernels_for(f"{layer.name} on {device} for {dtype}"):
        check_freezing(
            module, shapes, frozen, shape, data, dtype, device, x, arguments, writes, known
        )


@given(data=st.data())
def test_freezing_models(model, device, dtype, path, nn, data):
    """The chapter's networks (MyNetwork, Sequential, ModuleList, DynamicNet, LeNet5)."""
    config = data.draw(model.config(), label="config")
    shapes = named_parameter_shapes(model.stages(config))
    x_shape = data.draw(model.input_shape(config), label="input shape")
    seed_torch(data.draw(SEEDS, label="torch seed"), device)  # dropout masks
    module = build_model(nn, model, config).to(device=device, dtype=torch_dtype(dtype))
    note(f"{model.name}({config}), input {x_shape}")
    frozen = freeze_drawn(module, data)
    with kernels_for(f"{model.name} on {device} for {dtype}"):
        check_freezing(module, shapes, frozen, x_shape, data, dtype, device)


@pytest.mark.row("LeNet5")
@given(data=st.data())
def test_freezing_lenet5_c1_c3(device, dtype, path, nn, data):
    """The chapter freezes c1 and c3 of LeNet5: 61,706 - 156 - 2,416 stay trainable."""
    lenet = model_named("LeNet5")
    config = {"num_classes": LENET5_NUM_CLASSES}
    module = build_model(nn, lenet, config).to(device=device, dtype=torch_dtype(dtype))
    assert sum(p.numel() for p in module.parameters()) == LENET5_PARAMETERS
    # The chapter's own loop: every parameter of the frozen children, by child.
    for child in LENET5_FROZEN:
        for param in getattr(module, child).parameters():
            param.requires_grad = False
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert trainable == LENET5_PARAMETERS - sum(LENET5_FROZEN.values()) == 59_134
    frozen = {name for name, p in module.named_parameters() if not p.requires_grad}
    assert frozen == {f"{c}.{w}" for c in LENET5_FROZEN for w in ("weight", "bias")}
    shapes = named_parameter_shapes(lenet.stages(config))
    x_shape = data.draw(lenet.input_shape(config), label="input shape")
    with kernels_for(f"LeNet5 on {device} for {dtype}"):
        check_freezing(module, shapes, frozen, x_shape, data, dtype, device)
