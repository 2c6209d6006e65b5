"""init: default initialisation and the nn.init functions follow their laws.

Every check is spec/statistics.check_law: exact first (a uniform sample inside its
support up to the dtype's rounding, a constant exactly equal, a normal sample finite),
then tests with false alarm ALPHA = 1e-12 each (the run's 1e-6 budget spread over the
most assertions a run may make) and power >= 0.999 against a 10% error:

- uniform U(-b, b): n >= 553 samples (float32/64; more in bfloat16, whose rounding eats
  into the margin). Every sample within b (+2 roundings); the largest |end| within
  2*delta*b of both ends, delta = 1 - (1e-12/2)^(1/n). A bound 10% too large leaves the
  support with probability >= 0.999; 10% too small never reaches the end: caught surely.
- normal N(0, std^2): n >= 10,447 samples. Chi-square test of s^2/std^2 (two-sided):
  catches std*0.9 and std*1.1 with probability >= 0.999 from n = 5,611; z-test of the
  mean: catches a shift of 0.1 std with probability 0.999 at 10,447; Kolmogorov-Smirnov
  against a uniform law of the same moments from n = 9,965.
- constant: every element equal, exactly (n = 1 suffices).

A weight with fewer elements than n is drawn again (the module re-constructed, or the
init function called again on the same tensor) and the draws pooled: they are iid.
Every torch random draw follows torch.manual_seed(seed) with a seed Hypothesis draws, so
a failure replays from the printed Hypothesis seed.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, note, strategies as st

from reference.init_laws import (
    FAN_MODES,
    NONLINEARITIES,
    InitLaw,
    constant_law,
    kaiming_normal_std,
    kaiming_uniform_bound,
    normal_law,
    uniform_law,
    xavier_normal_std,
    xavier_uniform_bound,
)
from report.interface import not_run
from spec import chapter_init
from spec.layerspec import PartLaw
from spec.registry import LAYERS
from spec.statistics import check_law, samples_needed
from spec.tolerances import tolerance_for
from tests.cases import build, draw_configuration, layer_class
from tests.known_failures import INIT, Check, Where, carve_out
from tests.models import chapter_initialize_weights
from tests.paths import Need
from tests.tensors import seed_torch, to_numpy, torch_dtype
from tests.trees import CONTAINERS, Tree, build_tree, trees

# Initialisation is the module object's: no path changes it.
NEEDS = frozenset({Need.UNCHANGED_MODULE})
# It draws configurations, not inputs: the corner pass pairs hyperparameter classes alone.
CORNERS = "hyperparameter classes"

# Only layers that declare an init law: a layer without parameters has nothing to draw.
SPECS = tuple(spec for spec in LAYERS if spec.has_parameters)

SEEDS = st.integers(0, 2**32 - 1)

# Drawn weight shapes for the nn.init functions: 2-D (Linear) and 4-D (Conv2d). At least
# MIN_ELEMENTS elements, so a normal law's 10,447 samples take <= 164 calls; fans of 1 are
# still drawn ((64, 1) has fan_in 1, (1, 64) fan_out 1).
MIN_ELEMENTS = 64
MAX_FEATURES = 64
MAX_CHANNELS = 8
MAX_KERNEL = 5
# Gains and leaky_relu slopes: both signs of the slope (only its square matters), and
# gains from a tenth to a few (tanh's 5/3 and relu's sqrt(2) inside).
GAINS = st.floats(0.1, 4.0)
SLOPES = st.floats(-2.0, 2.0)


def unit_roundoff(dtype: str) -> float:
    """Rounding allowed at a uniform law's support: modules are built in float32, then cast."""
    return max(tolerance_for(dtype).eps, tolerance_for("float32").eps)


def seed_from(data: st.DataObject, device: str) -> None:
    seed_torch(data.draw(SEEDS, label="torch seed"), device)


def init_function(nn, name: str):
    """`nn.init.<name>`, or the cell ends as "not provided" by the implementation."""
    found = getattr(nn.init, name, None)
    if found is None:
        not_run("not-provided", f"{nn.__name__}.init has no {name}")
    return found


@st.composite
def weight_shapes(draw: st.DrawFn) -> tuple[int, ...]:
    """A Linear (out, in) or Conv2d (out, in, kh, kw) weight shape of >= MIN_ELEMENTS."""
    if draw(st.booleans(), label="conv weight"):
        out = draw(st.integers(1, MAX_CHANNELS), label="out_channels")
        kh = draw(st.integers(1, MAX_KERNEL), label="kh")
        kw = draw(st.integers(1, MAX_KERNEL), label="kw")
        fewest = max(1, math.ceil(MIN_ELEMENTS / (out * kh * kw)))
        in_ = draw(st.integers(fewest, max(fewest, 2 * MAX_CHANNELS)), label="in_channels")
        return (out, in_, kh, kw)
    out = draw(st.integers(1, MAX_FEATURES), label="out_features")
    fewest = max(1, math.ceil(MIN_ELEMENTS / out))
    return (out, draw(st.integers(fewest, max(fewest, MAX_FEATURES)), label="in_features"))


def pooled_draws(init_fn, shape, law: InitLaw, dtype: str, device: str) -> np.ndarray:
    """Call init_fn on one tensor of `shape` until the law's sample size is reached."""
    tensor = torch.empty(shape, dtype=torch_dtype(dtype), device=device)
    draws = []
    for _ in range(math.ceil(samples_needed(law, unit_roundoff(dtype)) / tensor.numel())):
        returned = init_fn(tensor)
        # The nn.init functions are in-place and return their argument.
        assert returned is tensor, f"{init_fn} returned a new tensor, not its argument"
        draws.append(tensor.detach().flatten().clone())
    return to_numpy(torch.cat(draws))


def sampler_carve_out(law: InitLaw, dtype: str, device: str) -> None:
    """Leave out an example whose law draws from a sampler with a recorded torch bug."""
    carve_out(Check.DISTRIBUTION, Where(INIT, dtype, device, {"law": law.kind}))


def check_init_fn(init_fn, shape, law: InitLaw, dtype: str, device: str, what: str) -> None:
    note(f"{what}: law {law}")
    sampler_carve_out(law, dtype, device)
    check_law(pooled_draws(init_fn, shape, law, dtype, device), law, unit_roundoff(dtype), what)


# --- (a) default initialisation of every layer's parameters --------------------------------


def parts_of(law: InitLaw | tuple[PartLaw, ...], shape: tuple) -> list[tuple[str, PartLaw]]:
    """(part label, its law) of a parameter: the whole, or the parts the spec names, which
    must partition it (every element under exactly one law)."""
    if isinstance(law, InitLaw):
        return [("", PartLaw(law, np.ones(shape, dtype=bool)))]
    cover = sum(np.asarray(part.mask, dtype=np.int64) for part in law)
    assert np.shape(cover) == shape and (cover == 1).all(), (
        f"the spec's parts of a {shape} parameter do not partition it"
    )
    return [(f"[{part.law.kind} part]", part) for part in law if part.mask.any()]


@given(data=st.data())
def test_init(layer, device, dtype, path, nn, data):
    hp = draw_configuration(data, layer, nn).hp
    laws = layer.init(hp)
    seed_from(data, device)
    modules = [build(nn, layer, hp, device, dtype)]
    shapes = {name: tuple(p.shape) for name, p in modules[0].named_parameters()}
    assert set(shapes) == set(laws), (
        f"{layer.name}(**{hp}) has parameters {sorted(shapes)}; the spec states laws for "
        f"{sorted(laws)}"
    )
    parts = {
        (name, label): part
        for name, law in laws.items()
        for label, part in parts_of(law, shapes[name])
    }
    unit = unit_roundoff(dtype)
    constructions = max(
        (
            math.ceil(samples_needed(part.law, unit) / int(part.mask.sum()))
            for part in parts.values()
        ),
        default=1,
    )
    modules += [build(nn, layer, hp, device, dtype) for _ in range(constructions - 1)]
    for part in parts.values():
        sampler_carve_out(part.law, dtype, device)
    for (name, label), part in parts.items():
        draws = np.concatenate([to_numpy(m.get_parameter(name))[part.mask] for m in modules])
        what = f"{layer.name}(**{hp}).{name}{label} over {constructions} constructions ({dtype})"
        check_law(draws, part.law, unit, what)


# --- (b) the nn.init functions on drawn weight shapes ------------------------------------


@pytest.mark.row("nn.init.kaiming_*")
@given(data=st.data())
def test_init_kaiming(device, dtype, path, nn, data):
    """kaiming_normal_ and kaiming_uniform_, both modes, every nonlinearity torch accepts."""
    kaiming_normal_ = init_function(nn, "kaiming_normal_")
    kaiming_uniform_ = init_function(nn, "kaiming_uniform_")
    shape = data.draw(weight_shapes(), label="weight shape")
    # `a` only matters for leaky_relu; every other gain must ignore it.
    a = data.draw(SLOPES, label="a")
    seed_from(data, device)
    for nonlinearity in NONLINEARITIES:
        for mode in FAN_MODES:
            kwargs = {"a": a, "mode": mode, "nonlinearity": nonlinearity}
            std = kaiming_normal_std(shape, **kwargs)
            bound = kaiming_uniform_bound(shape, **kwargs)
            check_init_fn(
                lambda t, kw=kwargs: kaiming_normal_(t, **kw),
                shape,
                normal_law(0.0, std),
                dtype,
                device,
                f"kaiming_normal_(shape {shape}, {kwargs})",
            )
            check_init_fn(
                lambda t, kw=kwargs: kaiming_uniform_(t, **kw),
                shape,
                uniform_law(-bound, bound),
                dtype,
                device,
                f"kaiming_uniform_(shape {shape}, {kwargs})",
            )


@pytest.mark.row("nn.init.xavier_*")
@given(data=st.data())
def test_init_xavier(device, dtype, path, nn, data):
    """xavier_uniform_ and xavier_normal_ with a drawn gain (or torch's default 1)."""
    xavier_uniform_ = init_function(nn, "xavier_uniform_")
    xavier_normal_ = init_function(nn, "xavier_normal_")
    shape = data.draw(weight_shapes(), label="weight shape")
    gain = data.draw(st.none() | GAINS, label="gain")
    kwargs = {} if gain is None else {"gain": gain}
    seed_from(data, device)
    bound = xavier_uniform_bound(shape, **kwargs)
    check_init_fn(
        lambda t: xavier_uniform_(t, **kwargs),
        shape,
        uniform_law(-bound, bound),
        dtype,
        device,
        f"xavier_uniform_(shape {shape}, {kwargs})",
    )
    check_init_fn(
        lambda t: xavier_normal_(t, **kwargs),
        shape,
        normal_law(0.0, xavier_normal_std(shape, **kwargs)),
        dtype,
        device,
        f"xavier_normal_(shape {shape}, {kwargs})",
    )


@pytest.mark.row("nn.init.zeros_")
@given(data=st.data())
def test_init_zeros(device, dtype, path, nn, data):
    """zeros_ overwrites every element, NaN and infinities included, with exactly 0."""
    zeros_ = init_function(nn, "zeros_")
    shape = data.draw(weight_shapes(), label="shape")
    fill = data.draw(
        st.sampled_from([math.nan, math.inf, -math.inf, 1e-30, -0.5]) | st.floats(-1e3, 1e3),
        label="previous value",
    )
    tensor = torch.full(shape, fill, dtype=torch_dtype(dtype), device=device)
    assert zeros_(tensor) is tensor, "zeros_ returned a new tensor, not its argument"
    check_law(to_numpy(tensor), constant_law(0.0), 0.0, f"zeros_(shape {shape}) over {fill}")


# --- (c) model.apply reaches every submodule -----------------------------------------------

# Containers nest up to TREE_DEPTH deep, each holding 1..TREE_WIDTH children.
TREE_DEPTH = 3
TREE_WIDTH = 2


def make_leaf(nn):
    def leaf(description: tuple):
        name, args = description
        return layer_class(nn, name)(*args)

    return leaf


def apply_recording(model, fn) -> tuple:
    """model.apply(fn), and every module fn was called on."""
    visited = []

    def recording(m):
        visited.append(m)
        fn(m)

    return model.apply(recording), visited


@pytest.mark.row("Module.apply")
@given(data=st.data())
def test_init_apply(device, dtype, path, nn, data):
    """model.apply(initialize_weights) reaches every submodule, however deeply nested."""
    root = st.builds(
        lambda kind, children: Tree(kind, tuple(children)),
        st.sampled_from(CONTAINERS),
        st.lists(
            trees(chapter_init.leaves(), TREE_DEPTH - 1, TREE_WIDTH, 1),
            min_size=1,
            max_size=TREE_WIDTH,
        ),
    )
    tree = data.draw(root, label="model tree")
    model = build_tree(nn, tree, make_leaf(nn)).to(device=device, dtype=torch_dtype(dtype))
    note(f"model: {model}")
    classes = {name: layer_class(nn, name) for name in chapter_init.WEIGHT_LAWS}
    targets, laws = {}, {}
    for path, m in model.named_modules():
        for name, cls in classes.items():
            if isinstance(m, cls):
                targets[path] = m
                laws[path] = chapter_init.WEIGHT_LAWS[name](tuple(m.weight.shape))
    unit = unit_roundoff(dtype)
    applications = max(
        math.ceil(samples_needed(laws[name], unit) / m.weight.numel())
        for name, m in targets.items()
    )
    for law in laws.values():
        sampler_carve_out(law, dtype, device)
    initialize_weights = chapter_initialize_weights(nn)
    seed_from(data, device)
    draws = {name: [] for name in targets}
    for _ in range(applications):
        # NaN everywhere first: whatever apply does not reach stays NaN and fails exactly.
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(math.nan)
        returned, visited = apply_recording(model, initialize_weights)
        assert returned is model, "apply must return the module it was called on"
        assert {id(m) for m in visited} == {id(m) for m in model.modules()}, (
            f"apply visited {len(visited)} modules of {len(list(model.modules()))}"
        )
        for name, m in targets.items():
            draws[name].append(to_numpy(m.weight).ravel())
            what = f"{name} ({type(m).__name__}) bias after apply"
            check_law(to_numpy(m.bias), chapter_init.BIAS_LAW, unit, what)
    for name, m in targets.items():
        what = f"{name} ({type(m).__name__}) weight after {applications} applications"
        check_law(np.concatenate(draws[name]), laws[name], unit, what)
