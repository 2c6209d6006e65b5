"""eager: the module as built, called directly; the reference every other path is held to."""

from __future__ import annotations

from dataclasses import dataclass

from tests.paths import ExecutionPath, Need


@dataclass(frozen=True)
class Eager(ExecutionPath):
    @property
    def transforms(self) -> bool:
        return False


PLAIN = """
def on_path(path, module):
    return module  # eager: the module as built
"""

PATHS = (Eager("eager", provides=frozenset(Need), plain=PLAIN),)
