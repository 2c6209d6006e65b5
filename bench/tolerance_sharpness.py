"""How sharp is each tolerance? Measured on torch, per layer x quantity x dtype.

For many drawn cases (the suite's own strategies), torch's output and gradients are
compared with the reference as the gradients property does, and two numbers are kept
per case and quantity (output, input gradient, each parameter gradient):

- used: max over elements of |torch - reference| / allowed bound: how much of the
  bound torch's real error uses (1 would fail);
- caught at: the smallest relative perturbation delta such that torch's result scaled
  by (1 + delta) fails the comparison: how small a bug the bound lets through here.

The table gives the median, 99th percentile and maximum of `used`, and the delta at
which 99% of cases catch the perturbation (among cases whose value is not all zeros,
which no relative perturbation changes; those are counted apart). A bound far looser
than torch's real error (a 99th percentile of `used` below 1/100) is one a bug can hide
in.

    python bench/tolerance_sharpness.py [--cases 200] [--dtypes float32,...] [--layers ...]
        [--switch fp32-bf16]

Under a backend switch (tests/backend_switches.py) the cases run with it set, and judged
with the bound a cell under it gets.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from hypothesis import HealthCheck, given, seed, settings, strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spec.dtypes import DTYPES  # noqa: E402
from spec.layerspec import LayerSpec  # noqa: E402
from spec.registry import LAYERS  # noqa: E402
from spec.values import arrays  # noqa: E402
from tests import backend_switches  # noqa: E402
from tests.assertions import tolerance_bound  # noqa: E402
from tests.cases import (  # noqa: E402
    argument_tensors,
    build_case,
    draw_case,
    inputs_for,
    run_with_probe,
)
from tests.known_failures import Check, carve_out  # noqa: E402
from tests.tensors import as_received, to_numpy, to_torch  # noqa: E402

GRAD_MAGNITUDE = 10.0
# Bisection bounds for the smallest caught relative perturbation.
DELTA_LOW, DELTA_HIGH, BISECTIONS = 1e-18, 1e3, 60


def _caught_at(actual: np.ndarray, expected: np.ndarray, bound: np.ndarray) -> float:
    """The smallest delta > 0 for which actual * (1 + delta) leaves the bound somewhere."""
    finite = np.isfinite(expected) & np.isfinite(actual) & (actual != 0)
    if not finite.any():
        return math.inf

    def caught(delta: float) -> bool:
        moved = actual[finite] * (1 + delta)
        return bool((np.abs(moved - expected[finite]) > bound[finite]).any())

    if not caught(DELTA_HIGH):
        return math.inf
    low, high = math.log(DELTA_LOW), math.log(DELTA_HIGH)
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        low, high = (low, middle) if caught(math.exp(middle)) else (middle, high)
    return math.exp(high)


def _used(actual: np.ndarray, expected: np.ndarray, bound: np.ndarray) -> float:
    error = np.abs(actual - expected)
    both = np.isfinite(error)
    if not both.any():
        return 0.0
    return float(np.max(error[both] / np.maximum(bound[both], 1e-300)))


def measure(layer: LayerSpec, dtype: str, cases: int, run_seed: int) -> dict[str, dict[str, list]]:
    """{quantity: {"used": [...], "caught": [...]}} over `cases` drawn cases."""
    found: dict[str, dict[str, list]] = {}

    @settings(
        max_examples=cases,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        case = draw_case(data, layer, dtype, "cpu", torch.nn)
        # Recorded crashes and failures are not measured: they would end the run.
        carve_out(Check.SURVIVES, case.where())
        module = build_case(torch.nn, case)
        x = to_torch(case.x, dtype, "cpu", requires_grad=True)
        out_shape = layer.out_shape(case.hp, case.input_shape)
        grad_y = as_received(data.draw(arrays(out_shape, GRAD_MAGNITUDE, "grad_y")), dtype)
        before = inputs_for(case, module)
        try:
            arguments = argument_tensors(case, requires_grad=True)
            y, probe_x, probe_y = run_with_probe(module, x.clone(), arguments)
            y.backward(to_torch(grad_y, dtype, "cpu"))
        except BaseException:  # unsupported dtypes, carved-out crashes: not measured
            return
        inputs = before.replace(
            randomness=layer.recover_randomness(probe_x, probe_y, case.hp, case.training)
        ).with_grad(grad_y)
        pairs = {"output": (to_numpy(y), layer.forward(inputs)[0], layer.forward_error(inputs))}
        scales = layer.vjp_error(inputs)
        expected = layer.vjp(inputs)
        actual = {"input": x.grad} | {n: p.grad for n, p in module.named_parameters()}
        actual |= {n: a.grad for n, a in zip(layer.argument_names, arguments, strict=True)}
        for name, reference in expected.items():
            if actual.get(name) is not None:
                pairs[name] = (to_numpy(actual[name]), reference, scales[name])
        for name, (got, want, scale) in pairs.items():
            bound = np.broadcast_to(tolerance_bound(dtype, scale), np.shape(want))
            entry = found.setdefault(name, {"used": [], "caught": []})
            entry["used"].append(_used(np.asarray(got), np.asarray(want), bound))
            entry["caught"].append(_caught_at(np.asarray(got), np.asarray(want), bound))

    seed(run_seed)(one)()
    return found


def summarise(values: list[float]) -> tuple[float, float, float]:
    array = np.asarray(values, dtype=np.float64)
    return (
        float(np.median(array)),
        float(np.quantile(array, 0.99, method="higher")),
        float(array.max()),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--dtypes", default=",".join(DTYPES))
    parser.add_argument("--layers", default="")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--json", default="")
    parser.add_argument(
        "--switch", default=backend_switches.DEFAULT, choices=backend_switches.SWITCHES
    )
    args = parser.parse_args(argv)
    switch = backend_switches.SWITCHES[args.switch]
    torch.set_num_threads(1)
    wanted = {name for name in args.layers.split(",") if name}
    rows = []
    started = time.perf_counter()
    for layer in LAYERS:
        if wanted and layer.name not in wanted:
            continue
        for dtype in args.dtypes.split(","):
            with switch.active(reached=switch.reaches_test({"layer": layer})):
                measured = measure(layer, dtype, args.cases, args.seed)
            for quantity, entry in measured.items():
                median, p99, most = summarise(entry["used"])
                # Cases whose value is all zeros cannot show a relative perturbation:
                # counted apart; the threshold is over the others.
                caught_at = np.asarray(entry["caught"])
                finite = caught_at[np.isfinite(caught_at)]
                caught = (
                    float(np.quantile(finite, 0.99, method="higher")) if finite.size else math.inf
                )
                rows.append(
                    {
                        "layer": layer.name,
                        "quantity": quantity,
                        "dtype": dtype,
                        "cases": len(entry["used"]),
                        "used_median": median,
                        "used_p99": p99,
                        "used_max": most,
                        "caught_at_99": caught,
                        "all_zero": int(caught_at.size - finite.size),
                    }
                )
    print(
        "| layer | quantity | dtype | cases | used: median | p99 | max | caught at (99%) "
        "| all-zero cases |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['layer']} | {r['quantity']} | {r['dtype']} | {r['cases']} | "
            f"{r['used_median']:.2g} | {r['used_p99']:.2g} | {r['used_max']:.2g} | "
            f"{r['caught_at_99']:.2g} | {r['all_zero']} |"
        )
    print(f"\n{len(rows)} rows in {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
