"""chapter claims: every concrete statement of the chapter, checked on `nn`.

The claims are data (spec/chapter_claims.py). Each test checks the claims assigned to
it one by one, records every claim with its own outcome for the report, and fails at
the end if any claim failed, so one wrong number never hides the others. Inputs are
the chapter's own shapes, filled from a fixed seed: the claims are concrete, not drawn.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
import torch

from reference.activations import relu_forward
from reference.conv2d import conv2d_forward
from reference.init_laws import kaiming_normal_std, xavier_uniform_bound
from reference.linear import linear_forward
from report.interface import NotRun
from spec.chapter_claims import CONV_TOTAL, LINEAR_TOTAL, claim_named, claims_checked_by
from spec.inputs import Inputs
from spec.models import CHAPTER_DYNAMIC_NET, CHAPTER_MY_NETWORK, LENET5_INPUT
from spec.registry import layer_named
from spec.statistics import check_keep_rate, check_normal, keep_samples_needed
from spec.values import REGIMES, fill
from tests.assertions import tolerance_bound
from tests.models import chapter_initialize_weights, dynamic_net, lenet5, my_network
from tests.paths import Need
from tests.tensors import seed_torch, to_numpy, to_torch

# The chapter's claims are about its modules as written, built outside the harness.
NEEDS = frozenset({Need.UNCHANGED_MODULE})

SEED = 0  # the fixed seed of every input below (torch.randn in the chapter)
DTYPE = "float32"  # the chapter's default dtype
BATCH = 64  # the chapter's batch size


class Claims:
    """Checks one test's claims, records each with its outcome, and fails at the end."""

    def __init__(self, test_name: str, record: Callable[..., None]) -> None:
        self.expected = {claim.id for claim in claims_checked_by(test_name)}
        self.record = record
        self.failures: list[str] = []
        self.checked: set[str] = set()

    @contextmanager
    def check(self, claim_id: str):
        claim = claim_named(claim_id)
        outcome = "passed"
        try:
            yield claim
        except NotRun:
            raise  # a claim the implementation cannot be asked (not provided): no verdict
        except Exception as error:  # any way of not holding the claim fails it
            outcome = "failed"
            self.failures.append(f"{claim.id} ({claim.claim}): {type(error).__name__}: {error}")
        self.checked.add(claim.id)
        self.record(claim.id, claim.claim, outcome)

    def finish(self) -> None:
        missing = self.expected - self.checked
        assert not missing, f"claims assigned to this test but never checked: {sorted(missing)}"
        assert not self.failures, "chapter claims that do not hold:\n" + "\n".join(self.failures)


def _randn(*shape: int) -> np.ndarray:
    """Standard normal values rounded to the chapter's dtype, from the fixed seed."""
    values = np.random.default_rng(SEED).standard_normal(shape)
    return to_numpy(torch.from_numpy(values).to(torch.float32))


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _within(actual: np.ndarray, expected: np.ndarray, bound: np.ndarray, what: str) -> None:
    error = np.abs(actual - expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert (error <= bound).all(), (
        f"{what}: max |error| {error.max():.3g}, allowed there {bound.flat[error.argmax()]:.3g}"
    )


def test_linear_claims(nn, device, path, chapter_claim_record):
    claims = Claims("test_linear_claims", chapter_claim_record)
    fc = nn.Linear(in_features=784, out_features=256).to(device)
    x = _randn(BATCH, 784)
    with claims.check("linear.shapes") as claim:
        shapes = {name: tuple(p.shape) for name, p in fc.named_parameters()}
        assert shapes == claim.value, shapes
    with claims.check("linear.output_shape") as claim:
        y = fc(to_torch(x, DTYPE, device))
        assert tuple(y.shape) == claim.value, tuple(y.shape)
    with claims.check("linear.formula"):
        w, b = to_numpy(fc.weight), to_numpy(fc.bias)
        scale = linear_forward(np.abs(x), np.abs(w), np.abs(b))
        _within(to_numpy(y), x @ w.T + b, tolerance_bound(DTYPE, (scale, 784)), "x @ W.T + b")
    with claims.check("linear.param_count") as claim:
        counts = {"weight": fc.weight.numel(), "bias": fc.bias.numel(), "total": _count(fc)}
        assert counts == claim.value == {"weight": 784 * 256, "bias": 256, "total": 200_704 + 256}
    claims.finish()


def test_conv2d_claims(nn, device, path, chapter_claim_record):
    claims = Claims("test_conv2d_claims", chapter_claim_record)
    conv = nn.Conv2d(in_channels=3, out_channels=32, kernel_size=5, stride=1, padding=0)
    conv = conv.to(device)
    x = _randn(BATCH, 3, 32, 32)
    with claims.check("conv2d.shapes") as claim:
        shapes = {name: tuple(p.shape) for name, p in conv.named_parameters()}
        assert shapes == claim.value, shapes
    with claims.check("conv2d.output_shape") as claim:
        y = conv(to_torch(x, DTYPE, device))
        assert tuple(y.shape) == claim.value, tuple(y.shape)
    with claims.check("conv2d.size_formula") as claim:
        side = (32 - 5 + 2 * 0) // 1 + 1
        assert side == claim.value == y.shape[-1] == y.shape[-2], (side, tuple(y.shape))
    with claims.check("conv2d.formula"):
        w, b = to_numpy(conv.weight), to_numpy(conv.bias)
        expected = conv2d_forward(x, w, b, 1, 0, 1, 1)
        scale = conv2d_forward(np.abs(x), np.abs(w), np.abs(b), 1, 0, 1, 1)
        _within(to_numpy(y), expected, tolerance_bound(DTYPE, (scale, 3 * 5 * 5)), "conv2d")
    with claims.check("conv2d.param_count") as claim:
        counts = {"weight": conv.weight.numel(), "bias": conv.bias.numel(), "total": _count(conv)}
        assert counts == claim.value == {"weight": 32 * 3 * 5 * 5, "bias": 32, "total": 2_432}
    with claims.check("conv2d.fewer_than_linear") as claim:
        ratio = _count(nn.Linear(784, 256)) / _count(conv)
        # 82.63...: "82 times fewer" holds as the integer part, which is what the chapter says.
        assert math.floor(ratio) == claim.value, ratio
        assert ratio == LINEAR_TOTAL / CONV_TOTAL
    claims.finish()


def test_my_network_claims(nn, device, path, chapter_claim_record):
    claims = Claims("test_my_network_claims", chapter_claim_record)
    model = my_network(nn, CHAPTER_MY_NETWORK)
    with claims.check("module.registers_parameters") as claim:
        names = [name for name, _ in model.named_parameters()]
        assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], names
        assert len(names) == claim.value
    with claims.check("my_network.print") as claim:
        lines = [line.strip() for line in repr(model).splitlines()[1:-1]]
        expected = [
            "(fc1): Linear(in_features=784, out_features=256, bias=True)",
            "(relu): ReLU()",
            "(dropout): Dropout(p=0.2, inplace=False)",
            "(fc2): Linear(in_features=256, out_features=10, bias=True)",
        ]
        assert lines == expected, repr(model)
        assert [line[1 : line.index(")")] for line in lines] == claim.value
    with claims.check("module.to_device"):
        holder = nn.Module()
        holder.net, holder.bn = lenet5(nn, {"num_classes": 10}), nn.BatchNorm2d(6)
        assert holder.to(device) is holder
        kind = torch.device(device).type
        misplaced = [
            name
            for name, t in [*holder.named_parameters(), *holder.named_buffers()]
            if t.device.type != kind
        ]
        assert not misplaced, f"not on {device}: {misplaced}"
    claims.finish()


def test_lenet5_claims(nn, device, path, chapter_claim_record):
    claims = Claims("test_lenet5_claims", chapter_claim_record)
    model = lenet5(nn, {"num_classes": 10}).to(device)
    with claims.check("lenet5.per_layer_counts") as claim:
        counts = {name: _count(child) for name, child in model.named_children() if _count(child)}
        assert counts == claim.value, counts
        assert counts == {
            "c1": 6 * 1 * 5 * 5 + 6,
            "c3": 16 * 6 * 5 * 5 + 16,
            "c5": 120 * 16 * 5 * 5 + 120,
            "f6": 120 * 84 + 84,
            "output": 84 * 10 + 10,
        }
    with claims.check("lenet5.total") as claim:
        assert _count(model) == claim.value, _count(model)
    with claims.check("lenet5.stage_shapes") as claim:
        shapes = []
        hooks = [
            child.register_forward_hook(
                lambda module, inputs, output: shapes.append(tuple(output.shape[1:]))
            )
            for child in model.children()
        ]
        model(to_torch(_randn(2, *LENET5_INPUT), DTYPE, device))
        for hook in hooks:
            hook.remove()
        # Hooks see c1, s2, c3, s4, c5, f6, output; tanh and view sit between them.
        want = claim.value
        assert shapes == [want[0], want[1], want[2], want[3], want[4], want[6], want[7]], shapes
        assert math.prod(want[4]) == want[5][0]  # the view(x.size(0), -1) after c5
    with claims.check("lenet5.named_parameters") as claim:
        listed = [(n, tuple(p.shape), p.numel()) for n, p in model.named_parameters()][:3]
        assert listed == claim.value, listed
    with claims.check("lenet5.freeze_c1_c3") as claim:
        frozen = lenet5(nn, {"num_classes": 10})
        for param in [*frozen.c1.parameters(), *frozen.c3.parameters()]:
            param.requires_grad = False
        trainable = sum(p.numel() for p in frozen.parameters() if p.requires_grad)
        assert trainable == claim.value == 61_706 - 156 - 2_416, trainable
        flags = {n: p.requires_grad for n, p in frozen.named_parameters()}
        assert [n for n, f in flags.items() if not f] == [
            "c1.weight",
            "c1.bias",
            "c3.weight",
            "c3.bias",
        ]
    with claims.check("lenet5.initialize_weights"):
        seed_torch(SEED, device)
        before = {n: to_numpy(p) for n, p in model.named_parameters()}
        assert model.apply(chapter_initialize_weights(nn)) is model
        for name, param in model.named_parameters():
            value = to_numpy(param)
            if name.endswith("bias"):
                assert (value == 0).all(), f"{name} not zeroed"
            elif isinstance(model.get_submodule(name.rsplit(".", 1)[0]), nn.Linear):
                bound = xavier_uniform_bound(value.shape) * (1 + 2 * 2.0**-24)
                assert np.abs(value).max() <= bound, f"{name} outside the Xavier bound"
            else:
                assert not (value == before[name]).all(), f"{name} not re-initialised"
        # c5's 48,000 weights are enough for the normal-law test (false alarm 1e-12).
        std = kaiming_normal_std(tuple(model.c5.weight.shape), mode="fan_out", nonlinearity="relu")
        check_normal(to_numpy(model.c5.weight), 0.0, std, "c5.weight after kaiming_normal_")
    with claims.check("dimension_tracking.example") as claim:
        conv1, pool, conv2 = nn.Conv2d(3, 32, 5), nn.AvgPool2d(2, 2), nn.Conv2d(32, 64, 5)
        x = torch.zeros(BATCH, 3, 32, 32)
        a = conv1(x)
        b = pool(a)
        c = conv2(b)
        assert [tuple(a.shape), tuple(b.shape), tuple(c.shape)] == claim.value
    claims.finish()


def test_container_claims(nn, device, path, chapter_claim_record):
    claims = Claims("test_container_claims", chapter_claim_record)
    layers = lambda: [  # noqa: E731
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(256, 10),
    ]
    x = to_torch(_randn(BATCH, 784), DTYPE, device)
    with claims.check("sequential.positional") as claim:
        parts = layers()
        model = nn.Sequential(*parts).to(device).eval()
        assert [n for n, _ in model.named_children()] == claim.value
        chained = x
        for part in parts:
            chained = part(chained)
        assert torch.equal(model(x), chained)
    with claims.check("sequential.named"):
        names = ["fc1", "relu1", "dropout", "fc2"]
        model = nn.Sequential(OrderedDict(zip(names, layers(), strict=True)))
        assert model.fc1 is model[0]
        assert all(getattr(model, n) is model[i] for i, n in enumerate(names))
    with claims.check("dynamic_net.structure") as claim:
        model = dynamic_net(nn, {"layer_sizes": list(CHAPTER_DYNAMIC_NET)})
        assert [type(m).__name__ for m in model.layers] == claim.value
    claims.finish()


def test_common_layer_claims(nn, device, path, chapter_claim_record):
    claims = Claims("test_common_layer_claims", chapter_claim_record)
    everything = tuple(REGIMES)
    with claims.check("relu.formula"):
        x = to_numpy(to_torch(fill((BATCH, 100), SEED, everything, 1e2), DTYPE, device))
        y = to_numpy(nn.ReLU()(to_torch(x, DTYPE, device)))
        expected = relu_forward(x)
        assert (y == expected).all()
        # max(0, x) fixes the sign of every output but at x = +-0, where IEEE 754's maximum
        # may return either zero: the CPU keeps -0.0, CUDA's fmax gives +0.0 (first run).
        signed = x != 0
        wrong = np.flatnonzero(np.signbit(y[signed]) != np.signbit(expected[signed]))
        assert wrong.size == 0, f"sign of zero wrong at x = {x[signed][wrong[:4]]}"
    with claims.check("sigmoid.formula"):
        spec = layer_named("Sigmoid")
        x = to_numpy(to_torch(fill((BATCH, 100), SEED, everything, 1e3), DTYPE, device))
        y = to_numpy(nn.Sigmoid()(to_torch(x, DTYPE, device)))
        inputs = Inputs(x, {})
        bound = tolerance_bound(DTYPE, spec.forward_error(inputs))
        _within(y, spec.forward(inputs)[0], bound, "1 / (1 + exp(-x))")
    with claims.check("softmax.rows_sum_to_one") as claim:
        x = to_numpy(to_torch(fill((BATCH, 10), SEED, everything, 1e2), DTYPE, device))
        y = to_numpy(nn.Softmax(dim=1)(to_torch(x, DTYPE, device)))
        assert ((y >= 0) & (y <= 1)).all()
        sums = y.sum(axis=1)
        _within(sums, np.full(BATCH, claim.value), tolerance_bound(DTYPE, (1.0, 10)), "row sums")
    with claims.check("batch_norm.per_channel") as claim:
        bn = nn.BatchNorm2d(num_features=64).to(device)
        assert tuple(bn.weight.shape) == tuple(bn.running_mean.shape) == (claim.value,)
        offsets = np.arange(64)[None, :, None, None] - 32.0
        x = _randn(4, 64, 6, 6) * (1 + np.arange(64)[None, :, None, None] / 8) + offsets
        x = to_numpy(to_torch(x, DTYPE, device))
        y = to_numpy(bn(to_torch(x, DTYPE, device)))
        spec = layer_named("BatchNorm2d")
        hp = {"momentum": 0.1, "eps": 1e-5, "track_running_stats": True}
        buffers = {"running_mean": np.zeros(64), "running_var": np.ones(64)}
        inputs = Inputs(x, hp, buffers={**buffers, "num_batches_tracked": 0}, training=True)
        bound = tolerance_bound(DTYPE, spec.forward_error(inputs))
        _within(y, spec.forward(inputs)[0], bound, "bn")
        shifted = x.copy()
        shifted[:, 0] = shifted[:, 0] * 3 + 1
        y_shifted = to_numpy(bn(to_torch(shifted, DTYPE, device)))
        assert (y_shifted[:, 1:] == y[:, 1:]).all(), "changing channel 0 moved other channels"
    with claims.check("layer_norm.param_count") as claim:
        ln = nn.LayerNorm(normalized_shape=[64, 28, 28])
        assert {n: tuple(p.shape) for n, p in ln.named_parameters()} == {
            "weight": (64, 28, 28),
            "bias": (64, 28, 28),
        }
        assert _count(ln) == claim.value == 64 * 28 * 28 * 2
    claims.finish()


def test_dropout_claims(nn, device, path, chapter_claim_record):
    claims = Claims("test_dropout_claims", chapter_claim_record)
    seed_torch(SEED, device)
    with claims.check("dropout.p_half") as claim:
        q = 1 - claim.value
        n = keep_samples_needed(q)
        dropout = nn.Dropout(p=0.5).train()
        kept = int(torch.count_nonzero(dropout(torch.ones(n, device=device))))
        check_keep_rate(kept, n, q, "Dropout(p=0.5)")
    model = my_network(nn, CHAPTER_MY_NETWORK).to(device)
    x = to_torch(_randn(BATCH, 784), DTYPE, device)
    without_dropout = model.fc2(model.relu(model.fc1(x)))
    with claims.check("dropout.eval_off"):
        assert model.eval() is model and not model.dropout.training
        first, second = model(x), model(x)
        assert torch.equal(first, second), "eval forward is not deterministic"
        assert torch.equal(first, without_dropout), "eval forward is not the no-dropout forward"
    with claims.check("dropout.train_on"):
        model.train()
        assert model.dropout.training
        hidden = model.relu(model.fc1(x))
        dropped = model.dropout(hidden)
        # 64 x 256 units at p = 0.2: P(no unit dropped) = 0.8^16384, i.e. never.
        assert ((dropped == 0) & (hidden != 0)).any(), "no hidden unit was dropped"
        assert not torch.equal(model(x), without_dropout)
    claims.finish()


def test_every_claim_has_a_test():
    # A claim whose `check` names no test here would never be listed as checked.
    tests = {name for name in globals() if name.startswith("test_")}
    from spec.chapter_claims import CLAIMS

    assert {claim.check for claim in CLAIMS} <= tests
    assert len({claim.id for claim in CLAIMS}) == len(CLAIMS)
