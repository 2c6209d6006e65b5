"""onnxruntime: torch.onnx.export (the dynamo exporter), run by onnxruntime's CPU provider.

An inference runtime: no autograd, parameters baked into the graph, eval mode only, a
new output tensor. A model is exported per input shape and dtype. A configuration the
exporter or the runtime cannot express ends the cell as "unsupported" with their message.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import torch

from report.interface import not_run
from tests.paths import ExecutionPath
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

    def session(self, module: torch.nn.Module, x: torch.Tensor) -> object:
        import onnxruntime

        key = (tuple(x.shape), x.dtype)
        if key in self.sessions:
            return self.sessions[key]
        # The exporter reports its progress on stdout: keep the run's output readable.
        chatter = io.StringIO()
        try:
            with as_built(module), contextlib.redirect_stdout(chatter):
                program = torch.onnx.export(module, (x.detach(),), dynamo=True, verbose=False)
        except Exception as error:
            not_run("unsupported", f"{NAME}: torch.onnx.export failed: {first_line(error)}")
        try:
            session = onnxruntime.InferenceSession(
                program.model_proto.SerializeToString(), providers=[PROVIDER]
            )
        except Exception as error:
            reason = f"{NAME}: onnxruntime cannot load the model: {first_line(error)}"
            not_run("unsupported", reason)
        self.sessions[key] = session
        return session

    def __call__(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        if module.training:
            raise AssertionError(f"{NAME} runs modules in eval mode only; this one is training")
        session = self.session(module, x)
        feed = {session.get_inputs()[0].name: x.detach().cpu().numpy()}
        (output,) = session.run(None, feed)
        return torch.from_numpy(output).to(x.device)


PLAIN = """
def on_path(path, module):
    # torch.onnx.export (dynamo), run in eval mode by onnxruntime's CPU provider
    import onnxruntime

    def run(x):
        program = torch.onnx.export(module.eval(), (x,), dynamo=True, verbose=False)
        session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
        (y,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
        return torch.from_numpy(y)

    return run
"""

PATHS = (
    OnOnnxRuntime(
        NAME,
        frozenset(),
        kernels="onnxruntime",
        plain=PLAIN,
        device_types=("cpu",),
        # NumPy has no bfloat16: onnxruntime's Python API cannot be fed one.
        dtypes=("float32", "float64", "float16"),
        requires=("onnx", "onnxscript", "onnxruntime"),
    ),
)
