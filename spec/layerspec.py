"""LayerSpec: one declarative description of a torch.nn layer that every property test reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from reference.init_laws import InitLaw
from spec.arguments import CallArguments
from spec.exact import ExactCase, Sweep, Symmetry
from spec.inputs import Inputs
from spec.modes import MODE_FREE, Mode
from spec.values import ValueClass

Array = np.ndarray
Shape = tuple[int, ...]
HyperParams = Mapping[str, Any]

# (output, new buffers) = forward(inputs)
ForwardRef = Callable[[Inputs], tuple[Array, dict]]
# {"input": ..., "<param>": ...} = vjp(inputs), inputs.grad_y set
VjpRef = Callable[[Inputs], dict]
# Per output element: (error scale, reduction length K), optionally followed by a floor
# scale (how many floors a flushed forward value can grow into); see spec/tolerances.py.
ErrorScale = (
    tuple[Array, Array | int]
    | tuple[Array, Array | int, Array | float]
    | tuple[Array, Array | int, Array | float, Array | float]
)
ForwardScale = Callable[[Inputs], ErrorScale]
VjpScale = Callable[[Inputs], dict[str, ErrorScale]]


@dataclass(frozen=True)
class InvalidCase:
    """A configuration torch must reject, and how."""

    hp: dict
    input_shape: Shape | None  # None: the constructor itself must raise
    exception: type[BaseException]
    why: str
    # The call's input and arguments when their values matter (an index out of range, a
    # target of the wrong class or dtype); by default x is ones of input_shape, alone.
    x: Array | None = None
    arguments: tuple[Array, ...] = ()
    # The mode the call must run in to be invalid (a batch norm with running statistics
    # takes batch statistics only in training); None: it is invalid in either.
    training: bool | None = None
    # An index checked inside the kernel: on CUDA the rejection is a device-side
    # assertion that leaves the process unusable, so there it is judged in a child
    # process (tests/device_assert.py).
    in_kernel: bool = False


@dataclass(frozen=True)
class Interaction:
    """Classes of three or more dimensions the corner pass meets together in one row (or
    in `rows` rows)."""

    name: str
    classes: Mapping[str, str]  # {dimension: class}
    why: str
    # Rows the corner pass gives the combination, each with an example of its own: more
    # than one where the kernel is wrong in only part of the region the classes name (a
    # draw inside them lands in it one time in a few), so that a run meets the part.
    rows: int = 1


@dataclass(frozen=True)
class PartLaw:
    """The init law of part of a parameter: the elements `mask` selects (nn.Embedding's
    padding row is zeros, its other rows normal). A parameter's parts partition it."""

    law: InitLaw
    mask: Array  # boolean, the parameter's shape

    def __repr__(self) -> str:
        return f"PartLaw({self.law}, {int(np.count_nonzero(self.mask))} elements)"


# Per parameter: one law for every element, or laws of the parts that partition it.
InitLaws = dict[str, InitLaw | tuple[PartLaw, ...]]
# Parameters a forward call rewrites: {name: (value after the call, its error scale)}.
ParameterWrites = dict[str, tuple[Array, ErrorScale]]


def _no_shapes(hp: HyperParams) -> dict:
    return {}


def _no_laws(hp: HyperParams) -> dict:
    return {}


def _no_classes(hp: HyperParams, shape: Shape) -> dict[str, str]:
    return {}


def _never(hp: HyperParams) -> bool:
    return False


def _nothing_impossible(classes: Mapping[str, str]) -> bool:
    return False


# Every rank a spec may draw where its classes do not say (elementwise layers: 0 to 4).
ANY_RANK = frozenset(range(6))


def _any_rank(classes: Mapping[str, str]) -> frozenset[int]:
    return ANY_RANK


def _no_randomness(x: Array, y: Array, hp: HyperParams, training: bool) -> None:
    return None


def _always_resolved(x: Array, hp: HyperParams, training: bool) -> bool:
    return True


def _writes_nothing(inputs: Inputs) -> ParameterWrites:
    return {}


def _as_drawn(hp: HyperParams, params: Mapping[str, Array]) -> dict[str, Array]:
    return dict(params)


def _every_direction(hp: HyperParams, x: Array) -> dict[str, Array]:
    return {}


@dataclass(frozen=True, repr=False)
class LayerSpec:
    """Everything the property tests need to know about one layer, as data."""

    name: str  # the torch.nn class name, looked up on the implementation under test
    # Valid constructor kwargs; given a corner {dimension: class}, within those classes.
    hyperparams: Callable[..., st.SearchStrategy[dict]]
    input_shape: Callable[[HyperParams], st.SearchStrategy[Shape]]
    forward: ForwardRef
    vjp: VjpRef
    out_shape: Callable[[HyperParams, Shape], Shape]
    param_shapes: Callable[[HyperParams], dict[str, Shape]]
    forward_error: ForwardScale
    vjp_error: VjpScale
    # Invalid configurations; given a corner {"invalid kind": kind}, of that kind.
    invalid: Callable[..., st.SearchStrategy[InvalidCase]]
    buffer_shapes: Callable[[HyperParams], dict[str, Shape]] = _no_shapes
    # Default initialisation law of each parameter (or of its parts), as a function of hp
    # ({}: none).
    init: Callable[[HyperParams], InitLaws] = _no_laws
    # How train and eval differ (spec/modes.py): by default they do not.
    mode: Mode = MODE_FREE
    # Buffers' starting values (e.g. a positive running_var); default: torch's own.
    buffer_values: Callable[[HyperParams], st.SearchStrategy[dict]] | None = None
    # Stochastic layers: the realised randomness, read off a probe. The harness runs a
    # copy of the module on an all-ones input under the same RNG state as the real
    # call, so (probe_x, probe_y, hp, training) -> anything the reference accepts.
    # (Reading it off the real output would leave it undetermined where x == 0.)
    recover_randomness: Callable[[Array, Array, HyperParams, bool], Any] = _no_randomness
    # Points where the map is not differentiable; gradcheck inputs keep away from them.
    kinks: tuple[float, ...] = ()
    twice_differentiable: bool = True
    # Whether central differences resolve the derivative at (x, hp, training) in float64:
    # the map's own rounding, divided by the step, stays well below the check's tolerance.
    # Normalisations of near-constant groups with a tiny eps are not: terms of size 1/std
    # cancel to the answer, and their rounding over the step swamps it (gradcheck skips).
    differences_resolve: Callable[[Array, HyperParams, bool], bool] = _always_resolved
    # Largest |x| the input strategy draws (exp-based maps are pushed further).
    max_magnitude: float = 1e2
    # Whether the layer, so configured, writes its result into its input (inplace=True).
    writes_in_place: Callable[[HyperParams], bool] = _never
    # The categorical classes of the hyperparameters ({dimension: classes}) and of the
    # input (spec/input_classes.py: batch, channels, windows against the padding). Every
    # run meets every pair of classes of two dimensions in every property (tests/corners.py);
    # `classify` says which classes a configuration and input shape fall in.
    classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    input_classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    classify: Callable[[HyperParams, Shape], dict[str, str]] = _no_classes
    # The dimensions of `classes` the input shape decides (softmax's implicit dim is the
    # last one or not): input_shape takes the corner as its second argument, as it does
    # for every spec with input classes.
    shape_classes: tuple[str, ...] = ()
    # Combinations of classes no configuration has ({dimension: class}, possibly of a few
    # dimensions only): floor-mode pooling never runs a window past the padding. The
    # corner pass does not ask for them and the report does not count them possible.
    impossible: Callable[[Mapping[str, str]], bool] = _nothing_impossible
    # Combinations of more than two classes ({dimension: class}) the corner pass meets in
    # one row each, beyond its pairs: regions where a kernel specialises on three or more
    # classes at once, which a pairwise array meets only by chance. Each says why.
    interactions: tuple[Interaction, ...] = ()
    # Input dimensions (of input_classes) every exact case meets class by class, every
    # run: the exact corner pass draws each case's inputs once inside each class of each.
    # For dimensions no exact case's hyperparameters rule a class out of (LayerNorm's
    # leading dims, where OpenVINO loses a float16 eps for some counts and not others).
    exact_input_classes: tuple[str, ...] = ()
    # The ranks an input of these classes ({dimension: class}, possibly of a few
    # dimensions only) can have: which memory layouts a row of classes can be paired with
    # (channels_last needs a 4-D input; tests/layouts.py).
    input_ranks: Callable[[Mapping[str, str]], frozenset[int]] = _any_rank
    # The kinds of invalid configuration `invalid` draws, each reached every run.
    invalid_kinds: tuple[str, ...] = ()
    # Inputs whose answer every correct algorithm gives exactly (spec/exact.py).
    exact: tuple[ExactCase | Symmetry | Sweep, ...] = ()
    # The documented default of every optional constructor argument (factory kwargs aside):
    # what an argument the hyperparameters leave out means, and what an implementation's
    # own defaults are held to (selftest/test_spec_defaults.py checks torch.nn's).
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # Constructor arguments deliberately not drawn, each with the reason.
    out_of_scope: Mapping[str, str] = field(default_factory=dict)
    # x as indices: (hp, input shape) -> a strategy of integer arrays (nn.Embedding's
    # rows). None: x is floating-point values over the whole domain (spec/values.py). An
    # index input has no gradient; the properties judge what exists.
    input_indices: Callable[[HyperParams, Shape], st.SearchStrategy[Array]] | None = None
    # The tensors a call takes after x, module(x, *arguments) (a loss's target): their
    # names, and (hp, input shape, corner) -> a strategy of CallArguments. Floating-point
    # arguments get gradients, named as here in the VJP; index arguments get none.
    argument_names: tuple[str, ...] = ()
    arguments: Callable[..., st.SearchStrategy[CallArguments]] | None = None
    # The dimensions of `classes` the drawn arguments decide (which targets are ignored).
    argument_classes: tuple[str, ...] = ()
    # Parameters a forward call itself rewrites (Embedding's max_norm renormalises the
    # rows it looks up, in place), as the reference computes them from the call's
    # inputs; every parameter it does not name must be bitwise unchanged by a forward.
    forward_writes: Callable[[Inputs], ParameterWrites] = _writes_nothing
    # Parameter values moved to where the call is a differentiable function of them, for
    # gradcheck (Embedding with max_norm: looked-up rows inside the norm ball, where the
    # forward's renormalisation, a state change autograd does not see, does nothing).
    differentiable_params: Callable[[HyperParams, Mapping[str, Array]], dict[str, Array]] = (
        _as_drawn
    )
    # Where autograd's gradient is, by design, not the derivative of the call (Embedding
    # zeroes the padding row's; with scale_grad_by_freq it divides a row's by its count):
    # (hp, x) -> {parameter: boolean mask of the elements whose gradient is the
    # derivative}. gradcheck perturbs along those alone; the gradients property judges
    # every element against the documented VJP. Default: every element, every parameter.
    derivative_directions: Callable[[HyperParams, Array], dict[str, Array]] = _every_direction
    # Whether the constructor takes device=/dtype= (torch's convention for a module that
    # creates its tensors; a loss is handed its class weight and takes neither).
    factory_kwargs: bool = True
    # Devices on which torch documents the forward as nondeterministic (it raises under
    # torch.use_deterministic_algorithms there): two calls with the same input may sum in
    # another order. Properties that demand bitwise-equal repeats (modes) then demand
    # that each repeat is within the reference's bound of the law instead.
    nondeterministic_on: tuple[str, ...] = ()
    # Values a bug needs together (spec/values.py ValueClass): the properties that draw
    # an input and a grad_output pair each class with the others in their corner pass.
    value_classes: tuple[ValueClass, ...] = ()

    def __post_init__(self) -> None:
        """Reject a malformed spec when it is built, naming the bad field."""
        if not self.name or not self.name.isidentifier():
            raise ValueError(f"LayerSpec.name must be a torch.nn class name, got {self.name!r}")
        for name in ("hyperparams", "input_shape", "forward", "vjp", "out_shape", "invalid"):
            if not callable(getattr(self, name)):
                raise TypeError(f"LayerSpec {self.name}: {name} must be callable")
        if not isinstance(self.mode, Mode):
            raise TypeError(f"LayerSpec {self.name}: mode must be a spec.modes.Mode")
        if not self.max_magnitude > 0:
            raise ValueError(f"LayerSpec {self.name}: max_magnitude {self.max_magnitude} <= 0")
        if (self.arguments is None) != (not self.argument_names):
            raise ValueError(f"LayerSpec {self.name}: arguments and argument_names go together")
        unknown = set(self.argument_classes) - set(self.classes)
        if unknown:
            raise ValueError(f"LayerSpec {self.name}: argument_classes not in classes: {unknown}")
        dims = {**self.classes, **self.input_classes}
        undeclared = set(self.exact_input_classes) - set(self.input_classes)
        if undeclared:
            raise ValueError(
                f"LayerSpec {self.name}: exact_input_classes not in input_classes: {undeclared}"
            )
        for interaction in self.interactions:
            wrong = {d: c for d, c in interaction.classes.items() if c not in dims.get(d, ())}
            if wrong or len(interaction.classes) < 3:
                raise ValueError(
                    f"LayerSpec {self.name}: interaction {interaction.name!r} must name "
                    f"three or more of its classes; unknown: {wrong}"
                )
            if interaction.rows < 1:
                raise ValueError(
                    f"LayerSpec {self.name}: interaction {interaction.name!r} needs rows >= 1"
                )
            if self.impossible(interaction.classes):
                raise ValueError(
                    f"LayerSpec {self.name}: interaction {interaction.name!r} is impossible"
                )

    @property
    def shape_takes_corner(self) -> bool:
        """Whether input_shape(hp, corner) honours a corner (input or shape-decided classes)."""
        return bool(self.input_classes or self.shape_classes)

    @property
    def has_parameters(self) -> bool:
        """Whether the layer declares parameter init laws (layers without parameters do not)."""
        return self.init is not _no_laws

    @property
    def takes_indices(self) -> bool:
        """Whether x is an index tensor (no input gradient), not floating-point values."""
        return self.input_indices is not None

    @property
    def writes_parameters(self) -> bool:
        """Whether some configuration's forward call rewrites a parameter."""
        return self.forward_writes is not _writes_nothing

    def __repr__(self) -> str:
        # Hypothesis prints the failing test's arguments: the name says it all.
        return f"<LayerSpec {self.name}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis' pretty-printer expands dataclasses field by field unless told.
        printer.text(repr(self))
