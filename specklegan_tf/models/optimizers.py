"""Adam optimizers with the paper's two-step learning-rate decay for the generator and the discriminator."""
from __future__ import annotations

from typing import Sequence

import keras


def _two_step_schedule(
    learning_rate: float, decay_steps: Sequence[int] | None, decay_factors: Sequence[float], name: str
) -> float | keras.optimizers.schedules.LearningRateSchedule:
    if learning_rate <= 0:
        raise ValueError(f"`{name}` must be positive, got {learning_rate}")
    if decay_steps is None:
        return learning_rate
    decay_steps = [int(s) for s in decay_steps]
    if len(decay_steps) != 2 or len(decay_factors) != 2:
        raise ValueError(
            f"`decay_steps` and `decay_factors` need two entries each (the paper decays twice), got "
            f"decay_steps={decay_steps}, decay_factors={list(decay_factors)}"
        )
    if not 0 < decay_steps[0] < decay_steps[1]:
        raise ValueError(f"`decay_steps` must be increasing positive step counts, got {decay_steps}")
    values = [learning_rate, learning_rate * decay_factors[0], learning_rate * decay_factors[1]]
    return keras.optimizers.schedules.PiecewiseConstantDecay(decay_steps, values, name=f"{name}_schedule")


def make_gan_optimizers(
    lr_g: float = 3e-4,
    lr_d: float = 3e-4,
    decay_steps: Sequence[int] | None = None,
    decay_factors: Sequence[float] = (1 / 3, 1 / 10),
    beta_1: float = 0.5,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    mixed_precision: bool = False,
) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
    """Two Adam optimizers (generator, discriminator) as in the paper's training section.

    The paper's learning rates started between 1e-3 and 3e-4 and dropped in two steps to 1e-4 or 3e-5; the
    defaults go 3e-4 -> 1e-4 -> 3e-5. The schedule counts optimizer iterations, i.e. training steps.

    Args:
        lr_g: initial generator learning rate.
        lr_d: initial discriminator learning rate.
        decay_steps: the two step counts ``(s1, s2)`` at which the rate drops; ``None`` keeps it constant.
        decay_factors: the rate after ``s1`` and after ``s2``, as fractions of the initial rate.
        beta_1, beta_2, epsilon: Adam's constants (the paper: 0.5, 0.999, 1e-8).
        mixed_precision: wrap both in ``keras.optimizers.LossScaleOptimizer`` (for ``mixed_float16``).

    Returns:
        ``(g_optimizer, d_optimizer)``.

    Example:
        >>> g_opt, d_opt = make_gan_optimizers(lr_g=1e-3, lr_d=1e-3, decay_steps=(1000, 2000))
        >>> float(g_opt.learning_rate)  # before any step
        0.001
    """
    optimizers = []
    for role, lr in (("g", lr_g), ("d", lr_d)):
        schedule = _two_step_schedule(lr, decay_steps, decay_factors, f"lr_{role}")
        optimizer = keras.optimizers.Adam(
            learning_rate=schedule, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=f"{role}_optimizer"
        )
        if mixed_precision:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=f"{role}_loss_scale_optimizer")
        optimizers.append(optimizer)
    return optimizers[0], optimizers[1]
