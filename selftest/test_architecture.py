"""The floors stay apart: data flows reference <- spec <- tests -> report, and property files
stay generic.

- reference/ knows nothing of spec/, spec/ nothing of tests/ (nor report/), report/
  nothing of the suite; tests/ and conftest.py reach the report through
  report/interface.py alone (selftest/test_reference_purity.py adds: reference/ imports
  NumPy and the standard library only, spec/ never loads torch).
- No property file names a layer, reads a layer's hyperparameter, or writes a report
  field: a property that needs one of those is missing a spec field. Nor does it name an
  execution path or import a path plugin: it declares what it NEEDS of a path
  (tests/paths/), and every property test takes the `path` fixture.
- Every property test draws through one Hypothesis argument, `data` (the zoo runner
  relies on it).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from report import json_report
from selftest.test_reference_purity import imported_roots
from selftest.zoo_runner import DRAWN, property_module, property_names, property_tests
from spec.registry import LAYERS
from tests.paths import Need, all_paths, plugin_names

ROOT = Path(__file__).resolve().parent.parent

# What each floor may import from the project's own packages.
MAY_IMPORT = {
    "reference": {"reference"},
    "spec": {"reference", "spec"},
    "report": {"report"},
    "tests": {"reference", "spec", "tests", "report"},
}
# The one module of the report the suite may import.
REPORT_INTERFACE = "report.interface"
PROJECT = {"reference", "spec", "tests", "report", "selftest", "conftest"}

# Property files that are about concrete named things by design: the chapter's claims
# name the chapter's layers, and the register of torch bugs names the bugs' layers.
NAMED_BY_DESIGN = {"chapter_claims", "known_failures"}


def _python_files(floor: str) -> list[Path]:
    return sorted((ROOT / floor).rglob("*.py"))


def _project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import of the project's own packages in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found += [(node.lineno, m) for m in modules if m.split(".")[0] in PROJECT]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] in PROJECT]
    return found


@pytest.mark.parametrize("floor", sorted(MAY_IMPORT))
def test_each_floor_imports_only_the_floors_below(floor):
    wrong = []
    for path in _python_files(floor):
        for line, module in _project_imports(path):
            if module.split(".")[0] not in MAY_IMPORT[floor]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "path",
    [*_python_files("tests"), ROOT / "conftest.py"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_suite_reaches_the_report_through_its_interface_alone(path):
    wrong = []
    for line, module in _project_imports(path):
        # `from report import interface` names both report and report.interface.
        beyond = module.split(".")[0] == "report" and module not in ("report", REPORT_INTERFACE)
        if beyond and not module.startswith(REPORT_INTERFACE + "."):
            wrong.append(f"line {line}: {module}")
    assert not wrong, f"{path.name} imports the report beyond {REPORT_INTERFACE}: {wrong}"


def test_the_import_scan_sees_imports():
    # The scan above must be able to fail: it finds the imports of a known file.
    roots = {root for _, root in imported_roots((ROOT / "tests/cases.py").read_text())}
    assert {"spec", "report", "tests"} <= roots


def _layer_names() -> set[str]:
    return {spec.name for spec in LAYERS}


def _report_fields() -> set[str]:
    schema = json_report.schema()["$defs"]
    return set(schema["result"]["properties"]) | set(schema["failure"]["properties"])


def _path_names() -> set[str]:
    """Every execution path and path family by name ("compile:inductor", "compile")."""
    paths = all_paths().values()
    return {p.name for p in paths} | {p.family for p in paths}


# The plugin modules, which a property must not import (it says what it NEEDS instead).
PATH_PLUGINS = {f"tests.paths.{name}" for name in plugin_names()}


def _violations(source: str) -> list[str]:
    """Layer names, hyperparameter reads, report fields and execution paths a property
    file spells out."""
    layers, fields, paths = _layer_names(), _report_fields(), _path_names()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in layers:
                found.append(f"line {node.lineno}: names layer {node.value!r}")
            if node.value in fields:
                found.append(f"line {node.lineno}: spells report field {node.value!r}")
            if node.value in paths:
                found.append(f"line {node.lineno}: names execution path {node.value!r}")
        if isinstance(node, ast.ImportFrom) and node.module in PATH_PLUGINS:
            found.append(f"line {node.lineno}: imports path plugin {node.module}")
        if isinstance(node, ast.Attribute) and node.attr in layers:
            found.append(f"line {node.lineno}: names layer .{node.attr}")
        # hp["p"], case.hp["momentum"], hp.get("eps"): a layer's hyperparameter by name.
        target, key = None, None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            target, key = node.value, node.slice.value
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            target, key = node.func.value, node.args[0].value
        name = getattr(target, "attr", None) or getattr(target, "id", None)
        if name == "hp" and isinstance(key, str):
            found.append(f"line {node.lineno}: reads hyperparameter {key!r}")
    return found


@pytest.mark.parametrize("prop", property_names())
def test_property_files_stay_generic(prop):
    if prop in NAMED_BY_DESIGN:
        pytest.skip(f"tests/test_{prop}.py names concrete layers by design")
    source = inspect.getsource(property_module(prop))
    found = _violations(source)
    assert not found, f"tests/test_{prop}.py is not generic: " + "; ".join(found)


def test_the_generic_scan_can_fail():
    bad = 'x = hp["momentum"] + case.hp.get("p")\nm = nn.Linear(2, 3)\nr = {"examples": 1}\n'
    found = _violations(bad)
    assert len(found) == 4, found
    on_a_path = 'if p == "compile:inductor" or p.family == "onnxruntime":\n    pass\n'
    on_a_path += "from tests.paths.compile import Compiled\n"
    assert len(_violations(on_a_path)) == 3, _violations(on_a_path)


@pytest.mark.parametrize("prop", property_names())
def test_property_files_declare_what_they_need_of_a_path(prop):
    module = property_module(prop)
    needs = getattr(module, "NEEDS", None)
    assert isinstance(needs, frozenset), f"tests/test_{prop}.py declares no NEEDS frozenset"
    assert all(isinstance(need, Need) for need in needs), f"tests/test_{prop}.py: {needs}"
    for test in property_tests(prop):
        inner = getattr(getattr(test, "hypothesis", None), "inner_test", test)
        takes = inspect.signature(inner).parameters
        if not takes:
            continue  # a test of the file itself (every claim has a test): no cell
        assert "path" in takes, f"{test.__name__} takes no `path` fixture: its cells lack a path"


@pytest.mark.parametrize("prop", sorted(set(property_names()) | {"known_failures"}))
def test_property_tests_draw_through_data_alone(prop):
    for test in property_tests(prop):
        handle = getattr(test, "hypothesis", None)
        if handle is None:
            continue
        parameters = inspect.signature(handle.inner_test).parameters
        assert DRAWN in parameters, f"{test.__name__} draws without a `{DRAWN}` argument"


@pytest.mark.parametrize(
    "path",
    [*_python_files("tests"), ROOT / "conftest.py"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_suite_uses_only_what_the_interface_exports(path):
    from report import interface

    used = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == REPORT_INTERFACE:
            used |= {alias.name for alias in node.names}
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "interface"
        ):
            used.add(node.attr)
    beyond = used - set(interface.__all__)
    assert not beyond, f"{path.name} uses {sorted(beyond)}, not in report.interface.__all__"
