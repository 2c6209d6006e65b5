"""Drawn cases and the modules under test: what every property test starts from.

A Case is one drawn configuration (hyperparameters, input shape and values, the call's
further arguments, parameter and buffer values, mode), all rounded to the dtype torch
receives. `build` constructs the module from the implementation under test and routes its
calls through the execution path under test (tests/paths/); `build_case` loads the
case's values. Every call is module(x, *arguments): x is floating-point values or indices
(spec/arguments.py), the arguments what the spec draws after x (a loss's target).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import torch
from hypothesis import note, strategies as st

from report.interface import cover, not_run
from spec.arguments import TensorValue, is_index
from spec.inputs import Inputs
from spec.layerspec import LayerSpec
from spec.values import arrays
from tests import corners, flight_recorder, impl, left_out
from tests.known_failures import Check, Where, carve_out, known_failure
from tests.paths import Need
from tests.paths.routing import copy_sharing_runner, current as current_path, route
from tests.repro import configuration_snippet, crash_snippet
from tests.tensors import as_received, module_buffers, to_numpy, to_torch, torch_dtype

# float16 overflows at 65504: drawn magnitudes shrink so a correct layer stays finite.
MAX_MAGNITUDE_BY_DTYPE = {"float16": 4.0}

# How torch words a missing kernel for a dtype ("... not implemented for 'Half'").
UNSUPPORTED_DTYPE = "not implemented for"


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
    impl: str  # the module name of the implementation under test, for repro snippets
    extra: dict[str, Any] = field(default_factory=dict)
    # The tensors the call takes after x (spec's argument_names), as torch receives them.
    arguments: tuple[np.ndarray, ...] = ()
    # What draw_case left the case out for if a known failure covered it: a later
    # judgement of the same build is left out for the same check (judged_cases).
    left_out_for: Check = Check.VALUES

    def describe(self) -> str:
        """One line naming the configuration, for failure messages."""
        return (
            f"{self.spec.name}(**{self.hp}) input_shape={self.input_shape}"
            f"{describe_arguments(self.spec, self.arguments)} "
            f"training={self.training} device={self.device} dtype={self.dtype}"
        )

    def where(self, layout: str = "contiguous") -> Where:
        """The case as known failures scope themselves by it (on the path under test)."""
        return Where(
            self.spec.name,
            self.dtype,
            self.device,
            self.hp,
            self.training,
            layout,
            path=current_path().name,
            x=self.x,
            grad_layout=self.extra.get("grad_layout", "contiguous"),
            call_arguments=self.arguments,
        )


def describe_arguments(spec: LayerSpec, arguments: tuple[np.ndarray, ...]) -> str:
    """' target=int64(4,)': the call's further arguments by name, kind and shape."""
    names = getattr(spec, "argument_names", ())
    return "".join(
        f" {name}={'int64' if is_index(a) else 'float'}{tuple(np.shape(a))}"
        for name, a in zip(names, arguments, strict=False)
    )


def layer_class(nn: ModuleType, name: str) -> type:
    """`nn.<name>`, or the cell ends as "not provided" by the implementation under test."""
    found = getattr(nn, name, None)
    if found is None:
        if impl.is_torch(nn):
            not_run("not-in-release", f"torch {torch.__version__} has no torch.nn.{name}")
        not_run("not-provided", f"{nn.__name__} has no {name}")
    return found


@functools.cache
def accepted_arguments(cls: type) -> frozenset[str] | None:
    """The keyword arguments `cls` takes; None when it takes any (**kwargs)."""
    parameters = inspect.signature(cls).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters)


def arguments_missing(nn: ModuleType, spec: LayerSpec, hp: dict) -> list[str]:
    """The arguments of `hp` that this release's constructor of `spec` does not take.

    Found by probing the constructor's signature, not from a table of versions: a newer
    argument (BatchNorm2d's bias) is absent from an older release's signature.
    """
    accepted = accepted_arguments(layer_class(nn, spec.name))
    return sorted(set(hp) - accepted) if accepted is not None else []


def in_release(nn: ModuleType, spec: LayerSpec, hp: dict) -> None:
    """Reject a drawn configuration that uses an argument the constructor lacks (this torch
    release's, or the implementation's under test), counting the draws it rejects."""
    missing = arguments_missing(nn, spec, hp)
    if missing:
        owner = tally_missing_arguments(nn, spec.name, missing)
        corners.leave_out(f"{owner} {spec.name} takes no {', '.join(missing)}")


def tally_missing_arguments(nn: ModuleType, name: str, missing: list[str]) -> str:
    """Count the arguments `name`'s constructor lacks; whose constructor it is, in words.

    A cell whose every case needed one ends "not-in-release" (torch) or "not-provided"
    (another implementation): tests/plugin/property_run.py.
    """
    tally = left_out.running()
    tally.torch_lacks = impl.is_torch(nn)
    owner = f"torch {torch.__version__}'s" if tally.torch_lacks else nn.__name__
    for argument in missing:
        tally.missing_arguments[f"{owner} {name} takes no {argument}="] += 1
    return owner


class Configuration(NamedTuple):
    """What a call is, before its values: constructor kwargs, input shape, and the
    further arguments of the call (float64 values or indices, not yet in the dtype)."""

    hp: dict
    input_shape: tuple
    arguments: tuple[np.ndarray, ...]


def draw_configuration(data: st.DataObject, spec: LayerSpec, nn: ModuleType) -> Configuration:
    """Valid constructor kwargs (in this release's signature), an input shape for them and
    the call's further arguments (a loss's target), covering the classes they fall in."""
    corner = corners.forced.get()
    hp = data.draw(spec.hyperparams(corner) if corner else spec.hyperparams(), label="hyperparams")
    in_release(nn, spec, hp)
    takes_corner = corner and spec.shape_takes_corner
    shapes = spec.input_shape(hp, corner) if takes_corner else spec.input_shape(hp)
    shape = tuple(data.draw(shapes, label="input_shape"))
    cover(*corners.covered(spec, hp, shape))
    arguments: tuple[np.ndarray, ...] = ()
    if spec.arguments is not None:
        drawn = data.draw(spec.arguments(hp, shape, corner or {}), label="arguments")
        arguments = tuple(drawn.values)
        cover(*(f"{dim}={value}" for dim, value in drawn.classes.items()))
    flight_recorder.record(
        f"{spec.name}(**{hp}) input_shape={shape}",
        configuration_snippet(nn.__name__, spec, hp, shape, arguments, "float32", "cpu"),
    )
    return Configuration(hp, shape, arguments)


def draw_input(
    data: st.DataObject, spec: LayerSpec, hp: dict, shape: tuple, top: float, label: str = "x"
) -> np.ndarray:
    """x for a call: indices as the spec draws them, else values over the whole domain
    (or of the running corner's value class)."""
    if spec.input_indices is not None:
        return data.draw(spec.input_indices(hp, shape), label=label)
    regimes = corners.forced_regimes(spec, "x")
    if spec.value_classes:
        cover(corners.value_label(spec))
    return data.draw(arrays(shape, top, label, regimes), label=label)


def draw_grad_output(data: st.DataObject, case: Case, top: float) -> np.ndarray:
    """grad_output for a case's output, rounded to its dtype: values over the whole domain
    up to |top|, or of the running corner's value class (whose class it covers)."""
    regimes = corners.forced_regimes(case.spec, "grad_output")
    if case.spec.value_classes:
        cover(corners.value_label(case.spec))
    out_shape = case.spec.out_shape(case.hp, case.input_shape)
    grad_y = data.draw(arrays(out_shape, top, "grad_y", regimes), label="grad_y")
    return as_received(grad_y, case.dtype)


def draw_case(
    data: st.DataObject,
    spec: LayerSpec,
    dtype: str,
    device: str,
    nn: ModuleType,
    training: bool | None = None,
    check: Check = Check.VALUES,
) -> Case:
    """A full case: config, input and parameter values rounded to `dtype`, mode.

    Cases a known failure covers for `check` are left out (tests/known_failures.py).
    """
    hp, shape, arguments = draw_configuration(data, spec, nn)
    if training is None:
        # The mode is drawn here, so it is a class this draw covers (a caller that fixes
        # the mode covers what it runs itself).
        corner = corners.forced.get()
        if corner:
            training = corner["mode"] == "train"
        else:
            training = data.draw(st.booleans(), label="training")
        cover(f"mode={'train' if training else 'eval'}")
    x, params, buffers = _draw_values(data, spec, hp, shape, dtype)
    case = Case(spec, hp, shape, training, x, params, buffers, dtype, device, nn.__name__)
    case.arguments = tuple(as_received(a, dtype) for a in arguments)
    case.left_out_for = check
    carve_out(check, case.where())
    note(case.describe())
    flight_recorder.record(case.describe(), crash_snippet(case))
    return case


def _draw_values(
    data: st.DataObject, spec: LayerSpec, hp: dict, shape: tuple, dtype: str
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """The input, parameter and buffer values of a call, rounded to `dtype`."""
    top = min(spec.max_magnitude, MAX_MAGNITUDE_BY_DTYPE.get(dtype, np.inf))
    x = as_received(draw_input(data, spec, hp, shape, top), dtype)
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
    return x, params, buffers


def judged_cases(
    data: st.DataObject,
    case: Case,
    check: Check = Check.VALUES,
    draw_more: Callable[[Case], Any] | None = None,
) -> Iterator[tuple[Case, Any]]:
    """`case`, then more of the same configuration with fresh values, on a path where
    building is the cost (compile once, judge many: ExecutionPath.judgements), each with
    what `draw_more` draws for it (a grad_output); on a path with dynamic shapes, each
    judgement draws its own input shape too. A path that bakes the parameters in (an
    inference runtime) keeps them; a judgement a known failure covers is skipped, not the
    example: an entry of what the first case was left out for (draw_case's check), of
    `check` or of a crash.

    Every judgement is drawn before the first one runs, in the order they would be drawn
    one by one: a draw is where a spent shrink budget turns away a candidate with values
    never run before (tests/shrink_budget.py), so one that changed only a later
    judgement's values is turned away before the module compiles or exports at its first
    call, not after. Each judgement is recorded as it is about to run, so a crash names
    it."""
    more = draw_more or (lambda _judged: None)
    drawn = [(case, more(case))]
    path = current_path()
    spec = case.spec
    for index in range(1, path.judgements):
        shape, arguments = case.input_shape, case.arguments
        if path.dynamic_shapes:
            shape = tuple(data.draw(spec.input_shape(case.hp), label=f"input_shape {index}"))
            if spec.arguments is not None:
                drawn_arguments = data.draw(
                    spec.arguments(case.hp, shape, {}), label=f"arguments {index}"
                )
                arguments = tuple(as_received(a, case.dtype) for a in drawn_arguments.values)
        x, params, buffers = _draw_values(data, spec, case.hp, shape, case.dtype)
        if Need.PARAMETERS not in path.provides:
            params, buffers = case.params, case.buffers
        again = dataclasses.replace(
            case,
            input_shape=shape,
            x=x,
            params=params,
            buffers=buffers,
            arguments=arguments,
            extra={},
        )
        # Left out as the first case was: for what draw_case carved it out for, and for
        # the property's own `check` on top.
        asked = (case.left_out_for, check, Check.SURVIVES)
        if any(known_failure(c, again.where()) for c in asked):
            continue
        note(f"judgement {index}: {again.describe()}")
        drawn.append((again, more(again)))
    return _recorded_as_they_run(drawn)


def _recorded_as_they_run(drawn: list[tuple[Case, Any]]) -> Iterator[tuple[Case, Any]]:
    for judged, more in drawn:
        flight_recorder.record(judged.describe(), crash_snippet(judged))
        yield judged, more


def load_values(module: torch.nn.Module, case: Case) -> torch.nn.Module:
    """The case's parameter and buffer values and mode, loaded into a built module (its
    gradients cleared): a module judged again on new values."""
    with torch.no_grad():
        for name, value in case.params.items():
            module.get_parameter(name).copy_(torch.from_numpy(value))
        for name, value in (case.buffers or {}).items():
            module.get_buffer(name).copy_(torch.from_numpy(value))
    module.zero_grad(set_to_none=True)
    module.train(case.training)
    return module


def constructor_kwargs(hp: dict) -> dict:
    """hp as the constructor takes it: a tensor argument (a loss's class weight, drawn as a
    spec.arguments.TensorValue) becomes a float64 tensor; .to(dtype) then rounds it."""
    return {
        name: torch.from_numpy(value.array()) if isinstance(value, TensorValue) else value
        for name, value in hp.items()
    }


def construct(nn: ModuleType, spec: LayerSpec, hp: dict, **factory: Any) -> torch.nn.Module:
    """`nn.<layer>(**hp)` as constructed, not moved or routed (factory kwargs passed on)."""
    return layer_class(nn, spec.name)(**constructor_kwargs(hp), **factory)


def build(nn: ModuleType, spec: LayerSpec, hp: dict, device: str, dtype: str) -> torch.nn.Module:
    """The module under test, constructed from `hp`, moved to device and dtype, and called
    through the execution path under test."""
    module = construct(nn, spec, hp)
    return route(module.to(device=device, dtype=torch_dtype(dtype)))


def build_case(nn: ModuleType, case: Case) -> torch.nn.Module:
    """The module for `case`, with the case's parameter and buffer values loaded.

    On a path without train mode (an inference runtime) the case runs in eval: the
    harness applies only what the path provides, and the reference follows the case.
    """
    if case.training and Need.TRAIN_MODE not in current_path().provides:
        case.training = False
        note(f"training=False: {current_path().name} runs eval only")
    return load_values(build(nn, case.spec, case.hp, case.device, case.dtype), case)


def unsupported_if_no_kernel(error: BaseException, what: str) -> None:
    """End the cell "unsupported" if `error` is torch lacking a kernel for the dtype."""
    if not isinstance(error, AssertionError) and UNSUPPORTED_DTYPE in str(error):
        # The backend has no kernel for this dtype: not a wrong answer.
        not_run("unsupported", f"{what}: {error}")


@contextlib.contextmanager
def kernels_for(what: str) -> Iterator[None]:
    """Calls of torch inside: a missing dtype kernel ends the cell "unsupported", as in
    call_valid; for tests that call modules (and optimizers) directly."""
    try:
        yield
    except Exception as error:
        unsupported_if_no_kernel(error, what)
        raise


def argument_tensors(case: Case, requires_grad: bool = False) -> tuple[torch.Tensor, ...]:
    """The case's further arguments as tensors: values in its dtype (leaves requiring grad
    when asked), indices as they are."""
    return tuple(
        to_torch(a, case.dtype, case.device, requires_grad=requires_grad) for a in case.arguments
    )


def call_valid(module: torch.nn.Module, x: torch.Tensor, *arguments: torch.Tensor) -> torch.Tensor:
    """module(x, *arguments) for a call the spec says is valid: rejecting it is a violation."""
    try:
        return module(x, *arguments)
    except Exception as error:
        unsupported_if_no_kernel(error, f"{type(module).__name__} on {x.device} for {x.dtype}")
        raise AssertionError(
            f"{type(module).__name__} rejected a valid input of shape {tuple(x.shape)} "
            f"on path {current_path().name}: {type(error).__name__}: {error}"
        ) from error


def run_with_probe(
    module: torch.nn.Module, x: torch.Tensor, arguments: tuple[torch.Tensor, ...] = ()
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """module(x, *arguments), plus a probe: a copy of the module on ones under the same RNG
    state (index 0 for an index input: the one index every table has).

    A stochastic layer draws the same random numbers for any input of the same shape,
    so the probe shows its realised randomness (a dropout mask) even where x is zero.
    The copy keeps buffers (BatchNorm running statistics) and parameters a forward
    rewrites (Embedding's max_norm) of the real module untouched; it runs on the real
    module's compiled graph or export (tests.paths.routing.copy_sharing_runner), not on
    one of its own.
    """
    devices = [x.device] if x.device.type == "cuda" else []
    probe_x = torch.zeros_like(x) if not x.is_floating_point() else torch.ones_like(x)
    probe_arguments = tuple(a.detach() for a in arguments)
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        probe_y = call_valid(copy_sharing_runner(module), probe_x.clone(), *probe_arguments)
    return call_valid(module, x, *arguments), to_numpy(probe_x), to_numpy(probe_y)


def inputs_for(case: Case, module: torch.nn.Module, randomness: Any = None) -> Inputs:
    """The reference's view of a call of `module` on the case: the buffers it holds now."""
    return Inputs(
        x=case.x,
        hp=case.hp,
        params=case.params,
        buffers=module_buffers(module),
        training=case.training,
        randomness=randomness,
        arguments=case.arguments,
    )
