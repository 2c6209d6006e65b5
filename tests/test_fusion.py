"""fusion: a BatchNorm folded into the layer before it, in eval mode, computes what the pair
computes; folding leaves the modules it was given as they were.

Users fold with torch.nn.utils.fusion (one pair of modules: fuse_conv_bn_eval,
fuse_linear_bn_eval) and with torch.fx.experimental.optimization.fuse (every pair it
finds in a traced model). Which pairs fold, the composition reference and the bound are
spec/fusion.py's; the network around the pair is drawn as users write it (nn.Sequential,
or a Module whose forward calls its children), with activations after the pair as in the
chapter's LeNet5. The fused network is compared op by op, as the models property does:
each child on the value torch fed it, each with its own bound.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from types import ModuleType

import numpy as np
import pytest
import torch
import torch.fx.experimental.optimization as fx_optimization
from hypothesis import assume, given, note, strategies as st
from packaging.version import Version

from spec.fusion import (
    CONTAINERS,
    MAX_TAIL,
    PAIRS,
    PAST_HALF_EPS,
    STATISTICS_CLASSES,
    TAIL_LAYERS,
    composition,
    folded_error,
    has_running_statistics,
    norm_hyperparams,
    statistics_past_half_range,
)
from spec.inputs import Inputs
from spec.layerspec import LayerSpec
from spec.registry import layer_named
from spec.values import arrays
from tests import corners
from tests.assertions import assert_bitwise, assert_matches_reference, tolerance_bound, violated
from tests.cases import MAX_MAGNITUDE_BY_DTYPE, Case, arguments_missing, construct, kernels_for
from tests.known_failures import Check, Where, carve_out
from tests.known_failures.entry import base_release
from tests.paths import Need
from tests.tensors import as_received, module_buffers, to_numpy, to_torch, torch_dtype

# The property builds and rewrites whole networks itself: it runs where modules are left
# as constructed (eager).
NEEDS = frozenset({Need.UNCHANGED_MODULE})
# The corner pass runs each state class of the pair's BatchNorm once (spec/fusion.py).
CORNERS = "norm states"

# The children's names in the drawn network.
FIRST, NORM = "first", "norm"

PAIR_PARAMS = [pytest.param(p, id=p.name, marks=pytest.mark.row(p.name)) for p in PAIRS]


def _hyperparams(data: st.DataObject, nn: ModuleType, spec: LayerSpec, drawn=None) -> dict:
    """Constructor kwargs this release's constructor takes, every argument given."""
    strategy = drawn if drawn is not None else spec.hyperparams()
    hp = data.draw(
        strategy.filter(lambda hp: not arguments_missing(nn, spec, hp)),
        label=f"{spec.name} hyperparams",
    )
    return hp


def _loaded(module: torch.nn.Module, values: dict[str, np.ndarray]) -> torch.nn.Module:
    with torch.no_grad():
        for name, value in values.items():
            target = dict(module.named_parameters()).get(name)
            target = target if target is not None else module.get_buffer(name)
            target.copy_(torch.from_numpy(value))
    return module


def _draw_values(data, spec: LayerSpec, hp: dict, dtype: str, top: float) -> dict:
    return {
        name: as_received(data.draw(arrays(shape, top, name), label=name), dtype)
        for name, shape in spec.param_shapes(hp).items()
    }


def _network(nn: ModuleType, container: str, children: list) -> torch.nn.Module:
    """The children chained, in the container a user writes."""
    if container == "sequential":
        return nn.Sequential(OrderedDict(children))
    names = [name for name, _ in children]

    class Network(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            for name, child in children:
                setattr(self, name, child)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for name in names:
                x = getattr(self, name)(x)
            return x

    return Network()


def _case(spec: LayerSpec, hp: dict, x: np.ndarray, params: dict, context) -> Case:
    return Case(spec, dict(hp), tuple(x.shape), False, x, params, None, *context)


def _run_with_hooks(model: torch.nn.Module, x: torch.Tensor) -> tuple[np.ndarray, dict]:
    """The output, and each child's input and output as torch computed them (copies, the
    input taken before the child runs: an in-place activation rewrites it)."""
    inputs, outputs = {}, {}

    def before(name):
        def hook(module, args):
            inputs[name] = to_numpy(args[0])

        return hook

    def after(name):
        def hook(module, args, output):
            outputs[name] = to_numpy(output)

        return hook

    handles = []
    for name, child in model.named_children():
        handles.append(child.register_forward_pre_hook(before(name)))
        handles.append(child.register_forward_hook(after(name)))
    with torch.no_grad():
        y = model(x)
    for handle in handles:
        handle.remove()
    return to_numpy(y), {name: (inputs[name], outputs[name]) for name in outputs}


@pytest.mark.parametrize("pair", PAIR_PARAMS)
@given(data=st.data())
def test_fusion(pair, device, dtype, path, nn, data):
    first_spec, norm_spec = pair.first_spec, pair.norm_spec
    first_hp = _hyperparams(data, nn, first_spec)
    shape = tuple(data.draw(pair.input_shape(first_hp), label="input_shape"))
    channels = pair.channels(first_hp, shape)
    corner = corners.forced.get()
    norm_hp = _hyperparams(data, nn, norm_spec, norm_hyperparams(pair, channels, corner))
    past_half = (corner or {}).get("statistics") == STATISTICS_CLASSES[1]
    if past_half:
        norm_hp = {**norm_hp, "eps": PAST_HALF_EPS}
    tail = data.draw(st.lists(st.sampled_from(TAIL_LAYERS), max_size=MAX_TAIL), label="tail")
    tail_hp = [_hyperparams(data, nn, layer_named(name)) for name in tail]
    container = data.draw(st.sampled_from(CONTAINERS), label="container")
    note(f"{container}: {pair.first}({first_hp}) -> {pair.norm}({norm_hp}) -> {tail_hp}")

    top = min(first_spec.max_magnitude, MAX_MAGNITUDE_BY_DTYPE.get(dtype, np.inf))
    x = as_received(data.draw(arrays(shape, top, "x"), label="x"), dtype)
    # A case a known failure of the fold covers: scoped by the first layer, with the
    # BatchNorm's arguments under "norm" (tests/known_failures/layers/linear.py).
    where = Where(pair.first, dtype, device, {**first_hp, "norm": norm_hp}, False, x=x)
    carve_out(Check.VALUES, where)
    first_values = _draw_values(data, first_spec, first_hp, dtype, top)
    norm_values = _draw_values(data, norm_spec, norm_hp, dtype, top)
    buffers = data.draw(norm_spec.buffer_values(norm_hp), label="buffers")
    if past_half:
        buffers |= data.draw(statistics_past_half_range(channels), label="statistics")
    norm_values |= {
        name: value if value.dtype.kind == "i" else as_received(value, dtype)
        for name, value in buffers.items()
    }
    # And a case the fold gets wrong for its values (the BatchNorm's statistics).
    drawn = {**first_values, **{f"norm.{name}": value for name, value in norm_values.items()}}
    carve_out(Check.VALUES, dataclasses.replace(where, params=drawn))

    def built(spec: LayerSpec, hp: dict, values: dict) -> torch.nn.Module:
        module = construct(nn, spec, hp).to(device=device, dtype=torch_dtype(dtype))
        return _loaded(module, values).eval()

    first = built(first_spec, first_hp, first_values)
    norm = built(norm_spec, norm_hp, norm_values)
    acts = [built(layer_named(n), hp, {}) for n, hp in zip(tail, tail_hp, strict=True)]
    children = [(FIRST, first), (NORM, norm), *((f"act{i}", a) for i, a in enumerate(acts))]
    model = _network(nn, container, children)
    context = (dtype, device, nn.__name__)
    first_in = Inputs(x, first_hp, {n: to_numpy(p) for n, p in first.named_parameters()})
    norm_in = Inputs(
        x,
        norm_hp,
        {n: to_numpy(p) for n, p in norm.named_parameters()},
        module_buffers(norm),
    )
    x_torch = to_torch(x, dtype, device)
    tracked = has_running_statistics(norm_hp)
    folds = tracked and pair.folds(first_hp, shape)
    # Without running statistics an eval-mode BatchNorm normalises by the batch's, which
    # torch rejects for one value per channel (the layer's own invalid case): not a model.
    per_channel = np.prod(first_spec.out_shape(first_hp, shape)) // channels
    assume(tracked or per_channel > 1)

    with kernels_for(f"{pair.name} on {device} for {dtype}"):
        _direct_route(nn, pair, first, norm, first_in, norm_in, x_torch, tracked, folds, context)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        fused = fx_optimization.fuse(model)
        _unchanged(model, before, "torch.fx.experimental.optimization.fuse(model)")
        _fx_route(nn, pair, fused, first_in, norm_in, tail, tail_hp, x_torch, folds, context)


def _unchanged(model: torch.nn.Module, before: dict, call: str) -> None:
    """The modules given to a fuse (inplace=False, or a pair) keep every value."""
    for name, value in model.state_dict().items():
        if not torch.equal(value, before[name]) and not (
            value.is_floating_point() and bool(torch.isnan(value).all())
        ):
            raise violated(f"{call} changed {name} of the module it was given")


def _direct_route(nn, pair, first, norm, first_in, norm_in, x, tracked, folds, context):
    """fuse_conv_bn_eval(conv, bn) / fuse_linear_bn_eval(linear, bn) on the pair alone."""
    fuser = getattr(nn.utils.fusion, pair.fuser)
    call = f"torch.nn.utils.fusion.{pair.fuser}"
    if not tracked:
        # No running statistics: nothing to fold (torch's note: "bn must have its running
        # buffers computed"), and the call must refuse rather than fold something.
        try:
            fuser(first, norm)
        except Exception as error:
            note(f"{call} refused a BatchNorm without running statistics: {error!r}")
            return
        raise violated(f"{call} folded a BatchNorm that has no running statistics")
    if not folds:
        # A pair of modules says nothing of the input's rank: the fold is the pair's
        # composition for 2-D inputs (the fx route below is held to the model's input).
        note(f"{call}: a 3-D input's channels are not the Linear's features; fx route only")
        return
    before = {
        **{f"first.{k}": v.clone() for k, v in first.state_dict().items()},
        **{f"norm.{k}": v.clone() for k, v in norm.state_dict().items()},
    }
    fused = fuser(first, norm)
    both = torch.nn.ModuleDict({"first": first, "norm": norm})
    _unchanged(both, before, f"{call}(first, norm)")
    with torch.no_grad():
        y = to_numpy(fused(x))
    _check_folded(pair, fused, first_in, norm_in, y, f"{call}(...) output", context)


def _check_folded(pair, fused, first_in, norm_in, y, what, context):
    expected = composition(pair, first_in, norm_in)
    bound = tolerance_bound(context[0], folded_error(pair, first_in, norm_in))
    params = {n: to_numpy(p) for n, p in fused.named_parameters()}
    case = _case(pair.first_spec, dict(first_in.hp), first_in.x, params, context)
    assert_matches_reference(y, expected, bound, what=f"{pair.name} folded: {what}", case=case)


def _fx_has_pattern(pair) -> bool:
    """Whether this torch's fx fuse has the pair's pattern (FusablePair.fx_pattern_since)."""
    if pair.fx_pattern_since is None:
        return True
    if base_release(torch.__version__) >= Version(pair.fx_pattern_since):
        return True
    note(f"torch {torch.__version__}: fx fuse has no {pair.name} pattern; each module alone")
    return False


def _fx_route(nn, pair, fused, first_in, norm_in, tail, tail_hp, x, folds, context):
    """torch.fx.experimental.optimization.fuse(model): the network, op by op."""
    y, children = _run_with_hooks(fused, x)
    names = [name for name, _ in fused.named_children()]
    own_classes = all(
        type(m) is getattr(torch.nn, type(m).__name__, None)
        for m in fused.modules()
        if m is not fused
    )
    if own_classes and folds and NORM in names and _fx_has_pattern(pair):
        raise violated(f"fuse left {pair.norm} after {pair.first}: {fused}")
    if NORM in names and not folds and own_classes and has_running_statistics(norm_in.hp):
        note("fuse kept the BatchNorm whose channels are not the Linear's features")
    value = first_in.x
    for name in names:
        seen_x, seen_y = children[name]
        module = fused.get_submodule(name)
        assert_bitwise(
            seen_x,
            value,
            f"{pair.name}: input of {name}",
            _case(pair.first_spec, dict(first_in.hp), first_in.x, {}, context),
        )
        params = {n: to_numpy(p) for n, p in module.named_parameters()}
        if name == FIRST and NORM not in names:
            _check_folded(pair, module, first_in, norm_in, seen_y, f"fx fuse: {name}", context)
        elif name == FIRST:
            _check_layer(pair.first_spec, first_in.replace(params=params), seen_y, name, context)
        elif name == NORM:
            norm_call = norm_in.replace(x=seen_x, params=params, training=False)
            _check_layer(pair.norm_spec, norm_call, seen_y, name, context)
        else:
            index = int(name.removeprefix("act"))
            spec = layer_named(tail[index])
            arguments = {**spec.defaults, **tail_hp[index]}
            _check_layer(spec, Inputs(seen_x, arguments), seen_y, name, context)
        value = seen_y
    assert_bitwise(
        y,
        value,
        f"{pair.name}: fused network output",
        _case(pair.first_spec, dict(first_in.hp), first_in.x, {}, context),
    )


def _check_layer(spec: LayerSpec, call: Inputs, y: np.ndarray, name: str, context) -> None:
    # The layer's own known failures (a float16 BatchNorm of a constant channel) are its
    # forward property's to show: left out here as there.
    carve_out(Check.VALUES, Where(spec.name, context[0], context[1], call.hp, False, x=call.x))
    expected = spec.forward(call)[0]
    error = spec.forward_error(call)
    exact = not np.any(error[0])
    bound = np.zeros(y.shape) if exact else tolerance_bound(context[0], error)
    case = _case(spec, dict(call.hp), call.x, dict(call.params), context)
    assert_matches_reference(y, expected, bound, what=f"{name} output", case=case)
