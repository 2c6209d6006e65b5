"""nn.Embedding: rows of the weight picked by int64 indices; padding_idx (negative too),
max_norm with norm_type (a forward that renormalises the looked-up rows of the weight in
place), scale_grad_by_freq, and the weight's gradient over repeated indices.

max_norm is drawn positive: a negative one is undocumented (torch then scales every
looked-up row by a negative factor). Indices are drawn as int64 (torch also takes int32).

The input is indices: it has no gradient, and the properties judge what exists (the
output, the weight's gradient, the weight after the call). max_norm's renormalisation is
a change of the parameter's value that autograd does not see (torch runs it under
no_grad): the spec states it as `forward_writes`, the forward property checks the
weight after every call, and the gradient is the lookup's.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from reference.embedding import (
    embedding_forward,
    embedding_vjp,
    padding_row,
    renormalised_rows,
    row_norms,
)
from reference.init_laws import constant_law, normal_law
from spec.arguments import indices
from spec.exact import ExactCase, largest_power_of_two, sums_exact
from spec.inputs import Inputs
from spec.layerspec import InvalidCase, LayerSpec, PartLaw
from spec.strategies import from_class, tensor_shapes

# Few rows for many positions: rows repeat, and their gradients accumulate.
MAX_ROWS = 8
MAX_DIM = 6
MAX_INDEX_RANK = 3
MAX_INDEX_SIDE = 5
# max_norm over rows of the drawn magnitudes: some rows above it, some below. Zero is not
# drawn: it zeroes every row it looks up, a map whose derivative is 0 where autograd's
# gradient (by design the lookup's) is not, so gradcheck has no point to judge it at.
MAX_NORMS = st.sampled_from([0.5, 1.0, 2.0]) | st.floats(1e-3, 50.0)
OTHER_NORM_TYPES = st.sampled_from([1.0, 3.0]) | st.floats(1.0, 4.0)
# Rows clearly inside the ball (norm below max_norm (1 - MARGIN)) are never rescaled by
# torch whatever its norm's rounding (bfloat16's is 2^-8 relative): they must stay exact.
MARGIN = 2.0**-6

PADDING_CLASSES = ("None", "non-negative", "negative")
# p = inf is a class of its own: the norm is a max, not a sum of powers, a separate code
# path in every backend (CUDA's and the ONNX export's renormalisation both get it wrong:
# tests/known_failures/layers/embedding.py); drawn among the other p, it came into one
# onnxruntime run of five.
MAX_NORM_CLASSES = ("None", "max_norm, p = 2", "max_norm, p = inf", "max_norm, other p")
FREQUENCY_CLASSES = ("False", "True")
CLASSES = {
    "padding_idx": PADDING_CLASSES,
    "max_norm": MAX_NORM_CLASSES,
    "scale_grad_by_freq": FREQUENCY_CLASSES,
}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    rows = draw(st.integers(1, MAX_ROWS), label="num_embeddings")
    hp = {"num_embeddings": rows, "embedding_dim": draw(st.integers(1, MAX_DIM), label="dim")}
    padding = {
        "None": st.sampled_from([{}, {"padding_idx": None}]),
        "non-negative": st.integers(0, rows - 1).map(lambda i: {"padding_idx": i}),
        "negative": st.integers(-rows, -1).map(lambda i: {"padding_idx": i}),
    }
    hp |= from_class(draw, corner, "padding_idx", padding)[1]
    norms = {
        "None": st.sampled_from([{}, {"max_norm": None}]),
        "max_norm, p = 2": st.builds(
            lambda m, given: {"max_norm": m} | ({"norm_type": 2.0} if given else {}),
            MAX_NORMS,
            st.booleans(),
        ),
        "max_norm, p = inf": MAX_NORMS.map(lambda m: {"max_norm": m, "norm_type": math.inf}),
        "max_norm, other p": st.builds(
            lambda m, p: {"max_norm": m, "norm_type": p}, MAX_NORMS, OTHER_NORM_TYPES
        ),
    }
    hp |= from_class(draw, corner, "max_norm", norms)[1]
    frequency = {"False": st.sampled_from([{}, {"scale_grad_by_freq": False}])}
    frequency["True"] = st.just({"scale_grad_by_freq": True})
    hp |= from_class(draw, corner, "scale_grad_by_freq", frequency)[1]
    return hp


def classify(hp: dict, shape: tuple) -> dict:
    padding = hp.get("padding_idx")
    norm_type = hp.get("norm_type", 2.0)
    return {
        "padding_idx": "None" if padding is None else "negative" if padding < 0 else "non-negative",
        "max_norm": "None"
        if hp.get("max_norm") is None
        else "max_norm, p = 2"
        if norm_type == 2.0
        else "max_norm, p = inf"
        if norm_type == math.inf
        else "max_norm, other p",
        "scale_grad_by_freq": str(bool(hp.get("scale_grad_by_freq", False))),
    }


def input_shape(hp: dict) -> st.SearchStrategy[tuple]:
    return tensor_shapes(0, MAX_INDEX_RANK, MAX_INDEX_SIDE)


@st.composite
def input_indices(draw: st.DrawFn, hp: dict, shape: tuple) -> np.ndarray:
    """Indices from a few rows (they repeat), the padding row among them at times."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="index seed"))
    rows = hp["num_embeddings"]
    pool = rng.choice(rows, size=rng.integers(1, rows + 1), replace=False)
    pad = padding_row(hp.get("padding_idx"), rows)
    if pad is not None and draw(st.booleans(), label="padding row looked up"):
        pool = np.union1d(pool, [pad])
    return indices(rng.choice(pool, size=shape))


def _lookup(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    hp = inputs.hp
    return embedding_forward(
        inputs.x, inputs.params["weight"], hp.get("max_norm"), hp.get("norm_type", 2.0)
    )


def forward(inputs):
    return _lookup(inputs)[0], {}


def vjp(inputs):
    hp = inputs.hp
    return embedding_vjp(
        inputs.x,
        hp["num_embeddings"],
        inputs.g,
        hp.get("padding_idx"),
        hp.get("scale_grad_by_freq", False),
    )


def _written_scale(inputs: Inputs) -> np.ndarray:
    """Per weight element: |new value| for a row the forward rescales or may rescale (its
    norm within rounding of max_norm), 0 for a row it must leave exactly as it is.

    A rescaled row: the norm is a K = dim sum (its rounding, halved by the root, and the
    power's), times max_norm / (norm + 1e-7) (exact in double), times the element (one
    rounding): within c eps sqrt(dim) of the value. A row whose norm torch rounds to the
    other side of max_norm differs by |w| (1 - max_norm / (norm + 1e-7)), inside that too
    but in float64 at norms within 1e-16 of max_norm (not drawn but by chance).
    """
    hp, weight = inputs.hp, inputs.params["weight"]
    if hp.get("max_norm") is None:
        return np.zeros_like(weight)
    norm_type = hp.get("norm_type", 2.0)
    near = renormalised_rows(inputs.x, weight, hp["max_norm"] * (1 - MARGIN), norm_type)
    return np.abs(_lookup(inputs)[1]) * near[:, None]


def forward_writes(inputs):
    hp = inputs.hp
    if hp.get("max_norm") is None:
        return {}
    return {"weight": (_lookup(inputs)[1], (_written_scale(inputs), hp["embedding_dim"]))}


def forward_error(inputs):
    # A copy of the rows as they are after the call: exact, but for rescaled ones.
    return _written_scale(inputs)[inputs.x], inputs.hp["embedding_dim"]


def vjp_error(inputs):
    # Each row sums its positions' gradients (over their count with scale_grad_by_freq).
    hp = inputs.hp
    rows = hp["num_embeddings"]
    absolute = embedding_vjp(
        inputs.x,
        rows,
        np.abs(inputs.g),
        hp.get("padding_idx"),
        hp.get("scale_grad_by_freq", False),
    )["weight"]
    counts = np.bincount(np.ravel(inputs.x), minlength=rows)[:, None]
    return {"weight": (absolute, np.maximum(counts, 1))}


def differentiable_params(hp: dict, params: dict) -> dict:
    """Rows scaled inside half the norm ball: the forward's renormalisation never acts, so
    the call is the lookup, whose derivative autograd's gradient is by design."""
    if hp.get("max_norm") is None:
        return dict(params)
    weight = np.array(params["weight"])
    norms = row_norms(weight, hp.get("norm_type", 2.0))
    limit = hp["max_norm"] / 2
    scale = np.where(norms > limit, limit / np.maximum(norms, 1e-300), 1.0)
    return {"weight": weight * scale[:, None]}


def derivative_directions(hp: dict, x: np.ndarray) -> dict:
    """The weight's rows whose gradient is the lookup's derivative: not the padding row
    (its gradient is zero by design), nor with scale_grad_by_freq a row picked k > 1 times
    (its gradient is the derivative over k)."""
    rows = hp["num_embeddings"]
    mask = np.ones((rows, hp["embedding_dim"]), dtype=bool)
    pad = padding_row(hp.get("padding_idx"), rows)
    if pad is not None:
        mask[pad] = False
    if hp.get("scale_grad_by_freq"):
        mask[np.bincount(np.ravel(x), minlength=rows) > 1] = False
    return {"weight": mask}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return (*shape, hp["embedding_dim"])


def param_shapes(hp: dict) -> dict:
    return {"weight": (hp["num_embeddings"], hp["embedding_dim"])}


def init(hp: dict) -> dict:
    """N(0, 1) everywhere (reset_parameters' normal_), but the padding row: zeros."""
    shape = (hp["num_embeddings"], hp["embedding_dim"])
    pad = padding_row(hp.get("padding_idx"), hp["num_embeddings"])
    if pad is None:
        return {"weight": normal_law(0.0, 1.0)}
    padding = np.zeros(shape, dtype=bool)
    padding[pad] = True
    return {
        "weight": (PartLaw(normal_law(0.0, 1.0), ~padding), PartLaw(constant_law(0.0), padding))
    }


INVALID_KINDS = (
    "index out of range",
    "negative index",
    "floating-point indices",
    "padding_idx out of range",
    "negative size",
)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    hp = draw(hyperparams(), label="valid hp")
    kind = (corner or {}).get("invalid kind") or draw(st.sampled_from(INVALID_KINDS))
    rows = hp["num_embeddings"]
    x = indices(np.zeros(draw(st.integers(1, 4), label="positions")))
    if kind == "index out of range":
        x[-1] = rows + draw(st.integers(0, 2), label="past the end")
        return InvalidCase(hp, x.shape, IndexError, kind, x, in_kernel=True)
    if kind == "negative index":
        x[-1] = -draw(st.integers(1, rows), label="negative")
        return InvalidCase(hp, x.shape, IndexError, kind, x, in_kernel=True)
    if kind == "floating-point indices":
        return InvalidCase(hp, x.shape, RuntimeError, kind, x.astype(np.float64))
    if kind == "padding_idx out of range":
        # torch checks it with an assert statement: "Padding_idx must be within num_embeddings".
        wrong = draw(st.sampled_from([rows, rows + 3, -rows - 1, -rows - 3]), label="padding_idx")
        return InvalidCase({**hp, "padding_idx": wrong}, None, AssertionError, kind)
    key = draw(st.sampled_from(["num_embeddings", "embedding_dim"]), label="negative size")
    hp = {**hp, key: -draw(st.integers(1, 4)), "padding_idx": None}
    return InvalidCase(hp, None, RuntimeError, kind)


# ---- exact cases ------------------------------------------------------------------------

MAX_INTEGER = 2
DENSITIES = (1.0, 0.5, 0.25, 0.1, 0.0)


def _without_max_norm(spec):
    return spec.hyperparams().map(lambda hp: {**hp, "max_norm": None})


def _power_of_two_counts(rng: np.random.Generator, rows: int, size: int) -> np.ndarray:
    """size (a power of two) indices over 2^j distinct rows, each picked size / 2^j times."""
    distinct = largest_power_of_two(min(rows, size))
    chosen = rng.permutation(rows)[:distinct]
    return indices(rng.permutation(np.repeat(chosen, size // distinct)))


def _lookup_inputs(spec, hp, dtype):
    @st.composite
    def build(draw):
        shape = tuple(draw(spec.input_shape(hp), label="shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        rows, dim = hp["num_embeddings"], hp["embedding_dim"]
        if hp.get("scale_grad_by_freq"):
            # 2^k positions, so every row's count can be a power of two.
            shape = tuple(largest_power_of_two(n) for n in shape)
            size = int(np.prod(shape, dtype=np.int64))
            x = _power_of_two_counts(rng, rows, size).reshape(shape)
        else:
            x = indices(rng.integers(0, rows, shape))
        weight = rng.standard_normal((rows, dim))
        for density in DENSITIES:
            grad_y = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, (*shape, dim))
            grad_y = (grad_y * (rng.random(grad_y.shape) < density)).astype(np.float64)
            inputs = Inputs(x, hp, {"weight": weight}, grad_y=grad_y)
            if _accumulations_exact(inputs, dtype):
                return inputs
        raise AssertionError("unreachable: density 0 gives zero gradients")

    return build()


def _accumulations_exact(inputs: Inputs, dtype: str) -> bool:
    flat = np.ravel(inputs.x)
    rows = np.reshape(inputs.g, (flat.size, -1))
    counts = np.bincount(flat, minlength=inputs.hp["num_embeddings"])
    if inputs.hp.get("scale_grad_by_freq") and any(
        c != largest_power_of_two(c) for c in counts if c
    ):
        return False
    return all(sums_exact(rows[flat == r], dtype) for r in np.unique(flat))


def _rows_within(spec):
    """max_norm = embedding_dim: a row of entries in {-1, 0, 1} has p-norm at most dim."""
    return spec.hyperparams().map(
        lambda hp: {**hp, "max_norm": float(hp["embedding_dim"]), "scale_grad_by_freq": False}
    )


def _unit_rows(spec, hp, dtype):
    @st.composite
    def build(draw):
        shape = tuple(draw(spec.input_shape(hp), label="shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        rows, dim = hp["num_embeddings"], hp["embedding_dim"]
        x = indices(rng.integers(0, rows, shape))
        weight = rng.integers(-1, 2, (rows, dim)).astype(np.float64)
        grad_y = np.zeros((*shape, dim))
        return Inputs(x, hp, {"weight": weight}, grad_y=grad_y)

    return build()


EXACT = (
    ExactCase(
        "lookup and accumulate",
        why=(
            "without max_norm the output is a copy of weight rows, exact whatever the "
            "values; the weight gradient sums small-integer output gradients per row, every "
            "partial sum an integer inside the exact range (thinned until it is), divided "
            "with scale_grad_by_freq by counts that are powers of two"
        ),
        inputs=_lookup_inputs,
        hyperparams=_without_max_norm,
        exact=("output", "parameters"),
    ),
    ExactCase(
        "rows within max_norm",
        why=(
            "max_norm = embedding_dim and weight entries in {-1, 0, 1}: every row's p-norm "
            "(p >= 1) is at most its count of nonzeros, so no row exceeds max_norm and the "
            "forward must leave the weight exactly as it was and copy its rows exactly"
        ),
        inputs=_unit_rows,
        hyperparams=_rows_within,
        exact=("output", "written"),
    ),
)


SPEC = LayerSpec(
    name="Embedding",
    # Index tensors of rank 0 to MAX_INDEX_RANK (input_shape).
    input_ranks=lambda classes: frozenset(range(MAX_INDEX_RANK + 1)),
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "padding_idx": None,
        "max_norm": None,
        "norm_type": 2.0,
        "scale_grad_by_freq": False,
        "sparse": False,
        "_weight": None,
        "_freeze": False,
    },
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=out_shape,
    param_shapes=param_shapes,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    invalid_kinds=INVALID_KINDS,
    init=init,
    exact=EXACT,
    classes=CLASSES,
    classify=classify,
    input_indices=input_indices,
    forward_writes=forward_writes,
    differentiable_params=differentiable_params,
    derivative_directions=derivative_directions,
    out_of_scope={
        "sparse": "a sparse weight gradient works with the optimizers that take sparse "
        "gradients alone (SGD without weight decay, SparseAdam, Adagrad); the freezing "
        "property's weight decay, Adam and AdamW reject it, and its dense value is the "
        "dense gradient checked here",
        "_weight": "an initial weight tensor (from_pretrained's way in): the properties load "
        "drawn weight values into every module anyway",
        "_freeze": "from_pretrained's requires_grad=False: the freezing property freezes "
        "through every public API",
    },
)
