"""Nested containers of modules: drawn as data, built from the implementation under test.

The modes property plants a layer among siblings in containers nested a few deep (a
non-recursive train() at any level shows); the init property applies the chapter's
initialize_weights to such a tree (a non-recursive apply() shows). One tree type and one
builder serve both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import torch
from hypothesis import strategies as st

from tests.cases import layer_class

# Sequential and ModuleList hold children by position; a plain Module by attribute name.
CONTAINERS = ("Sequential", "ModuleList", "Module")


@dataclass(frozen=True)
class Tree:
    """A container `kind` of child trees, or (kind "leaf") one module described by `leaf`."""

    kind: str
    children: tuple[Tree, ...] = ()
    leaf: Any = None

    @staticmethod
    def of_leaf(leaf: Any) -> Tree:
        return Tree("leaf", leaf=leaf)


def trees(
    leaves: st.SearchStrategy[Any], depth: int, max_width: int, min_width: int = 0
) -> st.SearchStrategy[Tree]:
    """A leaf, or a container of min_width..max_width subtrees, nested at most `depth` deep."""
    if depth == 0:
        return leaves.map(Tree.of_leaf)
    containers = st.builds(
        lambda kind, children: Tree(kind, tuple(children)),
        st.sampled_from(CONTAINERS),
        st.lists(
            trees(leaves, depth - 1, max_width, min_width), min_size=min_width, max_size=max_width
        ),
    )
    return st.one_of(leaves.map(Tree.of_leaf), containers)


def build_tree(
    nn: ModuleType, tree: Tree, make_leaf: Callable[[Any], torch.nn.Module]
) -> torch.nn.Module:
    """The modules `tree` describes, containers from `nn`, leaves from make_leaf."""
    if tree.kind == "leaf":
        return make_leaf(tree.leaf)
    children = [build_tree(nn, child, make_leaf) for child in tree.children]
    if tree.kind == "Sequential":
        return layer_class(nn, "Sequential")(*children)
    if tree.kind == "ModuleList":
        return layer_class(nn, "ModuleList")(children)
    module = layer_class(nn, "Module")()
    for i, child in enumerate(children):
        module.add_module(f"block{i}", child)
    return module
