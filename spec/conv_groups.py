"""A convolution's groups as classes: one group; several groups of several input channels
each; depthwise (one input channel per group, one output channel per group); or depthwise
with a channel multiplier (several output channels per group).

CPU libraries run depthwise convolutions with kernels of their own (oneDNN's depthwise
implementations, channels_last ones in particular), and a multiplier above 1 changes how
those kernels walk the output channels, so each is a class every run meets, not a draw
that comes by luck. Conv1d and Conv2d share these.
"""

from __future__ import annotations

from hypothesis import strategies as st

from spec.input_classes import CHANNELS
from spec.strategies import from_class

GROUPS_CLASSES = ("depthwise, multiplier > 1", "depthwise", "grouped", "1")


def groups_class(hp: dict) -> str:
    groups, per_in = hp["groups"], hp["in_channels"] // hp["groups"]
    if groups == 1:
        return "1"
    if per_in > 1:
        return "grouped"
    return "depthwise" if hp["out_channels"] == groups else "depthwise, multiplier > 1"


def draw_groups(
    draw: st.DrawFn, corner: dict, max_groups: int, max_per_group: int
) -> tuple[int, int, int]:
    """(groups, in_channels, out_channels) in the corner's groups class (and channels
    class, where the spec has one), else any."""
    several = st.integers(2, max_groups)
    # "1" first: a failing example shrinks towards one group.
    options = {"1": st.just(1), "grouped": several, "depthwise": several}
    options["depthwise, multiplier > 1"] = several
    chosen, groups = from_class(draw, corner, "groups", options)
    per_in = st.integers(1, max_per_group)
    if chosen.startswith("depthwise") or corner.get("channels") == CHANNELS[0]:
        per_in = st.just(1)
    elif chosen == "grouped" or corner.get("channels") == CHANNELS[1]:
        per_in = st.integers(2, max_per_group)
    per_out = {
        "depthwise": st.just(1),
        "depthwise, multiplier > 1": st.integers(2, max_per_group),
    }.get(chosen, st.integers(1, max_per_group))
    in_channels = groups * draw(per_in, label="in/group")
    return groups, in_channels, groups * draw(per_out, label="out/group")


def impossible_groups(classes: dict) -> bool:
    """Two groups or more need two input channels or more."""
    return classes.get("groups", "1") != "1" and classes.get("channels") == CHANNELS[0]
