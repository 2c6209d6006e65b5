"""The chapter's networks, written the way the chapter writes them, from the `nn` under test.

Classes are defined inside factories because the implementation under test (`--impl`)
is only known at run time: `my_network(nn, config)` subclasses that `nn.Module`.
spec/models.py says what each network must contain and compute.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from types import ModuleType

import torch

from spec.models import CHAPTER_SEQUENTIAL_NAMES, ModelSpec, Stage


def child(nn: ModuleType, stage: Stage) -> torch.nn.Module:
    """The module a stage describes, constructed from its hyperparameters."""
    return getattr(nn, stage.layer)(**stage.hp)


def my_network(nn: ModuleType, config: dict) -> torch.nn.Module:
    """The chapter's custom module: fc1 -> relu -> dropout -> fc2."""

    class MyNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(config["d_in"], config["hidden"])
            self.relu = nn.ReLU()
            self.dropout = nn.Dropout(config["p"])
            self.fc2 = nn.Linear(config["hidden"], config["d_out"])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc2(self.dropout(self.relu(self.fc1(x))))

    return MyNetwork()


def sequential(nn: ModuleType, config: dict) -> torch.nn.Module:
    """The chapter's Sequential, positional or with the OrderedDict names fc1..fc2."""
    layers = [
        nn.Linear(config["d_in"], config["hidden"]),
        nn.ReLU(),
        nn.Dropout(config["p"]),
        nn.Linear(config["hidden"], config["d_out"]),
    ]
    if config["named"]:
        return nn.Sequential(OrderedDict(zip(CHAPTER_SEQUENTIAL_NAMES, layers, strict=True)))
    return nn.Sequential(*layers)


def dynamic_net(nn: ModuleType, config: dict) -> torch.nn.Module:
    """The chapter's DynamicNet: a ModuleList of Linear layers with ReLU between."""

    class DynamicNet(nn.Module):
        def __init__(self, layer_sizes: list[int]) -> None:
            super().__init__()
            self.layers = nn.ModuleList()
            for i in range(len(layer_sizes) - 1):
                self.layers.append(nn.Linear(layer_sizes[i], layer_sizes[i + 1]))
                if i < len(layer_sizes) - 2:  # no activation after the last layer
                    self.layers.append(nn.ReLU())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                x = layer(x)
            return x

    return DynamicNet(config["layer_sizes"])


def module_list_net(nn: ModuleType, config: dict, stages: tuple[Stage, ...]) -> torch.nn.Module:
    """DynamicNet's layers put into a ModuleList by the drawn append()/extend() calls."""
    children = [child(nn, stage) for stage in stages]

    class ListNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList()
            start = 0
            for size in config["chunks"]:
                if size == 0:
                    self.layers.append(children[start])
                    start += 1
                else:
                    self.layers.extend(children[start : start + size])
                    start += size

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                x = layer(x)
            return x

    return ListNet()


def lenet5(nn: ModuleType, config: dict) -> torch.nn.Module:
    """The chapter's LeNet-5: tanh after c1, c3, c5 and f6; c5 acts as a fully connected layer."""

    class LeNet5(nn.Module):
        def __init__(self, num_classes: int = 10) -> None:
            super().__init__()
            self.c1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)
            self.s2 = nn.AvgPool2d(kernel_size=2, stride=2)
            self.c3 = nn.Conv2d(6, 16, kernel_size=5)
            self.s4 = nn.AvgPool2d(kernel_size=2, stride=2)
            self.c5 = nn.Conv2d(16, 120, kernel_size=5)
            self.f6 = nn.Linear(120, 84)
            self.output = nn.Linear(84, num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.tanh(self.c1(x))
            x = self.s2(x)
            x = torch.tanh(self.c3(x))
            x = self.s4(x)
            x = torch.tanh(self.c5(x))
            x = x.view(x.size(0), -1)
            x = torch.tanh(self.f6(x))
            return self.output(x)

    return LeNet5(config["num_classes"])


BUILDERS: dict[str, Callable[[ModuleType, dict, tuple[Stage, ...]], torch.nn.Module]] = {
    "MyNetwork": lambda nn, config, stages: my_network(nn, config),
    "Sequential": lambda nn, config, stages: sequential(nn, config),
    "DynamicNet": lambda nn, config, stages: dynamic_net(nn, config),
    "ModuleList": module_list_net,
    "LeNet5": lambda nn, config, stages: lenet5(nn, config),
}


def build_model(nn: ModuleType, model: ModelSpec, config: dict) -> torch.nn.Module:
    """The network `model` describes, built from the implementation under test."""
    return BUILDERS[model.name](nn, config, model.stages(config))


def chapter_initialize_weights(nn: ModuleType) -> object:
    """The chapter's initialize_weights, written against the implementation under test."""

    def initialize_weights(m):
        if isinstance(m, nn.Linear):
            # Xavier initialisation (suits tanh/sigmoid)
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            # He initialisation (suits ReLU)
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)

    return initialize_weights
