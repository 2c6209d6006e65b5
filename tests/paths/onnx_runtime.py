"""onnxruntime: torch.onnx.export (the dynamo exporter), run by onnxruntime's CPU provider.

An inference runtime: no autograd, parameters baked into the graph, eval mode only, a
new output tensor. A model is exported per call signature (every tensor argument's shape
and dtype: x, and a loss's target) and fed every tensor the call takes, in order. A
configuration the exporter or the runtime cannot express is left out with their message,
counted in the cell's rejected draws, and another is drawn: one such configuration (an
unbatched CrossEntropyLoss, whose exported Reshape onnxruntime refuses) must not end the
cell before the others are judged. A cell none of whose draws could run is "unsupported".
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import torch

from tests.paths import ExecutionPath, cannot_run
from tests.paths.routing import as_built

NAME = "onnxruntime"
PROVIDER = "CPUExecutionProvider"


@dataclass(frozen=True)
class OnOnnxRuntime(ExecutionPath):
    def runner(self, base: type) -> Callable[..., object]:
        return OnnxRuntimeCall()


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


class OnnxRuntimeCall:
    def __init__(self) -> None:
        self.sessions: dict[Hashable, object] = {}

    def session(self, module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> object:
        import onnxruntime

        key = tuple((tuple(a.shape), a.dtype) for a in args)
        if key in self.sessions:
            return self.sessions[key]
        # The exporter reports its progress on stdout: keep the run's output readable.
        chatter = io.StringIO()
        detached = tuple(a.detach() for a in args)
        try:
            with as_built(module), contextlib.redirect_stdout(chatter):
                program = torch.onnx.export(module, detached, dynamo=True, verbose=False)
        except Exception as error:
            cannot_run(f"{NAME}: torch.onnx.export failed: {first_line(error)}")
        try:
            session = onnxruntime.InferenceSession(
                program.model_proto.SerializeToString(), providers=[PROVIDER]
            )
        except Exception as error:
            cannot_run(f"{NAME}: onnxruntime cannot load the model: {first_line(error)}")
        graph_inputs = len(session.get_inputs())
        if graph_inputs != len(args):
            # The exporter folded an argument into the graph or dropped it: the model no
            # longer takes the call as it is made, so it cannot be fed.
            taken = f"{graph_inputs} inputs, the call {len(args)}"
            cannot_run(f"{NAME}: the exported model takes {taken}")
        self.sessions[key] = session
        return session

    def __call__(self, module: torch.nn.Module, *args: torch.Tensor) -> torch.Tensor:
        if module.training:
            raise AssertionError(f"{NAME} runs modules in eval mode only; this one is training")
        session = self.session(module, args)
        # The graph's inputs are the call's tensors in order (x first, then a target).
        feed = {
            graph_input.name: a.detach().cpu().numpy()
            for graph_input, a in zip(session.get_inputs(), args, strict=True)
        }
        (output,) = session.run(None, feed)
        return torch.from_numpy(output).to(args[0].device)


PLAIN = """
def on_path(path, module):
    # torch.onnx.export (dynamo), run in eval mode by onnxruntime's CPU provider
    import onnxruntime

    def run(*args):
        program = torch.onnx.export(module.eval(), args, dynamo=True, verbose=False)
        session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
        names = [i.name for i in session.get_inputs()]
        (y,) = session.run(None, {n: a.numpy() for n, a in zip(names, args)})
        return torch.from_numpy(y)

    return run
"""

PATHS = (
    OnOnnxRuntime(
        NAME,
        frozenset(),
        kernels="onnxruntime",
        plain=PLAIN,
        # An export and a session are 0.1 s, a run milliseconds: new inputs are judged on
        # one session (the parameters are baked into the graph, so they stay).
        judgements=4,
        device_types=("cpu",),
        # NumPy has no bfloat16: onnxruntime's Python API cannot be fed one.
        dtypes=("float32", "float64", "float16"),
        requires=("onnx", "onnxscript", "onnxruntime"),
        extra="onnx",
    ),
)
