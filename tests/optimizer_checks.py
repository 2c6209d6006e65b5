"""Judging an optimizer step: every parameter and its state against the update law.

Each step is judged on exactly what torch held just before it (the parameter, its
gradient, its state), so an error is one step's error, never a run's accumulation:
- a parameter without a gradient is skipped: it and its state stay bitwise unchanged;
- otherwise the state holds exactly the law's names, each with the parameter's shape,
  dtype and device (a step count excepted: a scalar), and the parameter and every state
  value equal the reference step within the spec's bound (0: exactly, -0.0 == 0.0);
- non-finite values: where an input of the step is NaN and the reference is NaN, torch
  is NaN (NaN propagates whatever the algorithm); where the reference is otherwise not
  finite (infinite operands), torch is not finite either: an infinity of the reference's
  sign, or NaN, since IEEE results with infinite operands depend on how an algorithm
  associates the law (inf - inf in one order, inf in another).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from report.interface import ConformanceError, Failure, cover
from spec.dyadic import LARGEST
from spec.optimizer_plans import Plan
from spec.optimizerspec import UNDETERMINED, OptimizerSpec, StepInputs
from tests.optimizer_carve_outs import carved_elements, law_hyperparameters
from tests.repro import literal
from tests.tensors import bits, to_numpy

# The state entry that counts steps: a scalar, not a tensor of the parameter's shape.
STEP_COUNT = "step"


@dataclass
class Run:
    """One plan run through one implementation: what failure messages and repros name."""

    spec: OptimizerSpec
    hp: dict  # the law's hyperparameters, every one
    kwargs: dict  # what the constructor got: hp (documented defaults perhaps left out) + flags
    implementation: str
    plan: Plan
    dtype: str
    device: str
    impl: str  # the module name of the implementation under test
    # Per step so far: the gradient each parameter held when step() ran (None: none).
    grads: list[list[np.ndarray | None]] = field(default_factory=list)

    def describe(self, step: int | None = None) -> str:
        shapes = [tuple(p.shape) for p in self.plan.params]
        frozen = [i for i, t in enumerate(self.plan.trainable) if not t]
        at = f", step {step + 1} of {self.plan.steps}" if step is not None else ""
        return (
            f"{self.spec.name}(**{self.kwargs}) [{self.implementation}] params {shapes} "
            f"frozen {frozen} zero_grad {list(self.plan.zero_grad)} "
            f"device={self.device} dtype={self.dtype}{at}"
        )

    def repro(self, what: str = "") -> str:
        """torch and the implementation alone: the parameters, the gradients torch held at
        each step so far, the steps, and what they left."""
        lines = [
            "import importlib",
            "",
            "import torch",
            "",
            f"optim = getattr(importlib.import_module({self.impl!r}), 'optim', torch.optim)",
            f"dtype, device = torch.{self.dtype}, {self.device!r}",
            "params = [",
        ]
        for value, trainable in zip(self.plan.params, self.plan.trainable, strict=True):
            tensor = f"torch.tensor({literal(value)}, dtype=torch.float64).reshape({value.shape})"
            lines.append(f"    {tensor}.to(device, dtype).requires_grad_({trainable}),")
        lines += ["]", f"optimizer = optim.{self.spec.name}(params, **{self.kwargs!r})"]
        lines.append("grads = [  # per step: the gradient each parameter holds when step() runs")
        for step in self.grads:
            held = ", ".join("None" if g is None else literal(g) for g in step)
            lines.append(f"    [{held}],")
        lines += [
            "]",
            "for held in grads:",
            "    for p, g in zip(params, held):",
            "        p.grad = None if g is None else "
            "torch.tensor(g, dtype=torch.float64).reshape(p.shape).to(device, dtype)",
            "    optimizer.step()",
            "for i, p in enumerate(params):",
            "    print(i, p.tolist(), {k: v.tolist() for k, v in optimizer.state[p].items()})",
        ]
        if what:
            lines.append(f"# {what}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Held:
    """A parameter as the optimizer left it or found it: float64 copies and its bits."""

    value: np.ndarray
    bits: torch.Tensor
    grad: np.ndarray | None
    state: dict[str, np.ndarray]
    state_bits: dict[str, torch.Tensor]
    layout: tuple  # the parameter's (shape, dtype, device)
    state_layout: dict[str, tuple]  # (shape, dtype, device) of each state tensor


def hold(optimizer: torch.optim.Optimizer, p: torch.Tensor) -> Held:
    state = {k: v for k, v in optimizer.state.get(p, {}).items() if isinstance(v, torch.Tensor)}
    return Held(
        value=to_numpy(p),
        bits=bits(p).clone(),
        grad=None if p.grad is None else to_numpy(p.grad),
        state={k: to_numpy(v) for k, v in state.items()},
        state_bits={k: bits(v).clone() for k, v in state.items()},
        layout=(tuple(p.shape), p.dtype, p.device),
        state_layout={k: (tuple(v.shape), v.dtype, v.device) for k, v in state.items()},
    )


def violation(run: Run, step: int, message: str) -> ConformanceError:
    """A law broken that is not a value comparison (a key, a flag, a gradient left behind)."""
    failure = Failure(f"{run.spec.name}: {message}", example=run.describe(step), repro=run.repro())
    error = ConformanceError(failure, f"{failure.message}: {run.describe(step)}")
    error.add_note("repro (torch alone):\n" + failure.repro)
    return error


def check_step(run: Run, step: int, before: list[Held], after: list[Held]) -> None:
    """One step of every parameter against the law (see the module docstring)."""
    spec, hp = run.spec, law_hyperparameters(run)
    for i, (old, new) in enumerate(zip(before, after, strict=True)):
        if old.grad is None:
            _unchanged(run, step, i, old, new)
            continue
        inputs = StepInputs(param=old.value, grad=old.grad, state=old.state, hp=hp)
        expected_param, expected_state = spec.step(inputs)
        bounds = spec.step_error(inputs, run.dtype)
        names = set(spec.state_names(hp))
        if set(new.state) != names:
            raise violation(run, step, f"parameter {i}'s state holds {sorted(new.state)}, the law "
                            f"{sorted(names)}")  # fmt: skip
        _layout(run, step, i, new)
        had_nan = np.isnan(old.value) | np.isnan(old.grad)
        for value in old.state.values():
            if np.shape(value) == np.shape(old.value):
                had_nan = had_nan | np.isnan(value)
        carved = {
            name: carved_elements(run, name, old.state, expected_state, new.state[name])
            for name in sorted(names)
        }
        # A parameter element fed by a carved state element is the recorded failure's too:
        # the law steps with its own state (NaN), torch with the one it kept (finite at lr 0).
        tainted = np.zeros(np.shape(old.value), dtype=bool)
        for covered in carved.values():
            if np.shape(covered) == np.shape(old.value):
                tainted |= covered
        # Nor does the law's NaN-in, NaN-out hold there: the NaN it propagates is the one
        # torch's kept maximum replaced (an inf maximum makes the step 0, the parameter
        # finite; float16 AdamW, seed 213 of the float16 training-steps sweep).
        param_bound = np.where(tainted, UNDETERMINED, bounds["param"])
        param_nan = had_nan & ~tainted
        assert_law(new.value, expected_param, param_bound, param_nan, "param", i, run, step)
        for name, covered in carved.items():
            nan_in = had_nan if np.shape(expected_state[name]) == np.shape(old.value) else False
            # Where a carve-out covers an element (and has confirmed it failing as
            # recorded), torch's own value, exactly.
            expected = np.where(covered, new.state[name], expected_state[name])
            bound = np.where(covered, 0.0, bounds[name])
            assert_law(new.state[name], expected, bound, nan_in, name, i, run, step)


def _unchanged(run: Run, step: int, i: int, old: Held, new: Held) -> None:
    if not torch.equal(new.bits, old.bits):
        raise violation(run, step, f"parameter {i} has no gradient, yet the step changed it")
    same = set(new.state) == set(old.state) and all(
        torch.equal(new.state_bits[k], old.state_bits[k]) for k in old.state
    )
    if not same:
        raise violation(run, step, f"parameter {i} has no gradient, yet the step changed its state")


def _layout(run: Run, step: int, i: int, held: Held) -> None:
    shape, dtype, device = held.layout
    for name, (s, d, dev) in held.state_layout.items():
        if name != STEP_COUNT and (s, d, dev) != (shape, dtype, device):
            raise violation(run, step, f"parameter {i}'s {name} is {s} {d} on {dev}, the parameter "
                            f"{shape} {dtype} on {device}")  # fmt: skip


def assert_law(
    actual: np.ndarray,
    expected: np.ndarray,
    bound: np.ndarray,
    had_nan: np.ndarray | bool,
    quantity: str,
    index: int,
    run: Run,
    step: int,
) -> None:
    """Parameter `index`'s `quantity` ("param" or a state name) follows the law: within
    `bound` of `expected`, non-finite as the law says."""
    what = f"parameter {index}" + ("" if quantity == "param" else f"'s {quantity}")
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise violation(run, step, f"{what} has shape {actual.shape}, the law {expected.shape}")
    bound = np.broadcast_to(np.asarray(bound, np.float64), expected.shape)
    had_nan = np.broadcast_to(had_nan, expected.shape)
    finite = np.isfinite(expected)
    propagated = had_nan & np.isnan(expected)
    wrong = propagated & ~np.isnan(actual)
    infinite_operands = ~finite & ~propagated
    wrong |= infinite_operands & np.isfinite(actual)
    wrong |= infinite_operands & np.isinf(expected) & np.isinf(actual) & (actual != expected)
    with np.errstate(invalid="ignore"):
        error = np.abs(actual - expected)
        # A reference within its bound of the dtype's largest value may overflow to inf.
        overflow = (np.abs(expected) + bound > LARGEST[run.dtype]) & (
            actual == np.copysign(np.inf, expected)
        )
        within = (error <= bound) | np.isposinf(bound) | overflow
    wrong |= finite & ~within
    # UNDETERMINED: any value is the law's. A bound that is NaN because the step's inputs
    # were (NaN gradient squared) is no such verdict: the law's NaN must come out.
    wrong &= ~(np.isnan(bound) & ~propagated)
    if (finite & (bound == 0)).any():
        cover(f"exact={quantity}")
    if not wrong.any():
        return
    worst_at = tuple(int(k) for k in np.argwhere(wrong)[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = error / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    if propagated[worst_at]:
        allowed = "NaN in, NaN out"
    else:
        allowed = f"allowed |error| {bound[worst_at]:.3e}"
        allowed += " (exact)" if bound[worst_at] == 0 else ""
    worst = f"torch {actual[worst_at]!r}, law {expected[worst_at]!r}, {allowed}"
    at = f"after step {step + 1} [{run.implementation}]"
    failure = Failure(
        message=f"{run.spec.name} {what} {at} breaks the law",
        example=run.describe(step),
        max_abs_error=float(np.nanmax(np.where(finite, error, 0.0), initial=0.0)),
        max_rel_error=float(np.nanmax(np.where(finite, relative, 0.0), initial=0.0)),
        index=list(worst_at),
        repro=run.repro(f"{what}{list(worst_at)}: {worst}"),
    )
    text = (
        f"{failure.message}: {run.describe(step)}\n  element {worst_at}: {worst}; "
        f"{int(wrong.sum())} of {wrong.size} elements break it"
    )
    error_to_raise = ConformanceError(failure, text)
    error_to_raise.add_note("repro (torch alone):\n" + failure.repro)
    raise error_to_raise


def same_bits(a: Held, b: Held) -> bool:
    """Whether two runs left a parameter and its state bit for bit alike (any NaN == any NaN)."""

    def alike(x: torch.Tensor, y: torch.Tensor, vx: np.ndarray, vy: np.ndarray) -> bool:
        both_nan = np.isnan(vx) & np.isnan(vy)
        equal = (x == y).cpu().numpy()
        return bool((equal | both_nan).all())

    if set(a.state) != set(b.state) or not alike(a.bits, b.bits, a.value, b.value):
        return False
    return all(alike(a.state_bits[k], b.state_bits[k], a.state[k], b.state[k]) for k in a.state)
