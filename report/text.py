"""Small wording shared by the Markdown page, the HTML page and the terminal summary."""

from __future__ import annotations

from typing import Any

from report import interface, outcomes


def headline(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs describing the run: torch, devices, dtypes, impl, profile, seed."""
    env, run = document["environment"], document["run"]
    shared = "differs per shard"

    def value(v: Any) -> str:
        if v is None:
            return shared
        if isinstance(v, list):
            return ", ".join(map(str, v)) or "none"
        return str(v)

    pairs = [
        ("torch", value(env.get("torch"))),
        ("devices", value(run["devices"])),
        ("dtypes", value(run["dtypes"])),
        ("impl", value(run["impl"])),
        ("profile", value(run["profile"])),
        ("seed", value(run["seed"])),
    ]
    if document["kind"] == "merged":
        pairs.append(("shards", str(len(document["shards"]))))
    return pairs


CONTRACT_COLUMNS = ("layer", "implemented_by", "module", "lacks", "defaults")


def contract_rows(document: dict[str, Any]) -> list[list[str]]:
    """The contract table: one row per layer the contract property saw (its outcome
    first), shown when the implementation is not torch.nn or a row differs from torch."""
    rows = {}
    for result in document["results"]:
        row = result.get("contract")
        if row:
            rows[row.get("layer", result["layer"])] = [result["outcome"]] + [
                row.get(column, "") for column in CONTRACT_COLUMNS
            ]
    torch_itself = document["run"].get("impl") in ("torch.nn", None)
    differs = any(r[4] != "-" or r[5] != "as torch's" or r[3] != "True" for r in rows.values())
    return [rows[k] for k in sorted(rows)] if rows and (differs or not torch_itself) else []


def cell_values(result: dict[str, Any]) -> list[str]:
    """A result's cell in words: its value in every dimension that says something (not
    '-', and not a dimension's usual value, such as the eager path)."""
    usual = {dim.name: dim.usual for dim in interface.SUB_DIMENSIONS}
    return [
        result[name]
        for name in interface.DIMENSIONS
        if result.get(name, interface.NONE) not in (interface.NONE, usual.get(name))
    ]


def totals(document: dict[str, Any]) -> str:
    summary = document["summary"]
    return f"{summary['total']} results: {outcomes.rollup(summary['by_outcome'])}"


def shard_label(shard: dict[str, Any]) -> str:
    """`host (cpu, cuda:0) 1a2b3c4d`: enough to tell two CI machines apart."""
    devices = ", ".join(shard["run"]["devices"]) or "no devices"
    host = shard["environment"].get("hostname") or "unknown host"
    return f"{host} ({devices}) {shard['run_id'][:8]}"


def example_heading(failure: dict[str, Any]) -> str:
    """`Example (shrunk)`, or why the example is the first failing one found."""
    why = failure.get("not_minimal")
    return f"Example (not shrunk: {why})" if why else "Example (shrunk)"


def error_line(failure: dict[str, Any]) -> str:
    """`max abs error 0.003 · max rel error 1e-05 · at index [0, 2]`, or ''."""
    parts = []
    if failure.get("max_abs_error") is not None:
        parts.append(f"max abs error {failure['max_abs_error']}")
    if failure.get("max_rel_error") is not None:
        parts.append(f"max rel error {failure['max_rel_error']}")
    if failure.get("index") is not None:
        parts.append(f"at index {failure['index']}")
    return " · ".join(parts)


ENVIRONMENT_ROWS = (
    ("torch", "torch"),
    ("torch.version.cuda", "torch_cuda"),
    ("CUDA available", "cuda_available"),
    ("CUDA devices", "cuda_devices"),
    ("TF32", "tf32"),
    ("numpy", "numpy"),
    ("hypothesis", "hypothesis"),
    ("pytest", "pytest"),
    ("pytest-xdist", "pytest_xdist"),
    ("python", "python"),
    ("platform", "platform"),
    ("hostname", "hostname"),
)

RUN_ROWS = (
    ("run id", "run_id"),
    ("started (UTC)", "started"),
    ("duration (s)", "duration_s"),
    ("devices", "devices"),
    ("dtypes", "dtypes"),
    ("impl", "impl"),
    ("profile", "profile"),
    ("seed", "seed"),
    ("xdist workers", "workers"),
)


def field_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def reasons(document: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(outcome, reason, count) for skips and expected failures, most frequent first."""
    tally: dict[tuple[str, str], int] = {}
    for result in document["results"]:
        if result.get("reason") and result["outcome"] not in outcomes.BAD:
            key = (result["outcome"], result["reason"])
            tally[key] = tally.get(key, 0) + 1
    return sorted(((o, r, n) for (o, r), n in tally.items()), key=lambda t: (-t[2], t[0], t[1]))


TOLERANCE_HEADER = ["dtype", "c", "eps", "floor"]


def tolerance_rows(document: dict[str, Any]) -> list[list[str]]:
    """The tolerance table of the (first) run: |torch - ref| <= c*eps*sqrt(K)*scale + floor."""
    runs = [s["run"] for s in document.get("shards", [])] or [document.get("run", {})]
    table = next((r["tolerances"] for r in runs if r.get("tolerances")), {})
    return [
        [dtype, f"{row['c']:g}", f"{row['eps']:.3g}", f"{row['floor']:.3g}"]
        for dtype, row in table.items()
    ]
