"""Choosing the tf.distribute strategy: one device, all local devices (Mirrored), or several workers (TF_CONFIG).

Only the chief (``chief`` task, or ``worker`` 0 when the cluster has no chief) writes checkpoints, logs, sample
grids and exports; the other workers train in lock step and write nothing that stays.

Example:
    >>> configure_logical_devices(2)          # before TensorFlow runs any op
    >>> strategy = make_strategy("mirrored")
    >>> strategy.num_replicas_in_sync, is_chief(strategy)
    (2, True)
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

STRATEGY_NAMES = ("auto", "default", "mirrored", "multiworker")


def configure_logical_devices(count: int) -> None:
    """Split the first physical CPU into ``count`` logical devices (0 or 1: leave the devices as they are).

    This lets ``MirroredStrategy`` be tried on a CPU-only machine. It must run before TensorFlow initialises
    its runtime (before any op or strategy is created).

    Raises:
        ValueError: ``count`` is negative.
        RuntimeError: TensorFlow is already initialised with another device layout.
    """
    if count < 0:
        raise ValueError(f"--devices must not be negative, got {count}")
    if count <= 1:
        return
    cpus = tf.config.list_physical_devices("CPU")
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    try:
        tf.config.set_logical_device_configuration(cpus[0], wanted)
    except RuntimeError:
        # Already initialised: fine if the layout is what was asked for.
        if len(tf.config.list_logical_devices("CPU")) != count:
            raise RuntimeError(
                f"--devices {count}: TensorFlow was initialised before the logical CPU devices could be "
                f"configured (it has {len(tf.config.list_logical_devices('CPU'))}); configure them first."
            ) from None


def tf_config() -> dict:
    """The parsed ``TF_CONFIG`` environment variable ({} when unset); ValueError when it is not valid JSON."""
    text = os.environ.get("TF_CONFIG", "")
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON: {error}") from None
    if not isinstance(value, dict) or "cluster" not in value or "task" not in value:
        raise ValueError('TF_CONFIG must have "cluster" and "task" entries, e.g. {"cluster": {"worker": '
                         '["127.0.0.1:12345", "127.0.0.1:12346"]}, "task": {"type": "worker", "index": 0}}')
    return value


def make_strategy(name: str = "auto", devices: int = 0) -> tf.distribute.Strategy:
    """Create the distribution strategy.

    Args:
        name: ``auto`` (``multiworker`` when ``TF_CONFIG`` names a cluster with several tasks, ``mirrored`` when
            there are several GPUs or logical devices, else ``default``), ``default`` (one device),
            ``mirrored`` (all local GPUs, else all logical CPU devices) or ``multiworker``
            (``MultiWorkerMirroredStrategy`` configured by ``TF_CONFIG``).
        devices: Logical CPU devices to configure first (see :func:`configure_logical_devices`).

    Returns:
        The strategy; create the trainable and its optimizers inside ``strategy.scope()``.

    Raises:
        ValueError: an unknown name, or ``multiworker`` without a ``TF_CONFIG``.
    """
    if name not in STRATEGY_NAMES:
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGY_NAMES)}, got {name!r}")
    configure_logical_devices(devices)
    cluster = tf_config().get("cluster", {})
    if name == "auto":
        if sum(len(tasks) for tasks in cluster.values()) > 1:
            name = "multiworker"
        elif len(tf.config.list_physical_devices("GPU")) > 1 or devices > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "multiworker":
        if not cluster:
            raise ValueError("--strategy multiworker needs the TF_CONFIG environment variable (see "
                             "docs: cluster addresses and this task's type and index)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        names = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(names)
    return tf.distribute.get_strategy()


def worker_identity(strategy: tf.distribute.Strategy) -> tuple[str, int]:
    """(task type, task index) of this process: ``("chief", 0)`` outside a multi-worker cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if task_type is None:
        return ("chief", 0)
    return (task_type, int(resolver.task_id or 0))


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True for the one process that writes checkpoints, logs and exports."""
    task_type, task_id = worker_identity(strategy)
    if task_type == "chief":
        return True
    has_chief = "chief" in getattr(strategy, "cluster_resolver").cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief


def describe(strategy: tf.distribute.Strategy) -> str:
    """A one-line description for the log, e.g. ``MirroredStrategy, 2 replicas``."""
    # The public names (tf.distribute.MultiWorkerMirroredStrategy's class is called CollectiveAllReduceStrategy).
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        name = "MultiWorkerMirroredStrategy"
    elif isinstance(strategy, tf.distribute.MirroredStrategy):
        name = "MirroredStrategy"
    else:
        name = "default strategy"
    text = f"{name}, {strategy.num_replicas_in_sync} replica(s)"
    if getattr(getattr(strategy, "cluster_resolver", None), "task_type", None) is not None:
        task_type, task_id = worker_identity(strategy)
        text += f", this process is {task_type} {task_id}"
    return text
