"""nn.Flatten: dims start_dim..end_dim (either may be negative) merged into one."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.flatten import flatten_forward, flatten_out_shape, flatten_vjp
from spec.elementwise import MAX_RANK, MIN_RANK, exact, no_params
from spec.exact import ExactCase, integer_inputs
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import tensor_shapes

DEFAULTS = {"start_dim": 1, "end_dim": -1}


def _dims(hp: dict) -> tuple[int, int]:
    return hp.get("start_dim", DEFAULTS["start_dim"]), hp.get("end_dim", DEFAULTS["end_dim"])


def _accepts(hp: dict, rank: int) -> bool:
    """Whether torch flattens a rank-`rank` input with these dims (a 0-d one has one dim)."""
    start, end = _dims(hp)
    dims = max(rank, 1)
    if not (-dims <= start < dims and -dims <= end < dims):
        return False
    return start % dims <= end % dims


def _spelled(draw: st.DrawFn, dim: int, dims: int, name: str) -> int:
    """dim written either way: counted from the front or (negative) from the back."""
    return dim - dims if draw(st.booleans(), label=f"{name} negative") else dim


# Both defaults left out (Flatten() as the chapter writes it), or the dims given.
SPELLING_CLASSES = ("defaults", "given")
CLASSES = {"dims": SPELLING_CLASSES}


def classify(hp: dict, shape: tuple) -> dict:
    return {"dims": "defaults" if not hp else "given"}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    if (corner or {}).get("dims") == "defaults":
        return {}
    # A rank for which a valid pair exists; the input then takes any rank the pair fits.
    dims = max(1, draw(st.integers(MIN_RANK, MAX_RANK), label="rank the dims fit"))
    start = draw(st.integers(0, dims - 1), label="start_dim")
    end = draw(st.integers(start, dims - 1), label="end_dim")
    hp = {
        "start_dim": _spelled(draw, start, dims, "start_dim"),
        "end_dim": _spelled(draw, end, dims, "end_dim"),
    }
    # Leave out an argument whose value is torch's default, so the defaults are tested too.
    for name, default in DEFAULTS.items():
        if hp[name] == default and draw(st.booleans(), label=f"omit {name}"):
            del hp[name]
    if (corner or {}).get("dims") == "given" and not hp:
        hp = {"start_dim": 1}
    return hp


def input_shape(hp: dict) -> st.SearchStrategy[tuple]:
    ranks = [rank for rank in range(MIN_RANK, MAX_RANK + 1) if _accepts(hp, rank)]
    return st.sampled_from(ranks).flatmap(lambda rank: tensor_shapes(rank, rank))


def forward(inputs):
    return flatten_forward(inputs.x, *_dims(inputs.hp)), {}


def vjp(inputs):
    return flatten_vjp(inputs.x, *_dims(inputs.hp), inputs.g)


# A relabelling of elements: output and gradient are exact, the bound is the floor.
def forward_error(inputs):
    return np.zeros(out_shape(inputs.hp, inputs.x.shape)), 1


def vjp_error(inputs):
    return {"input": (exact(inputs.x), 1)}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return flatten_out_shape(shape, *_dims(hp))


INVALID_KINDS = ("start after end", "dim out of range")


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    kind = (corner or {}).get("invalid kind") or draw(
        st.sampled_from(INVALID_KINDS), label="invalid kind"
    )
    if kind == "start after end":
        rank = draw(st.integers(max(MIN_RANK, 2), MAX_RANK), label="rank")
        end = draw(st.integers(0, rank - 2), label="end_dim")
        start = draw(st.integers(end + 1, rank - 1), label="start_dim")
        hp = {
            "start_dim": _spelled(draw, start, rank, "start_dim"),
            "end_dim": _spelled(draw, end, rank, "end_dim"),
        }
        return InvalidCase(hp, draw(tensor_shapes(rank, rank)), RuntimeError, kind)
    rank = draw(st.integers(MIN_RANK, MAX_RANK), label="rank")
    beyond = draw(st.integers(0, 2), label="how far out of range")
    wrong = draw(st.sampled_from([rank + beyond, -rank - 1 - beyond]), label="wrong dim")
    fine = _spelled(draw, draw(st.integers(0, rank - 1), label="valid dim"), rank, "valid dim")
    which = draw(st.sampled_from(list(DEFAULTS)), label="out-of-range argument")
    other = "end_dim" if which == "start_dim" else "start_dim"
    hp = {which: wrong, other: fine}
    return InvalidCase(hp, draw(tensor_shapes(rank, rank)), IndexError, f"{which} {kind}")


EXACT = (
    ExactCase(
        "any values",
        why="flattening relabels elements: output and gradient are copies, exactly",
        inputs=integer_inputs(),
    ),
)

SPEC = LayerSpec(
    name="Flatten",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"start_dim": 1, "end_dim": -1},
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=out_shape,
    param_shapes=no_params,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    invalid_kinds=INVALID_KINDS,
    classes=CLASSES,
    classify=classify,
    exact=EXACT,
)
