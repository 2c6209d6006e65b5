"""training_steps: the chapter's networks trained for a few steps, as the chapter's reader
goes on to train them: zero_grad, forward, a loss, backward, optimizer.step().

Each step is judged link by link against the references, on the very values torch held:
- the loss (MSELoss, or CrossEntropyLoss over class indices or probabilities) of the
  network's output, and the gradient it sends back into the network, by the loss's spec;
- every child's output and gradients (its parameters' included), and every function
  between children, by the layer specs (tests/model_checks.py: op by op, since an
  end-to-end bound through tanh, convolutions and pooling could only be loose);
- the optimizer step (SGD, Adam or AdamW, drawn hyperparameters, one implementation torch
  offers here) of every parameter, from the gradient it held, by the update law
  (tests/optimizer_checks.py), state included; the optimizer property's recorded torch
  failures (tests/optimizer_carve_outs.py) apply here as there.
The steps chain: step 2 runs on the parameters step 1 left, so a gradient that is not
cleared (zero_grad on the model or on the optimizer, both drawn), a parameter the
optimizer does not see, or a loss whose gradient does not reach the network breaks a
link. Where a half-precision loop grows past its range, the bounds say what rounding
allows (a stored moment of inf, a sum that may overflow); every dtype is judged
(spec/training_loop.py: NOT_JUDGED, empty since a 50-seed float16 sweep stayed clean).
A run stops once a parameter is not finite (Adam with eps 0 on a zero gradient): the law
has judged that step, and a NaN network has nothing left to compose.
"""

from types import SimpleNamespace

import numpy as np
import torch
from hypothesis import given, note, strategies as st

from report.interface import cover, not_run
from spec import training_loop
from spec.inputs import Inputs
from spec.optimizer_plans import Plan
from spec.values import arrays
from tests import corners, impl
from tests.assertions import assert_matches_reference, tolerance_bound
from tests.cases import Case, argument_tensors, build, kernels_for
from tests.known_failures import Check, known_failure
from tests.model_checks import forward_and_gradients_follow_the_reference, run_with_hooks
from tests.models import build_model
from tests.optimizer_checks import Run, check_step, hold
from tests.optimizers import (
    failed_as_recorded,
    in_release,
    offered,
    optimizer_class,
    skipped_as_recorded,
)
from tests.paths import Need
from tests.tensors import as_received, to_numpy, to_torch, torch_dtype

# The network is called directly (hooks read it) and an optimizer steps its parameters.
NEEDS = frozenset({Need.UNCHANGED_MODULE, Need.OPTIMIZER_STEP})


@given(data=st.data())
def test_training_steps(model, device, dtype, path, nn, data):
    if dtype in training_loop.NOT_JUDGED:
        not_run("not-applicable", training_loop.NOT_JUDGED[dtype])
    # Dropout's masks decide the values, and the values whether the run goes on (a
    # non-finite parameter ends it) and so what is drawn next: torch's generator is seeded
    # from a draw, so an example replays as it ran (Hypothesis demands the same draws).
    seed = data.draw(st.integers(0, 2**32 - 1), label="torch seed")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        _train(model, device, dtype, nn, data)


def _train(model, device, dtype, nn, data):
    model_spec = model
    config = data.draw(model_spec.config(), label="config")
    stages = model_spec.stages(config)
    network = build_model(nn, model_spec, config).to(device=device, dtype=torch_dtype(dtype))
    training = data.draw(st.booleans(), label="training")
    network.train(training)
    loss_spec, loss_hp, loss_corner = data.draw(training_loop.losses(), label="loss")
    optimizer_spec, hp = data.draw(training_loop.optimizers(), label="optimizer")
    # An implementation without optimizers of its own trains with torch.optim's, which
    # the optimizer property judges: its steps here are taken, not judged again.
    own_optim = impl.is_torch(nn) or getattr(nn, "optim", None) is not None
    cls = optimizer_class(nn if own_optim else torch.nn, optimizer_spec)
    implementations = offered(cls, optimizer_spec, device, dtype)
    implementation = data.draw(st.sampled_from(sorted(implementations)), label="implementation")
    kwargs = in_release(cls, optimizer_spec, hp, nn)
    if kwargs is None:
        corners.leave_out(f"{optimizer_spec.name} takes no argument the corner needs")
    kwargs = {**kwargs, **implementations[implementation]}
    clear = data.draw(training_loop.zero_grad_calls(), label="zero_grad calls")
    steps = len(clear)
    note(
        f"{model_spec.name}({config}) training={training}; {loss_spec.name}(**{loss_hp}); "
        f"{optimizer_spec.name}(**{kwargs}); {steps} steps, {clear}"
    )
    cover(f"loss={loss_spec.name}", f"optimizer={optimizer_spec.name}")
    cover(f"implementation={implementation}", f"targets={loss_corner['targets']}")

    criterion = build(nn, loss_spec, loss_hp, device, dtype)
    params = list(network.parameters())
    optimizer = cls(params, **kwargs)
    run = Run(
        optimizer_spec, hp, kwargs, implementation, _plan(params, steps), dtype, device, nn.__name__
    )
    # A whole implementation a recorded torch failure carves out steps unjudged.
    judged = own_optim and not skipped_as_recorded(cls, run)
    context = SimpleNamespace(
        model=model_spec.name, dtype=dtype, device=device, training=training, impl=nn.__name__
    )
    for step in range(steps):
        with kernels_for(f"{model_spec.name} trained on {device} for {dtype}"):
            (optimizer if clear[step].startswith("optimizer") else network).zero_grad()
            trace, loss_case, loss = _forward_and_backward(
                network, stages, model_spec, config, criterion, loss_spec, loss_hp, loss_corner,
                context, data,
            )  # fmt: skip
        _loss_follows_the_reference(loss_case, loss, trace["output"], context)
        forward_and_gradients_follow_the_reference(network, stages, trace, context)
        before = [hold(optimizer, p) for p in params]
        run.grads.append([held.grad for held in before])
        if failed_as_recorded(run, step, optimizer, params):
            return  # the step raised as the recorded torch failure says
        with kernels_for(f"{optimizer_spec.name} [{implementation}] on {device} for {dtype}"):
            optimizer.step()
        if judged:
            check_step(run, step, before, [hold(optimizer, p) for p in params])
        if not all(bool(torch.isfinite(p).all()) for p in params):
            break


def _plan(params: list[torch.Tensor], steps: int) -> Plan:
    """The run as the optimizer saw it, for messages and repros: the network's starting
    parameters, all trainable; the gradients are the network's (Run.grads), not a plan's."""
    values = tuple(to_numpy(p) for p in params)
    nothing = tuple(None for _ in params)
    return Plan(values, (True,) * len(params), ("set_to_none",) * (steps - 1),
                (nothing,) * steps, {})  # fmt: skip


def _forward_and_backward(
    network, stages, model_spec, config, criterion, loss_spec, loss_hp, loss_corner, context, data
):
    """One drawn batch through the network and the loss, and backward from the loss."""
    dtype, device = context.dtype, context.device
    shape = data.draw(model_spec.input_shape(config), label="input_shape")
    x_values = as_received(data.draw(arrays(shape, model_spec.max_magnitude, "x")), dtype)
    x = to_torch(x_values, dtype, device, True)
    recorded = {}

    def backward(y):
        target = data.draw(loss_spec.arguments(loss_hp, tuple(y.shape), loss_corner))
        arguments = tuple(as_received(value, dtype) for value in target.values)
        recorded["case"] = case = Case(
            loss_spec, dict(loss_hp), tuple(y.shape), context.training, to_numpy(y), {}, None,
            dtype, device, context.impl, arguments=arguments,
        )  # fmt: skip
        recorded["loss"] = loss = criterion(y, *argument_tensors(case))
        loss.backward()

    trace = run_with_hooks(network, stages, x, backward)
    return trace, recorded["case"], recorded["loss"]


def _loss_follows_the_reference(case: Case, loss: torch.Tensor, output: tuple, context) -> None:
    """The loss of the network's output, and the gradient it sent back, by the loss spec."""
    call = Inputs(case.x, case.hp, arguments=case.arguments, training=context.training)
    what = f"{context.model} trained with {case.spec.name}"
    expected = case.spec.forward(call)[0]
    bound = tolerance_bound(context.dtype, case.spec.forward_error(call))
    known = known_failure(Check.VALUES, case.where())
    if known is None:
        assert_matches_reference(to_numpy(loss), expected, bound, what=f"{what}: loss", case=case)
    else:
        # Only the loss's value is left out: its gradient is judged as ever.
        note(f"{what}: the loss is not judged: known torch failure {known.id}")
        cover(f"known torch failure={known.id}")
    g = np.ones(np.shape(expected))
    call = call.with_grad(g)
    reference = case.spec.vjp(call)["input"]
    bound = tolerance_bound(context.dtype, case.spec.vjp_error(call)["input"])
    assert output[1] is not None, f"{what}: no gradient reached the network's output"
    actual = to_numpy(output[1])
    assert_matches_reference(
        actual, reference, bound, what=f"{what}: gradient into the network", case=case, grad_y=g
    )
