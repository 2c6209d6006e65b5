"""Each compile path's plain-torch `on_path`, printed with repros, compiles as the path does:
a printed repro that asks torch for a backend it does not have reproduces nothing. Read
from the runner's source, so the check compiles nothing and sets no inductor option."""

import ast

import pytest
import torch._dynamo

from tests.paths import all_paths
from tests.paths.compile import Compiled

COMPILED = [path for path in all_paths().values() if isinstance(path, Compiled)]


def compile_options(plain: str, path: str) -> dict:
    """The backend and dynamic arguments of the runner's torch.compile call, evaluated
    with `path` bound to the path's name."""
    for node in ast.walk(ast.parse(plain)):
        called = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if called and node.func.attr == "compile":
            return {
                keyword.arg: eval(
                    compile(ast.Expression(keyword.value), "<plain>", "eval"), {"path": path}
                )
                for keyword in node.keywords
                if keyword.arg in ("backend", "dynamic")
            }
    raise AssertionError("the plain runner calls no torch.compile")


@pytest.mark.parametrize("path", COMPILED, ids=lambda path: path.name)
def test_the_plain_runner_compiles_with_the_path_s_backend(path):
    options = compile_options(path.plain, path.name)
    assert options["backend"] == path.backend
    assert bool(options.get("dynamic")) == path.dynamic
    if path.missing() is None:  # the backend's package is installed: torch must find it
        torch._dynamo.lookup_backend(options["backend"])


def test_a_runner_asking_for_the_path_s_name_is_caught():
    dynamic = next(path for path in COMPILED if path.dynamic)
    old = dynamic.plain.replace('backend="inductor"', 'backend=path.partition(":")[2]')
    assert compile_options(old, dynamic.name)["backend"] == "inductor-dynamic" != dynamic.backend
