"""torch.optim.Adam: adaptive moments with bias correction (spec/adam_law.py)."""

from __future__ import annotations

from spec import adam_law
from spec.optimizerspec import OptimizerSpec

DEFAULTS = {
    "lr": 1e-3,
    "betas": (0.9, 0.999),
    "eps": 1e-8,
    "weight_decay": 0.0,
    "amsgrad": False,
    "maximize": False,
    "decoupled_weight_decay": False,
}

SPEC = OptimizerSpec(
    name="Adam",
    hyperparams=adam_law.hyperparams_for(decoupled_choice=True),
    step=adam_law.step_for(decoupled=None),
    step_error=adam_law.step_error_for(decoupled_always=False),
    state_names=adam_law.state_names,
    classes={**adam_law.CLASSES, **adam_law.DECOUPLED_CLASSES},
    classify=adam_law.classify,
    corners=tuple(
        {**corner, "decoupled_weight_decay": decoupled}
        for corner, decoupled in zip(adam_law.CORNERS, adam_law.DECOUPLED_CORNERS, strict=True)
    ),
    defaults=DEFAULTS,
    out_of_scope={
        "lr, betas as Tensors": "1-element tensors carry the same law; the spec draws floats",
        "capturable": "steps kept on the accelerator for graph capture; no law of its own",
        "differentiable": "autograd through the step is a property of its own",
    },
)
