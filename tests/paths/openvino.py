"""compile:openvino: torch.compile(backend="openvino") from the openvino package.

What the backend does, read from its source and measured (openvino 2026.4.1, torch 2.13.0):

- Its default graph capture is for inference: the compiled call returns tensors with no
  autograd history (training takes its `aot_autograd` option). So this path provides
  no autograd and runs eval only, like onnxruntime; the module's Parameters are graph
  inputs, not constants, so each judgement loads new ones.
- The CPU plugin's default inference precision is bf16 on CPUs with AVX512_BF16 or AMX
  (f32 elsewhere): there a float32 model computes in bfloat16 without a word. The path
  pins f32 with the documented `config` option (passed to `Core.compile_model`).
- It hands OpenVINO only partitions of two ops or more (`allows_single_node_partition`
  is off unless its `testing` option is set): a single layer's graph is often one op,
  which torch would run while inside a user's network OpenVINO runs it. The path sets
  `testing`, so the layer's ops run in OpenVINO as they would within a network.
- It falls back without a word three ways: a graph it cannot convert goes to inductor
  (`compile_fx`), an op it lacks stays in the torch graph, and a partition whose
  OpenVINO run raises is run by torch from then on. None may pass here: each leaves
  that configuration out with OpenVINO's message (its debug log, heard while the path
  is under test), counted in the cell's rejected draws, and another is drawn, as
  onnxruntime does with what it refuses; a cell none of whose draws ran is
  "unsupported". Before, the first fallback ended the whole cell: a Conv2d cell whose
  first draw OpenVINO could not run never judged the rest, and the rediscovery bench
  found the recorded fake-mode guard bug at 4 seeds of 5.
- float64 is computed in float32 and bfloat16 is not converted at all (UNCARRIED_DTYPES):
  those cells end "unsupported" with the reason, float32 and float16 run.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from tests.paths import Need, cannot_run
from tests.paths.compile import Compiled, CompiledCall

NAME = "compile:openvino"
# Options of the backend (its torch.compile documentation): `config` goes to
# Core.compile_model as is. `testing` lets one op form a partition of its own.
OPTIONS = {"config": {"INFERENCE_PRECISION_HINT": "f32"}, "testing": True}

# Where the backend logs its fallbacks (at debug level, the backend's logger held at
# WARNING): heard only while the path is under test.
FALLBACK_LOGGERS = (
    "openvino.frontend.pytorch.torchdynamo.backend",
    "openvino.frontend.pytorch.torchdynamo.execute",
)
FALLBACK_WORDS = ("Failed in OpenVINO execution", "Falling back to native PyTorch")


class _Heard(logging.Handler):
    """The backend's fallback messages, first line each."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(words in message for words in FALLBACK_WORDS):
            self.messages.append(message.strip().splitlines()[0])


HEARD = _Heard()


# Dtypes the path cannot carry honestly, and why (measured; cells end "unsupported").
UNCARRIED_DTYPES = {
    # Not a limit of the harness: a finding. Every float64 cell failed its forward in the
    # full run (ReLU(0.1) comes back as 0.10000000149011612, softmax([0, -100])[1] as 0).
    "float64": (
        "OpenVINO's CPU plugin computes float64 models in float32 and returns float64 "
        "tensors (a float64 ReLU returns its input rounded to float32)"
    ),
    "bfloat16": (
        "the backend's element-type table has no bfloat16: every call fails in "
        "OpenVINO and torch runs the graph"
    ),
}


@dataclass(frozen=True)
class OnOpenVino(Compiled):
    def lacks_dtype(self, dtype: str) -> str | None:
        if dtype in UNCARRIED_DTYPES:
            return f"{self.name}: {UNCARRIED_DTYPES[dtype]}"
        return super().lacks_dtype(dtype)

    @contextlib.contextmanager
    def settings(self) -> Iterator[None]:
        loggers = [logging.getLogger(name) for name in FALLBACK_LOGGERS]
        saved = [(log.level, log.propagate) for log in loggers]
        for log in loggers:
            # Heard here, not passed on: the run's own log stays as it was.
            log.setLevel(logging.DEBUG)
            log.propagate = False
            log.addHandler(HEARD)
        try:
            with super().settings():
                yield
        finally:
            for log, (level, propagate) in zip(loggers, saved, strict=True):
                log.removeHandler(HEARD)
                log.setLevel(level)
                log.propagate = propagate
            _clear_backend_caches()

    def fresh_example(self) -> None:
        super().fresh_example()
        _clear_backend_caches()

    def runner(self, base: type) -> Callable[..., object]:
        return OpenVinoCall(self.name, base)


def _clear_backend_caches() -> None:
    # The backend keeps every partitioned graph it ran (keyed by id), and torch's reset
    # does not reach them: without this, every example's graphs would stay alive.
    from openvino.frontend.pytorch.torchdynamo import execute

    execute.clear_caches()


def _left_to_torch(graph: torch.fx.GraphModule) -> list[str]:
    """The ops of a partitioned graph that torch runs: all but OpenVINO's partitions."""
    return [
        str(node.target)
        for node in graph.graph.nodes
        if node.op in ("call_function", "call_method", "call_module")
        and not (node.op == "call_module" and "fused_" in node.name)
        and node.target is not operator.getitem
    ]


class OpenVinoCall(CompiledCall):
    """The module's forward compiled by the openvino backend; a configuration OpenVINO
    did not run end to end is left out (`tests.paths.cannot_run`), saying what ran instead."""

    def __init__(self, path: str, base: type) -> None:
        self.partitioned: list[torch.fx.GraphModule] = []
        self.fallbacks: list[str] = []
        super().__init__(path, "openvino", base, False, compiler=self.compile)

    def compile(self, graph: torch.fx.GraphModule, example_inputs: list) -> Callable:
        from openvino.frontend.pytorch.torchdynamo.backend import openvino

        HEARD.messages.clear()
        compiled = openvino(graph, example_inputs, options=OPTIONS)
        # The backend returns its own closure over the partitioned graph, or what
        # inductor compiled when it could not convert the graph.
        code = getattr(compiled, "__code__", None)
        found = inspect.getclosurevars(compiled).nonlocals if code else {}
        partitioned = found.get("compiled_model")
        if not isinstance(partitioned, torch.fx.GraphModule):
            self.fallbacks.append(f"the backend handed the graph to inductor ({self._heard()})")
            return compiled
        left = _left_to_torch(partitioned)
        if left:
            self.fallbacks.append(f"OpenVINO has no conversion of {', '.join(left)}: torch runs it")
        self.partitioned.append(partitioned)
        return compiled

    def _heard(self) -> str:
        return "; ".join(HEARD.messages) or "no message"

    def __call__(self, module: torch.nn.Module, *args: object) -> object:
        HEARD.messages.clear()
        output = super().__call__(module, *args)
        ran_in_torch = [
            sub
            for graph in self.partitioned
            for sub in graph.modules()
            if getattr(sub, "perm_fallback", False)
        ]
        if ran_in_torch:
            self.fallbacks.append(f"OpenVINO failed, torch ran the graph ({self._heard()})")
        if self.fallbacks:
            cannot_run(f"{self.path}: {'; '.join(self.fallbacks)}")
        return output


PLAIN = """
def on_path(path, module):
    # torch.compile(backend="openvino") as the suite runs it: eval mode, inference
    # precision pinned to f32, single-op graphs run by OpenVINO too ("testing")
    import openvino.torch  # noqa: F401 (registers the backend)

    options = {"config": {"INFERENCE_PRECISION_HINT": "f32"}, "testing": True}
    return torch.compile(module.eval(), backend="openvino", fullgraph=True, options=options)
"""

PATHS = (
    OnOpenVino(
        NAME,
        # Parameters are graph inputs (read at each call); no autograd, eval only.
        frozenset({Need.PARAMETERS}),
        device_types=("cpu",),
        kernels="openvino",
        plain=PLAIN,
        # Compiling is 0.1 s to seconds, a call milliseconds.
        judgements=4,
        requires=("openvino",),
        extra="openvino",
        backend="openvino",
    ),
)
