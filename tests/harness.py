"""Shared by every property test: draw a case, build the module, compare to the reference."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import note, reject, strategies as st

from spec.known_failures import known_failure_for
from spec.layerspec import LayerSpec
from spec.tolerances import tolerance_for
from spec.values import arrays

TORCH_DTYPES = {
    "float64": torch.float64,
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}

# Arrays up to this many elements are written into a repro snippet literally; bigger
# ones would drown the message, and shrinking keeps failing cases far below it.
INLINE_REPRO_ELEMENTS = 512

# How torch words a missing kernel for a dtype ("... not implemented for 'Half'").
UNSUPPORTED_DTYPE = "not implemented for"

# float16 overflows at 65504: drawn magnitudes shrink so a correct layer stays finite.
MAX_MAGNITUDE_BY_DTYPE = {"float16": 4.0}


def torch_dtype(name: str) -> torch.dtype:
    """The torch dtype named `name`."""
    return TORCH_DTYPES[name]


def as_received(values: np.ndarray, dtype: str) -> np.ndarray:
    """The float64 values torch actually receives once `values` is cast to `dtype`."""
    rounded = torch.from_numpy(np.asarray(values, dtype=np.float64, order="C")).to(
        torch_dtype(dtype)
    )
    return rounded.to(torch.float64).numpy()


def to_torch(
    values: np.ndarray, dtype: str, device: str, requires_grad: bool = False
) -> torch.Tensor:
    """A tensor holding `values` in `dtype` on `device`."""
    tensor = torch.from_numpy(np.asarray(values, dtype=np.float64, order="C"))
    tensor = tensor.to(device=device, dtype=torch_dtype(dtype))
    return tensor.requires_grad_(requires_grad)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """Float64 NumPy copy of a tensor from any device and dtype (never a view of it)."""
    # .to() returns the tensor itself when it already is float64 on CPU: copy explicitly.
    return tensor.detach().to(device="cpu", dtype=torch.float64).numpy().copy()


@dataclass
class Case:
    """One drawn configuration: hyperparameters, values, mode; all as torch receives them."""

    spec: LayerSpec
    hp: dict
    input_shape: tuple
    training: bool
    x: np.ndarray
    params: dict[str, np.ndarray]
    buffers: dict[str, np.ndarray] | None
    dtype: str
    device: str
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One line naming the configuration, for failure messages."""
        return (
            f"{self.spec.name}(**{self.hp}) input_shape={self.input_shape} "
            f"training={self.training} device={self.device} dtype={self.dtype}"
        )


def draw_hyperparams(data: st.DataObject, spec: LayerSpec) -> tuple[dict, tuple]:
    """Valid constructor kwargs and an input shape for them."""
    hp = data.draw(spec.hyperparams(), label="hyperparams")
    shape = data.draw(spec.input_shape(hp), label="input_shape")
    return hp, tuple(shape)


def reject_known_failures(spec: LayerSpec, dtype: str, hp: dict) -> None:
    """Skip a configuration inside a recorded torch bug (spec/known_failures.py).

    The bug stays visible: its minimal repro runs as a strict xfail and is reported.
    """
    if known_failure_for(spec.name, dtype, hp) is not None:
        reject()


def draw_case(
    data: st.DataObject, spec: LayerSpec, dtype: str, device: str, training: bool | None = None
) -> Case:
    """A full case: config, input and parameter values rounded to `dtype`, mode."""
    hp, shape = draw_hyperparams(data, spec)
    reject_known_failures(spec, dtype, hp)
    if training is None:
        training = data.draw(st.booleans(), label="training")
    top = min(spec.max_magnitude, MAX_MAGNITUDE_BY_DTYPE.get(dtype, np.inf))
    x = as_received(data.draw(arrays(shape, top, "x"), label="x"), dtype)
    params = {
        name: as_received(data.draw(arrays(p_shape, top, name), label=name), dtype)
        for name, p_shape in spec.param_shapes(hp).items()
    }
    buffers = None
    if spec.buffer_values is not None:
        drawn = data.draw(spec.buffer_values(hp), label="buffers")
        buffers = {
            name: value if value.dtype.kind == "i" else as_received(value, dtype)
            for name, value in drawn.items()
        }
    case = Case(spec, hp, shape, training, x, params, buffers, dtype, device)
    note(case.describe())
    return case


def build(nn: ModuleType, spec: LayerSpec, hp: dict, device: str, dtype: str) -> torch.nn.Module:
    """The module under test, constructed from `hp` and moved to device and dtype."""
    module = getattr(nn, spec.name)(**hp)
    return module.to(device=device, dtype=torch_dtype(dtype))


def build_case(nn: ModuleType, case: Case) -> torch.nn.Module:
    """The module for `case`, with the case's parameter and buffer values loaded."""
    module = build(nn, case.spec, case.hp, case.device, case.dtype)
    # The repro snippet rebuilds the module from the same implementation.
    case.extra["impl"] = nn.__name__
    with torch.no_grad():
        for name, value in case.params.items():
            module.get_parameter(name).copy_(torch.from_numpy(value))
        for name, value in (case.buffers or {}).items():
            module.get_buffer(name).copy_(torch.from_numpy(value))
    module.train(case.training)
    return module


def run_with_probe(
    module: torch.nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """module(x), plus a probe: a copy of the module on ones under the same RNG state.

    A stochastic layer draws the same random numbers for any input of the same shape,
    so the probe shows its realised randomness (a dropout mask) even where x is zero.
    The copy keeps buffers (BatchNorm running statistics) of the real module untouched.
    """
    devices = [x.device] if x.device.type == "cuda" else []
    probe_x = torch.ones_like(x)
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        probe_y = call_valid(copy.deepcopy(module), probe_x.clone())
    return call_valid(module, x), to_numpy(probe_x), to_numpy(probe_y)


def call_valid(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """module(x) for an input the spec says is valid: rejecting it is a violation."""
    try:
        return module(x)
    except Exception as error:
        if UNSUPPORTED_DTYPE in str(error):
            # The backend has no kernel for this dtype: not a wrong answer; reported as a skip.
            pytest.skip(
                f"unsupported: {type(module).__name__} on {x.device} for {x.dtype}: {error}"
            )
        raise AssertionError(
            f"{type(module).__name__} rejected a valid input of shape {tuple(x.shape)}: "
            f"{type(error).__name__}: {error}"
        ) from error


def module_buffers(module: torch.nn.Module) -> dict[str, np.ndarray]:
    """Buffers as float64 (or int64) NumPy arrays."""
    # Copies, never views: a snapshot must not follow later in-place buffer updates.
    return {
        name: (b.detach().cpu().numpy().copy() if not b.is_floating_point() else to_numpy(b))
        for name, b in module.named_buffers()
    }


def _literal(values: np.ndarray) -> str:
    # repr round-trips every float64 exactly; non-finite values need float('...').
    items = (
        repr(v) if np.isfinite(v) else f"float('{v}')"
        for v in np.asarray(values, dtype=np.float64).ravel().tolist()
    )
    return "[" + ", ".join(items) + "]"


def repro_snippet(
    case: Case, what: str, index: tuple, expected: float, grad_y: np.ndarray | None
) -> str:
    """A copy-paste script, torch and the implementation alone, showing the disagreement."""
    big = case.x.size > INLINE_REPRO_ELEMENTS
    lines = [
        "import importlib",
        "",
        "import torch",
        "",
        f"nn = importlib.import_module({case.extra.get('impl', 'torch.nn')!r})",
        f"dtype, device = torch.{case.dtype}, {case.device!r}",
        f"m = nn.{case.spec.name}(**{case.hp!r}).to(device, dtype)",
    ]
    if big:
        lines.append(f"# input of {case.x.size} elements: draw it again with the printed seed")
        lines.append(f"x = torch.randn({case.input_shape}, dtype=torch.float64)")
    else:
        lines.append(f"x = torch.tensor({_literal(case.x)}, dtype=torch.float64)")
        lines.append(f"x = x.reshape({case.input_shape})")
    lines.append("with torch.no_grad():")
    # A body even for layers without parameters or buffers, so the snippet always parses.
    lines.append("    pass")
    for getter, values in (("get_parameter", case.params), ("get_buffer", case.buffers or {})):
        for name, value in values.items():
            literal = f"torch.tensor({_literal(value)}).reshape({value.shape})"
            lines.append(f"    m.{getter}({name!r}).copy_({literal})")
    lines += [
        f"m.train({case.training})",
        "x = x.to(device, dtype).requires_grad_()",
        "y = m(x)",
    ]
    if grad_y is not None and grad_y.size <= INLINE_REPRO_ELEMENTS:
        lines.append(
            f"y.backward(torch.tensor({_literal(grad_y)}).reshape(y.shape).to(device, dtype))"
        )
        source = "x.grad" if what == "input" else f"m.get_parameter({what!r}).grad"
    else:
        source = "y"
    lines.append(
        f"print({source}[{tuple(int(i) for i in index)}].item(), 'reference:', {expected!r})"
    )
    return "\n".join(lines)


def assert_matches_reference(
    actual: np.ndarray,
    expected: np.ndarray,
    bound: np.ndarray,
    *,
    what: str,
    case: Case,
    record: dict,
    grad_y: np.ndarray | None = None,
) -> None:
    """Every element of `actual` is within `bound` of `expected`; else a full diagnosis."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(
            f"{what}: shape {actual.shape} != reference {expected.shape} for {case.describe()}"
        )
    error = np.abs(actual - expected)
    # NaN where the reference is finite is always a violation; matching non-finite
    # values (inf from a correct overflow) are equal.
    same_nonfinite = ~np.isfinite(expected) & (actual == expected)
    error = np.where(same_nonfinite, 0.0, np.where(np.isnan(error), np.inf, error))
    allowed = np.broadcast_to(bound, error.shape)
    violation = error > allowed
    if not violation.any():
        return
    index = np.unravel_index(
        int(np.argmax(np.where(violation, error / np.maximum(bound, 1e-300), -1))), error.shape
    )
    relative = error / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    failure = {
        "message": f"{case.spec.name} {what} differs from the reference",
        "example": case.describe(),
        "max_abs_error": float(error.max()),
        "max_rel_error": float(relative.max()),
        "index": [int(i) for i in index],
        "repro": repro_snippet(case, what, index, float(expected[index]), grad_y),
    }
    record["failure"] = failure
    message = (
        f"{failure['message']}: {case.describe()}\n"
        f"  worst element {tuple(failure['index'])}: torch {actual[index]!r}, "
        f"reference {expected[index]!r}, "
        f"|error| {error[index]:.3e} > allowed {allowed[index]:.3e}\n"
        f"  max |error| {failure['max_abs_error']:.3e}, "
        f"max relative error {failure['max_rel_error']:.3e}, "
        f"{int(violation.sum())} of {violation.size} elements outside tolerance"
    )
    error_to_raise = AssertionError(message)
    error_to_raise.add_note("repro (torch and numpy only):\n" + failure["repro"])
    raise error_to_raise


def tolerance_bound(dtype: str, scale_and_k: tuple) -> np.ndarray:
    """The allowed error per element from the spec's (scale, K[, floor scale])."""
    return tolerance_for(dtype).bound(*scale_and_k)


def assert_gradients_match(
    case: Case,
    module: torch.nn.Module,
    x_leaf: torch.Tensor,
    x_in: torch.Tensor,
    grad_y: np.ndarray,
    grad_y_tensor: torch.Tensor,
    record: dict,
) -> None:
    """Backpropagate grad_y through module(x_in); output and gradients equal the reference.

    x_in is computed from the leaf x_leaf (a clone, a strided view, another memory
    format) so in-place layers can run and layouts can vary; the input gradient is
    read off the leaf.
    """
    layer = case.spec
    buffers = module_buffers(module)
    y, probe_x, probe_y = run_with_probe(module, x_in)
    y.backward(grad_y_tensor)
    randomness = layer.recover_randomness(probe_x, probe_y, case.hp, case.training)
    forward_args = (case.x, case.params, buffers, case.hp, case.training, randomness)
    assert_matches_reference(
        to_numpy(y),
        layer.forward(*forward_args)[0],
        tolerance_bound(case.dtype, layer.forward_error(*forward_args)),
        what="output",
        case=case,
        record=record,
    )
    args = (*forward_args, grad_y)
    expected = layer.vjp(*args)
    scales = layer.vjp_error(*args)
    actual = {"input": x_leaf.grad} | {name: p.grad for name, p in module.named_parameters()}
    assert set(expected) == set(actual), (
        f"{case.describe()}: autograd produced gradients for {sorted(actual)}, "
        f"the reference for {sorted(expected)}"
    )
    for name, reference in expected.items():
        assert actual[name] is not None, f"{case.describe()}: no gradient reached {name}"
        assert_matches_reference(
            to_numpy(actual[name]),
            reference,
            tolerance_bound(case.dtype, scales[name]),
            what=name,
            case=case,
            record=record,
            grad_y=grad_y,
        )
