"""Each compile path's plain-torch `on_path`, printed with repros, compiles as the path does:
a printed repro that asks torch for a backend it does not have reproduces nothing."""

import pytest
import torch
import torch._dynamo

from tests.paths import all_paths
from tests.paths.compile import Compiled

COMPILED = [path for path in all_paths().values() if isinstance(path, Compiled)]


@pytest.mark.parametrize("path", COMPILED, ids=lambda path: path.name)
def test_the_plain_runner_compiles_with_the_path_s_backend(path, monkeypatch):
    asked: dict = {}

    def compile_(module, **options):  # stands in for torch.compile: records, compiles nothing
        asked.update(options)
        return module

    monkeypatch.setattr(torch, "compile", compile_)
    namespace: dict = {"torch": torch}
    exec(compile(path.plain, f"<plain {path.name}>", "exec"), namespace)
    if path.freezing:  # its runner sets inductor's freezing, as TORCHINDUCTOR_FREEZING=1 does
        monkeypatch.setattr(torch._inductor.config, "freezing", False)
    namespace["on_path"](path.name, torch.nn.Identity())
    assert asked["backend"] == path.backend
    torch._dynamo.lookup_backend(asked["backend"])  # torch has it
    assert bool(asked.get("dynamic")) == path.dynamic
