"""How sharp are the optimizer bounds? Measured on torch, per optimizer x implementation x
quantity x dtype.

For many drawn runs (the suite's own plans, general arithmetic, finite gradients), every
step of every implementation torch offers is compared with the reference as the
optimizer_steps property does, and per step and quantity (the parameter, each state
value) two numbers are kept over its inexact elements (bound > 0):

- used: max |torch - law| / bound (1 would fail);
- caught at: the smallest relative perturbation delta such that torch's value scaled by
  (1 + delta) breaks the bound somewhere.

Also counted: the share of elements judged exact (bound 0) and of finite elements the
dtype cannot resolve (bound inf: Adam's denominator within its error of zero). The table gives
the median, 99th percentile and maximum of `used` and the median of `caught at`.

    python bench/optimizer_sharpness.py [--runs 100] [--dtypes float32,...]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
from hypothesis import HealthCheck, given, seed, settings, strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spec.optimizer_plans import configurations, run_corners  # noqa: E402
from spec.optimizerspec import OptimizerSpec, StepInputs  # noqa: E402
from spec.registry import OPTIMIZERS  # noqa: E402
from tests.cases import MAX_MAGNITUDE_BY_DTYPE  # noqa: E402
from tests.optimizer_checks import hold  # noqa: E402
from tests.tensors import to_torch  # noqa: E402

DTYPES = ("float32", "float64", "float16", "bfloat16")
DELTA_LOW, DELTA_HIGH, BISECTIONS = 1e-18, 1e3, 60
# The implementations whose runs are known to fail (tests/optimizer_carve_outs.py).
SKIP = {("SGD", "fused", "float16"), ("SGD", "fused", "bfloat16")}


def caught_at(actual: np.ndarray, expected: np.ndarray, bound: np.ndarray) -> float:
    judged = np.isfinite(expected) & np.isfinite(actual) & (actual != 0) & (bound > 0)
    if not judged.any():
        return math.inf

    def caught(delta: float) -> bool:
        moved = actual[judged] * (1 + delta)
        return bool((np.abs(moved - expected[judged]) > bound[judged]).any())

    low, high = DELTA_LOW, DELTA_HIGH
    if not caught(high):
        return math.inf
    for _ in range(BISECTIONS):
        middle = math.sqrt(low * high)
        low, high = (low, middle) if caught(middle) else (middle, high)
    return high


def draws(spec: OptimizerSpec, dtype: str, runs: int) -> list:
    top = min(spec.max_magnitude, MAX_MAGNITUDE_BY_DTYPE.get(dtype, np.inf))
    found = []
    corners = [dict(c, arithmetic="general", gradient="values") for c in run_corners(spec.corners)]

    @seed(20261205)
    @settings(max_examples=runs, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        corner = data.draw(st.sampled_from(corners))
        found.append(data.draw(configurations(spec, corner, top)))

    draw()
    return found


def measure(spec: OptimizerSpec, dtype: str, runs: int) -> dict:
    rows: dict[tuple[str, str], dict] = {}
    for hp, kwargs, plan in draws(spec, dtype, runs):
        for name, flags in spec.implementations.items():
            if (spec.name, name, dtype) in SKIP:
                continue
            params = [to_torch(v, dtype, "cpu", requires_grad=t)
                      for v, t in zip(plan.params, plan.trainable, strict=True)]  # fmt: skip
            optimizer = getattr(torch.optim, spec.name)(params, **kwargs, **flags)
            for losses in plan.losses:
                for p, r in zip(params, losses, strict=True):
                    finite = None if r is None else np.nan_to_num(r, nan=0.5, posinf=1, neginf=-1)
                    p.grad = None if finite is None else to_torch(finite, dtype, "cpu")
                before = [hold(optimizer, p) for p in params]
                try:
                    optimizer.step()
                except TypeError:
                    break  # fused SGD's late first gradient (tests/optimizer_carve_outs.py)
                after = [hold(optimizer, p) for p in params]
                for old, new in zip(before, after, strict=True):
                    if old.grad is None or old.value.size == 0:
                        continue
                    inputs = StepInputs(old.value, old.grad, old.state, hp)
                    law_param, law_state = spec.step(inputs)
                    bounds = spec.step_error(inputs, dtype)
                    pairs = [("param", new.value, law_param)]
                    pairs += [(k, new.state[k], law_state[k]) for k in law_state if k != "step"]
                    for quantity, actual, expected in pairs:
                        bound = np.broadcast_to(bounds[quantity], expected.shape)
                        row = rows.setdefault((name, quantity), {"used": [], "caught": [],
                                                                 "exact": 0, "open": 0,
                                                                 "all": 0})  # fmt: skip
                        judged = np.isfinite(expected) & np.isfinite(bound) & (bound > 0)
                        row["exact"] += int((bound == 0).sum())
                        row["open"] += int((np.isinf(bound) & np.isfinite(expected)).sum())
                        row["all"] += expected.size
                        if judged.any():
                            with np.errstate(invalid="ignore"):
                                used = np.abs(actual - expected)[judged] / bound[judged]
                            row["used"].append(float(used.max()))
                            row["caught"].append(caught_at(actual, expected, bound))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--dtypes", default=",".join(DTYPES))
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| optimizer | implementation | quantity | dtype | used: median | p99 | max | "
          "caught at: median | exact | unresolved |")  # fmt: skip
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for spec in OPTIMIZERS:
        for dtype in args.dtypes.split(","):
            for (impl, quantity), row in sorted(measure(spec, dtype, args.runs).items()):
                used = np.array(row["used"]) if row["used"] else np.array([np.nan])
                caught = np.array([c for c in row["caught"] if math.isfinite(c)] or [np.nan])
                share = row["exact"] / max(row["all"], 1)
                unresolved = row["open"] / max(row["all"], 1)
                print(f"| {spec.name} | {impl} | {quantity} | {dtype} | {np.median(used):.3f} | "
                      f"{np.percentile(used, 99):.3f} | {used.max():.3f} | "
                      f"{np.median(caught):.2g} | {share:.0%} | {unresolved:.1%} |")  # fmt: skip


if __name__ == "__main__":
    main()
