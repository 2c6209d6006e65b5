"""The front door stays a front door, and the documentation points where it says.

The README is under about 200 lines; every relative link in it and in docs/ names a file
that exists; every option of the suite is in the README's options table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
FRONT_DOOR_LINES = 200
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_is_a_front_door():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= FRONT_DOOR_LINES, f"README.md has {len(lines)} lines"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_name_files_that_exist(page):
    missing = [
        target
        for target in LINK.findall(page.read_text(encoding="utf-8"))
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert not missing, f"{page.name} links to missing files: {missing}"


def test_every_option_of_the_suite_is_in_the_readme():
    declared = (ROOT / "tests/plugin/options.py").read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    names = re.findall(r'^\s+"(--[a-z-]+)",$', declared, flags=re.M)
    assert len(names) > 5, names
    missing = [name for name in names if f"`{name}" not in readme]
    assert not missing, f"options missing from README.md: {missing}"
