"""compile:<backend>: torch.compile(fullgraph=True), with proof that every call ran compiled.

Dynamo falls back to eager without a word when a frame breaks the graph or recompiles
past its limit. Neither may pass here: fullgraph=True turns a graph break into an
error (a finding, reported as the layer rejecting a valid input), and every call counts
the compiled graphs it executed (the backend's compiled function is wrapped): a call
that ran none ran eager, and fails. Caches are dropped before each new module, so an
example compiles from its own module; inductor's on-disk caches keep repeats cheap.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from tests.paths import ExecutionPath, Need

# aot_eager runs AOTAutograd's forward and backward graphs on eager kernels, inductor
# generates its own: a failure on inductor alone is inductor's codegen or lowering.
BACKENDS = ("inductor", "aot_eager")
# Recompiles one code object may take: a module called in both modes, with several input
# shapes and layouts, in one example needs a handful; the counted calls prove none was
# sent to eager, and hitting the limit raises instead of falling back.
RECOMPILE_LIMIT = 64
# Draws judged on one compiled module (compile once, judge many): compiling is seconds,
# a call of the compiled module milliseconds.
JUDGEMENTS = 4


# Inductor generates C++ for the CPU and compiles it with $CXX, else g++ (its default
# search); without one every inductor cell would fail on the machine, not on torch.
INDUCTOR_COMPILERS = ("g++",)


# Inductor's on-disk caches are not keyed by ATen's CPU capability: C++ cached under
# avx512 fails to compile under ATEN_CPU_CAPABILITY=default ("'at::vec' has not been
# declared", torch 2.13.0, measured). Each capability gets a cache directory of its own,
# under the one the user chose (kept in BASE_VARIABLE, so a worker started for another
# kernel set derives its own from the same base).
BASE_VARIABLE = "NNCONFORM_INDUCTOR_CACHE_BASE"


def _cache_per_cpu_capability() -> None:
    base = os.environ.get(BASE_VARIABLE) or os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    base = base or os.path.join(tempfile.gettempdir(), "nnconform-inductor")
    os.environ[BASE_VARIABLE] = base
    capability = torch.backends.cpu.get_cpu_capability().lower()
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(base, capability)


_cache_per_cpu_capability()


@functools.cache
def _release_lacks() -> str | None:
    """What this torch release lacks that the path needs, or None."""
    import torch._dynamo

    if not hasattr(torch._dynamo, "lookup_backend"):
        # The counted calls wrap the compiler a backend's name resolves to (CompiledCall).
        return f"torch {torch.__version__} has no torch._dynamo.lookup_backend"
    return None


def _limit_settings() -> dict[str, object]:
    """Dynamo's recompile limit, under this release's name for it, and where the release
    can, an error on reaching it; where it cannot, a call past the limit runs eagerly and
    the counted calls fail it (CompiledCall)."""
    import torch._dynamo.config as config

    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
    settings: dict[str, object] = {name: RECOMPILE_LIMIT}
    if hasattr(config, "fail_on_recompile_limit_hit"):
        settings["fail_on_recompile_limit_hit"] = True
    return settings


@dataclass(frozen=True)
class Compiled(ExecutionPath):
    graph_per_mode: bool = field(default=True, repr=False)
    backend: str = "inductor"
    # Static shapes on compile:<backend>: each example's module differs in its
    # hyperparameters anyway. compile:inductor-dynamic compiles with dynamic shapes, one
    # graph serving every judgement's drawn shape, a large source of inductor bugs.
    dynamic: bool = False
    # compile:inductor-freezing: inference as CPU users are told to run it
    # (TORCHINDUCTOR_FREEZING=1): under no_grad, inductor folds the parameters into the
    # graph as constants and rewrites what they feed (oneDNN's prepacked convolutions
    # and matmuls, BatchNorm folded into a convolution): code the other paths never run.
    freezing: bool = False

    def missing(self) -> str | None:
        absent = super().missing() or _release_lacks()
        if absent or self.backend != "inductor":
            return absent
        compilers = [os.environ.get("CXX"), *INDUCTOR_COMPILERS]
        if not any(name and shutil.which(name) for name in compilers):
            return "no C++ compiler for inductor's CPU code ($CXX or g++ on PATH)"
        return None

    @contextlib.contextmanager
    def settings(self) -> Iterator[None]:
        import torch._dynamo  # seconds to import: only where a compile path runs

        with torch._dynamo.config.patch(**_limit_settings()), self._freezing():
            torch.compiler.reset()
            try:
                yield
            finally:
                torch.compiler.reset()

    def _freezing(self) -> contextlib.AbstractContextManager:
        """Inductor's freezing on while the path is under test (where it asks for it)."""
        if not self.freezing:
            return contextlib.nullcontext()
        import torch._inductor.config  # what TORCHINDUCTOR_FREEZING=1 sets, by its name

        return torch._inductor.config.patch(freezing=True)

    def fresh_example(self) -> None:
        torch.compiler.reset()

    def runner(self, base: type) -> Callable[..., object]:
        compiled = CompiledCall(self.name, self.backend, base, self.dynamic)
        if not self.freezing:
            return compiled

        def inference(module: torch.nn.Module, *args: object) -> object:
            # Freezing applies to graphs compiled without autograd only.
            with torch.no_grad():
                return compiled(module, *args)

        return inference


class CompiledCall:
    """`base.forward` compiled for a module's calls; each call proves it ran compiled."""

    def __init__(
        self,
        path: str,
        backend: str,
        base: type,
        dynamic: bool,
        compiler: Callable[..., Callable] | None = None,
    ) -> None:
        self.path = path
        self.graphs_run = 0
        # torch._dynamo.lookup_backend (in torch._dynamo.__all__) resolves a backend's name
        # to the compiler torch.compile would use, so the count wraps exactly that one
        # (or the one a subclass hands in: a backend called with its options).
        import torch._dynamo

        compiler = compiler or torch._dynamo.lookup_backend(backend)

        def counting(graph: torch.fx.GraphModule, example_inputs: list) -> Callable:
            compiled = compiler(graph, example_inputs)

            def run(*args: object) -> object:
                self.graphs_run += 1
                return compiled(*args)

            return run

        def call(module: torch.nn.Module, *args: object) -> object:
            return base.forward(module, *args)

        self.compiled = torch.compile(call, backend=counting, fullgraph=True, dynamic=dynamic)

    def __call__(self, module: torch.nn.Module, *args: object) -> object:
        before = self.graphs_run
        output = self.compiled(module, *args)
        ran = self.graphs_run - before
        if ran != 1:
            raise AssertionError(
                f"{self.path}: the call ran {ran} compiled graphs, not 1: it was not (only) "
                "compiled code (eager fallback?)"
            )
        return output


_PROVIDES = frozenset({Need.AUTOGRAD, Need.PARAMETERS, Need.TRAIN_MODE, Need.IN_PLACE})

# aot_eager's graphs call eager's ATen kernels; inductor generates kernels of its own.
KERNELS = {"inductor": "inductor", "aot_eager": "aten"}

PLAIN = """
def on_path(path, module):
    # torch.compile as the suite runs it: the whole forward as one graph
    return torch.compile(module, backend=path.partition(":")[2], fullgraph=True)
"""

PLAIN_DYNAMIC = """
def on_path(path, module):
    # torch.compile with dynamic shapes: inductor, the whole forward as one graph
    return torch.compile(module, backend="inductor", fullgraph=True, dynamic=True)
"""

PLAIN_FREEZING = """
def on_path(path, module):
    # inductor with freezing (as TORCHINDUCTOR_FREEZING=1 sets it), in inference
    import torch._inductor.config

    torch._inductor.config.freezing = True
    compiled = torch.compile(module.eval(), backend="inductor", fullgraph=True)

    def run(*args):
        with torch.no_grad():
            return compiled(*args)

    return run
"""

PATHS = (
    *(
        Compiled(
            f"compile:{backend}",
            _PROVIDES,
            kernels=KERNELS[backend],
            plain=PLAIN,
            judgements=JUDGEMENTS,
            backend=backend,
        )
        for backend in BACKENDS
    ),
    Compiled(
        "compile:inductor-dynamic",
        _PROVIDES,
        kernels="inductor",
        plain=PLAIN_DYNAMIC,
        judgements=JUDGEMENTS,
        dynamic_shapes=True,
        backend="inductor",
        dynamic=True,
    ),
    # Inference only: the parameters are constants of the graph (so a module's judgements
    # keep them), no autograd, eval mode. Kernels of its own: inductor's code around
    # oneDNN's prepacked convolutions and matmuls, which no other path calls, so a bug
    # recorded for inductor's (mostly its backward) is not assumed here until seen here.
    Compiled(
        "compile:inductor-freezing",
        frozenset(),
        kernels="inductor-freezing",
        plain=PLAIN_FREEZING,
        judgements=JUDGEMENTS,
        backend="inductor",
        freezing=True,
    ),
)
