"""The oracle stays independent: reference/ imports NumPy and the standard library only;
spec/ adds Hypothesis (its strategies) and SciPy (the statistical laws' quantiles), and
never imports torch when it is loaded."""

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_FILES = sorted((ROOT / "reference").rglob("*.py"))
SPEC_FILES = sorted((ROOT / "spec").rglob("*.py"))

# Besides the standard library, reference/ may use NumPy and its own modules.
REFERENCE_ALLOWED = frozenset({"numpy", "reference"})
# Besides the standard library, spec/ may use these (SciPy: chi-square, normal and
# Kolmogorov-Smirnov quantiles for spec/statistics.py).
SPEC_ALLOWED = frozenset({"numpy", "scipy", "hypothesis", "reference", "spec"})
# The package whose formulas would stop being an independent oracle if imported.
FORBIDDEN_IN_SPEC = "torch"
# Calls that import by name at run time and so escape an import-statement scan.
DYNAMIC_IMPORTS = frozenset({"__import__", "import_module"})


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is_type_checking(test: ast.expr) -> bool:
    """True for `if TYPE_CHECKING:` and `if typing.TYPE_CHECKING:`, whose bodies never run."""
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _import_nodes(node: ast.AST, load_time_only: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements under node; with load_time_only, those that run when it is imported."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        if load_time_only and isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        ):
            continue
        if load_time_only and isinstance(child, ast.If) and _is_type_checking(child.test):
            # Only the else branch runs at import time.
            for stmt in child.orelse:
                yield from _import_nodes(ast.Module(body=[stmt], type_ignores=[]), True)
            continue
        yield from _import_nodes(child, load_time_only)


def imported_roots(source: str, load_time_only: bool = False) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in source; relative ones are local."""
    roots = []
    for node in _import_nodes(ast.parse(source), load_time_only):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                roots.append((node.lineno, node.module.split(".")[0]))
        else:
            roots.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
    return roots


def dynamic_imports(source: str) -> list[int]:
    """Lines that call __import__ or importlib.import_module."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in DYNAMIC_IMPORTS:
                lines.append(node.lineno)
    return lines


def impure_reference_imports(source: str) -> list[tuple[int, str]]:
    """Imports anywhere in a reference file that are neither stdlib nor allowed."""
    return [
        (line, root)
        for line, root in imported_roots(source)
        if root not in sys.stdlib_module_names and root not in REFERENCE_ALLOWED
    ]


def torch_imports_at_load(source: str) -> list[int]:
    """Lines of a spec file that import torch when the file itself is imported."""
    return [
        line
        for line, root in imported_roots(source, load_time_only=True)
        if root == FORBIDDEN_IN_SPEC
    ]


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=_rel)
def test_reference_imports_numpy_and_stdlib_only(path):
    source = path.read_text()
    assert impure_reference_imports(source) == [], f"{_rel(path)} imports outside numpy/stdlib"
    assert dynamic_imports(source) == [], f"{_rel(path)} imports by name at run time"


@pytest.mark.parametrize("path", SPEC_FILES, ids=_rel)
def test_spec_imports_what_the_architecture_allows(path):
    imported = {root for _, root in imported_roots(path.read_text())}
    beyond = {r for r in imported if r not in sys.stdlib_module_names and r not in SPEC_ALLOWED}
    assert not beyond, (
        f"{_rel(path)} imports {sorted(beyond)}: spec/ may use {sorted(SPEC_ALLOWED)}"
    )


def _skip_without_specs() -> None:
    if all(path.name == "__init__.py" for path in SPEC_FILES):
        pytest.skip("spec/ holds no modules besides __init__.py yet")


@pytest.mark.parametrize("path", SPEC_FILES, ids=_rel)
def test_spec_does_not_import_torch_at_load(path):
    _skip_without_specs()
    assert torch_imports_at_load(path.read_text()) == [], f"{_rel(path)} imports torch at load"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_importing_reference_and_spec_loads_no_torch():
    # The static scan cannot see transitive imports; a fresh interpreter can.
    _skip_without_specs()
    modules = [_module_name(path) for path in REFERENCE_FILES + SPEC_FILES]
    probe = textwrap.dedent(
        f"""
        import importlib, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print(sorted(m for m in sys.modules if m.split(".")[0] == "torch"))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"torch loaded: {done.stdout.strip()}"


# The scanners themselves, on sources whose verdict is known.


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import numpy as np\nfrom numpy.lib import stride_tricks", []),
        ("import math, itertools\nfrom collections.abc import Sequence", []),
        ("from __future__ import annotations\nfrom . import padding", []),
        ("from reference.padding import pad2d", []),
        ("import torch", [(1, "torch")]),
        ("import os\nimport scipy.special", [(2, "scipy")]),
        ("def f():\n    from torch import nn", [(2, "torch")]),
    ],
)
def test_reference_scanner(source, flagged):
    assert impure_reference_imports(source) == flagged


def test_dynamic_import_scanner():
    assert dynamic_imports("import importlib\nm = importlib.import_module('torch')") == [2]
    assert dynamic_imports("m = __import__('torch')") == [1]
    assert dynamic_imports("import numpy as np\nnp.zeros(3)") == []


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import torch", [1]),
        ("import torch.nn as nn", [1]),
        ("from torch import nn", [1]),
        ("try:\n    import torch\nexcept ImportError:\n    pass", [2]),
        ("class A:\n    import torch", [2]),
        ("def build():\n    import torch", []),
        ("build = lambda: __import__('torch')", []),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch", []),
        ("import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    import torch", [5]),
        ("import hypothesis\nimport numpy\nimport reference.linear", []),
    ],
)
def test_spec_scanner(source, flagged):
    assert torch_imports_at_load(source) == flagged
