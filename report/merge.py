"""Merging shard reports (a CPU job, a GPU job, ...) into one report.

The rule: a shard is a run, known by its run_id. Each shard is kept once, however many
times it is given (directly or inside an earlier merged report). Every result is kept
once per (shard, nodeid, CPU kernel set) and every claim once per (shard, nodeid, claim
id); results for the same cell from different shards are all kept, and the matrix cell
shows the worst outcome. Environments stay per shard; the top-level environment and run
hold what the shards share, and the dimensions' values (devices, dtypes, paths, CPU
kernel sets) are the unions.
"""

from __future__ import annotations

import uuid
from typing import Any

from report import json_report
from report.interface import NONE, SUB_DIMENSIONS

# run_id of a merged report: a name derived from the shards it holds, so merging the same
# shards again, in any order or grouping, gives the same id.
MERGE_NAMESPACE = uuid.UUID("6f1c2d3e-8a4b-4c5d-9e6f-7a8b9c0d1e2f")


def _shared(values: list[Any]) -> Any:
    """The value every shard agrees on, or None."""
    first = values[0]
    return first if all(v == first for v in values[1:]) else None


def _union(lists: list[list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for values in lists:
        seen.update(dict.fromkeys(values))
    return list(seen)


def _environment(shards: list[dict[str, Any]]) -> dict[str, Any]:
    envs = [s["environment"] for s in shards]
    keys = _union([list(e) for e in envs])
    return {k: _shared([e.get(k) for e in envs]) for k in keys}


def _run(shards: list[dict[str, Any]]) -> dict[str, Any]:
    runs = [s["run"] for s in shards]
    extra = {}
    for key in _union([list(r) for r in runs]):
        values = [r.get(key) for r in runs]
        if key not in ("args", "workers") and _shared(values) is not None:
            extra[key] = values[0]
    ids = sorted(s["run_id"] for s in shards)
    return {
        **extra,
        # A CPU job per kernel set, or an eager and a compile job: each shard adds its own.
        **{dim.run_key: _union([r.get(dim.run_key) or [] for r in runs]) for dim in SUB_DIMENSIONS},
        "impl": _shared([r["impl"] for r in runs]),
        "profile": _shared([r["profile"] for r in runs]),
        "seed": _shared([r["seed"] for r in runs]),
        "run_id": str(uuid.uuid5(MERGE_NAMESPACE, ",".join(ids))),
        "started": min(r["started"] for r in runs),
        "duration_s": round(sum(r["duration_s"] for r in runs), 3),
    }


def merge(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One report holding every shard of every document, each exactly once."""
    if not documents:
        raise ValueError("nothing to merge")
    shards: dict[str, dict[str, Any]] = {}
    results: dict[tuple[str, str, str], dict[str, Any]] = {}
    claims: dict[tuple[str, str, str], dict[str, Any]] = {}
    for document in documents:
        for shard in document["shards"]:
            shards.setdefault(shard["run_id"], shard)
        for result in document["results"]:
            # One run tests a node once per CPU kernel set (--cpu-isa avx2,avx512).
            key = (result["shard"], result["nodeid"], result.get("isa", NONE))
            results.setdefault(key, result)
        for claim in document.get("claims") or []:
            claims.setdefault((claim["shard"], claim["nodeid"], claim["id"]), claim)
    kept = list(shards.values())
    return json_report.assemble(
        kind="merged",
        environment=_environment(kept),
        run=_run(kept),
        shards=kept,
        results=list(results.values()),
        claims=list(claims.values()),
    )
