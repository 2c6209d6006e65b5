"""Optimizers under test: the implementation seam, the implementations offered, a plan's run.

The implementation under test names its optimizers in an `optim` namespace; one without
(torch.nn itself, or a partial --impl) is tested on torch.optim's. Which implementations
torch offers on a device and dtype (for-loop, foreach, fused: OptimizerSpec.implementations)
is probed by building one and stepping it, never read from a table of releases.

A plan (spec/optimizer_plans.py) runs as a training loop would: zero_grad before each
step after the first, backward of sum(p * r) over the parameters in the loss, step().
Every step is judged by `check_step` on what torch held just before it.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import torch
from hypothesis import note

from report.interface import cover, not_run
from spec.optimizer_plans import Plan
from spec.optimizerspec import OptimizerSpec
from tests import flight_recorder, impl
from tests.cases import accepted_arguments, tally_missing_arguments
from tests.optimizer_carve_outs import implementation_fails_as_recorded, step_fails_as_recorded
from tests.optimizer_checks import Held, Run, check_step, hold, same_bits, violation
from tests.tensors import to_torch, torch_dtype

# How torch words a missing kernel for a dtype ("... not implemented for 'Half'").
UNSUPPORTED_DTYPE = "not implemented for"


def optim_namespace(nn: ModuleType) -> Any:
    """Where the implementation under test keeps its optimizers: its `optim`; torch.nn's
    are torch.optim. An implementation without one provides no optimizer to judge."""
    found = getattr(nn, "optim", None)
    if found is not None:
        return found
    if impl.is_torch(nn):
        return torch.optim
    not_run("not-provided", f"{nn.__name__} has no optim (its optimizers are not under test)")


def optimizer_class(nn: ModuleType, spec: OptimizerSpec) -> type:
    """`optim.<name>`, or the cell ends as not provided (or not in this release)."""
    namespace = optim_namespace(nn)
    found = getattr(namespace, spec.name, None)
    if found is None:
        if namespace is torch.optim:
            not_run("not-in-release", f"torch {torch.__version__} has no torch.optim.{spec.name}")
        not_run("not-provided", f"{nn.__name__}.optim has no {spec.name}")
    return found


# The learning rate of the probe's one step.
PROBE_LR = 0.1


@functools.cache
def _refusal(cls: type, flags: tuple, device: str, dtype: str) -> str | None:
    """Why `cls(**flags)` cannot step a `dtype` parameter on `device`, or None."""
    try:
        p = torch.zeros(2, device=device, dtype=torch_dtype(dtype), requires_grad=True)
        # lr given: SGD's had no default before torch 2.2, and the probe asks only
        # whether the implementation steps this parameter, not what a default is.
        optimizer = cls([p], lr=PROBE_LR, **dict(flags))
        p.grad = torch.ones_like(p)
        optimizer.step()
    except Exception as error:  # any refusal: the flag, the device or the dtype
        return f"{type(error).__name__}: {error}".splitlines()[0]
    return None


def offered(cls: type, spec: OptimizerSpec, device: str, dtype: str) -> dict[str, Mapping]:
    """The implementations that step a parameter of this device and dtype, by name."""
    chosen, refused = {}, {}
    for name, flags in spec.implementations.items():
        why = _refusal(cls, tuple(sorted(flags.items())), device, dtype)
        if why is None:
            chosen[name] = flags
        else:
            refused[name] = why
    for name in chosen:
        cover(f"implementation={name}")
    for name in refused:
        cover(f"implementation={name}: not offered")
    if not chosen:
        reasons = "; ".join(f"{name}: {why}" for name, why in refused.items())
        # One implementation lacking the dtype's kernel (2.1.2's for-loop and foreach Adam
        # in float16) where the others are not offered at all (fused on a CPU before
        # 2.4): the release has no kernel for the dtype.
        if any(UNSUPPORTED_DTYPE in why for why in refused.values()):
            not_run("unsupported", f"{spec.name} on {device} for {dtype}: {reasons}")
        not_run("not-provided", f"no implementation of {spec.name} steps here: {reasons}")
    return chosen


def in_release(cls: type, spec: OptimizerSpec, kwargs: dict, nn: ModuleType) -> dict | None:
    """`kwargs` as this release's constructor takes them, or None where it cannot.

    An argument the constructor lacks (Adam's decoupled_weight_decay before 2.7) is dropped
    where it asks for the documented default, which is the release's own behaviour; set
    otherwise, the configuration cannot run: the tally names the missing argument (a cell
    whose every configuration needed one ends "not-in-release"). A documented default the
    release's constructor lacks is passed explicitly.
    """
    accepted = accepted_arguments(cls)
    missing = [] if accepted is None else sorted(set(kwargs) - accepted)
    needed = [name for name in missing if kwargs[name] != spec.defaults.get(name, object())]
    if needed:
        tally_missing_arguments(nn, spec.name, needed)
        return None
    taken = {name: value for name, value in kwargs.items() if name not in missing}
    # A default the law counts on that this release's constructor lacks or spells
    # otherwise (SGD's lr had none before torch 2.2) is given explicitly: the update law
    # is judged all the same, and the default is that release's documented signature.
    constructor = inspect.signature(cls).parameters
    for name, value in spec.defaults.items():
        if name not in taken and name in constructor and constructor[name].default != value:
            taken[name] = value
    return taken


def build_params(plan: Plan, dtype: str, device: str) -> list[torch.Tensor]:
    return [
        to_torch(value, dtype, device, requires_grad=trainable)
        for value, trainable in zip(plan.params, plan.trainable, strict=True)
    ]


def zero_grad(optimizer: torch.optim.Optimizer, params: list, call: str, run: Run, step: int):
    """The plan's call before a step, and its documented effect on every gradient."""
    if call == "skipped":
        return
    had = [p.grad is not None for p in params]
    optimizer.zero_grad(set_to_none=call == "set_to_none")
    for i, (p, held) in enumerate(zip(params, had, strict=True)):
        if call == "set_to_none" and p.grad is not None:
            raise violation(run, step, f"zero_grad(set_to_none=True) left parameter {i} a gradient")
        if call == "zeros":
            if (p.grad is not None) != held:
                raise violation(run, step, f"zero_grad(set_to_none=False) changed whether "
                                f"parameter {i} has a gradient ({held} before)")  # fmt: skip
            if held and not bool((p.grad == 0).all()):
                raise violation(run, step, f"zero_grad(set_to_none=False) left parameter {i}'s "
                                "gradient nonzero")  # fmt: skip


def backward(params: list[torch.Tensor], losses: tuple, dtype: str, device: str) -> None:
    """backward of sum(p * r) over the parameters in the step's loss: p.grad += r."""
    terms = [
        (p * to_torch(r, dtype, device)).sum()
        for p, r in zip(params, losses, strict=True)
        if r is not None
    ]
    loss = sum(terms, torch.zeros((), dtype=torch_dtype(dtype), device=device))
    if loss.requires_grad:
        with warnings.catch_warnings():
            # A size-0 parameter's gradient has strides autograd calls a layout mismatch:
            # a performance note, not a conformance matter.
            warnings.filterwarnings("ignore", "grad and param do not obey the gradient layout")
            loss.backward()


def skipped_as_recorded(cls: type, run: Run) -> bool:
    """Whether the implementation is inside a whole-implementation carve-out (still failing)."""
    outcome = implementation_fails_as_recorded(cls, run)
    if outcome:
        raise violation(run, 0, outcome)
    return outcome == ""


def failed_as_recorded(run: Run, step: int, optimizer, params) -> bool:
    """Whether the step is inside a step-level carve-out and failed as it records."""
    outcome = step_fails_as_recorded(run, optimizer, params)
    if outcome:
        raise violation(run, step, outcome)
    return outcome == ""


def train(cls: type, run: Run) -> None:
    """Run the plan as a training loop, judging every step (tests/optimizer_checks.py)."""
    if skipped_as_recorded(cls, run):
        return
    plan, dtype, device = run.plan, run.dtype, run.device
    params = build_params(plan, dtype, device)
    optimizer = cls(params, **run.kwargs)
    for step in range(plan.steps):
        if step:
            zero_grad(optimizer, params, plan.zero_grad[step - 1], run, step)
        backward(params, plan.losses[step], dtype, device)
        before = [hold(optimizer, p) for p in params]
        run.grads.append([held.grad for held in before])
        flight_recorder.record(run.describe(step), run.repro())
        if failed_as_recorded(run, step, optimizer, params):
            return  # the step raised as the recorded torch failure says: nothing to judge
        optimizer.step()
        check_step(run, step, before, [hold(optimizer, p) for p in params])


def mirror(cls: type, run: Run) -> None:
    """maximize=m on gradients g steps bit for bit as maximize=(not m) on -g, every step.

    The gradients are assigned, not accumulated, so the mirror's are exactly -g.
    """
    if skipped_as_recorded(cls, run):
        return
    maximize = bool(run.hp.get("maximize", False))
    runs = []
    for flip, sign in ((maximize, 1.0), (not maximize, -1.0)):
        params = build_params(run.plan, run.dtype, run.device)
        runs.append((params, cls(params, **{**run.kwargs, "maximize": flip}), sign))
    for step, losses in enumerate(run.plan.losses):
        held: list[list[Held]] = []
        for params, optimizer, sign in runs:
            for p, r in zip(params, losses, strict=True):
                p.grad = None if r is None else to_torch(sign * r, run.dtype, run.device)
            if sign > 0:
                run.grads.append(
                    [None if p.grad is None else hold(optimizer, p).grad for p in params]
                )
                flight_recorder.record(run.describe(step), run.repro())
            if failed_as_recorded(run, step, optimizer, params):
                return  # the step raised as the recorded torch failure says
            optimizer.step()
            held.append([hold(optimizer, p) for p in params])
        for i, (a, b) in enumerate(zip(*held, strict=True)):
            if not same_bits(a, b):
                note(f"maximize={maximize} on g: {a.value!r} {a.state!r}")
                note(f"maximize={not maximize} on -g: {b.value!r} {b.state!r}")
                raise violation(run, step, f"parameter {i}: maximize={maximize} on g and "
                                f"maximize={not maximize} on -g differ")  # fmt: skip
