"""Oracle-to-torch time ratio per op on the chapter's shapes (a benchmark, not a test).

Run: python bench/oracle_speed.py [--repeats N]
Prints a Markdown table: torch float32 CPU forward+backward time, NumPy float64
reference forward+VJP time, and their ratio. The target is every ratio <= 5.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference.activations import tanh_forward, tanh_vjp
from reference.avg_pool2d import avg_pool2d_forward, avg_pool2d_vjp
from reference.conv2d import conv2d_forward, conv2d_vjp
from reference.linear import linear_forward, linear_vjp

TARGET_RATIO = 5.0


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` calls after one warm-up: the least noisy estimate."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def torch_step(module: torch.nn.Module, x: np.ndarray) -> Callable[[], object]:
    xt = torch.tensor(x, dtype=torch.float32, requires_grad=True)

    def step() -> object:
        y = module(xt)
        y.backward(torch.ones_like(y))
        return y

    return step


def cases() -> list[tuple[str, torch.nn.Module, tuple[int, ...], Callable, Callable]]:
    """(name, torch module, input shape, reference forward, reference vjp) per op."""
    rows = []

    def linear(name: str, n: int, i: int, o: int) -> None:
        m = torch.nn.Linear(i, o)
        w, b = m.weight.detach().double().numpy(), m.bias.detach().double().numpy()
        rows.append(
            (
                name,
                m,
                (n, i),
                lambda x: linear_forward(x, w, b),
                lambda x, g: linear_vjp(x, w, b, g),
            )
        )

    def conv(name: str, shape: tuple[int, ...], o: int, k: int, p: int) -> None:
        m = torch.nn.Conv2d(shape[1], o, k, padding=p)
        w, b = m.weight.detach().double().numpy(), m.bias.detach().double().numpy()
        geo = (1, p, 1, 1, "zeros")
        rows.append(
            (
                name,
                m,
                shape,
                lambda x: conv2d_forward(x, w, b, *geo),
                lambda x, g: conv2d_vjp(x, w, b, *geo, g),
            )
        )

    def pool(name: str, shape: tuple[int, ...]) -> None:
        args = (2, 2, 0, False, True, None)
        rows.append(
            (
                name,
                torch.nn.AvgPool2d(2, 2),
                shape,
                lambda x: avg_pool2d_forward(x, *args),
                lambda x, g: avg_pool2d_vjp(x, *args, g),
            )
        )

    linear("Linear 64x784->256", 64, 784, 256)
    conv("Conv2d 64x3x32x32 ->32, k5", (64, 3, 32, 32), 32, 5, 0)
    conv("LeNet5 c1 64x1x28x28 ->6, k5 p2", (64, 1, 28, 28), 6, 5, 2)
    pool("LeNet5 s2 64x6x28x28 avg k2 s2", (64, 6, 28, 28))
    conv("LeNet5 c3 64x6x14x14 ->16, k5", (64, 6, 14, 14), 16, 5, 0)
    pool("LeNet5 s4 64x16x10x10 avg k2 s2", (64, 16, 10, 10))
    conv("LeNet5 c5 64x16x5x5 ->120, k5", (64, 16, 5, 5), 120, 5, 0)
    linear("LeNet5 f6 64x120->84", 64, 120, 84)
    linear("LeNet5 output 64x84->10", 64, 84, 10)
    rows.append(("Tanh 64x6x28x28", torch.nn.Tanh(), (64, 6, 28, 28), tanh_forward, tanh_vjp))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, numpy {np.__version__}, torch threads {threads}")
    print("| op | torch f32 fwd+bwd (ms) | oracle f64 fwd+vjp (ms) | ratio |")
    print("|---|---:|---:|---:|")
    worst = 0.0
    for name, module, shape, forward, vjp in cases():
        x = rng.standard_normal(shape)
        t_torch = best_time(torch_step(module, x), args.repeats)
        y = forward(x)
        g = np.ones_like(y)
        t_oracle = best_time(lambda x=x, g=g, f=forward, v=vjp: (f(x), v(x, g)), args.repeats)
        ratio = t_oracle / t_torch
        worst = max(worst, ratio)
        print(f"| {name} | {t_torch * 1e3:.2f} | {t_oracle * 1e3:.2f} | {ratio:.1f}x |")
    verdict = "within" if worst <= TARGET_RATIO else "OUTSIDE"
    print(f"\nworst ratio {worst:.1f}x: {verdict} the {TARGET_RATIO:.0f}x target")


if __name__ == "__main__":
    main()
