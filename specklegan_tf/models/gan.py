"""SpeckleGAN training model: generator and discriminator with the paper's non-saturating losses."""
from __future__ import annotations

import contextlib

import numpy as np
import keras
import tensorflow as tf
from keras import ops

from specklegan_tf.models.diversity import coarse_diversity, diversity_loss
from specklegan_tf.models.generator_average import GeneratorAverage
from specklegan_tf.models.losses import discriminator_loss, generator_loss


def find_speckle_layer(generator: keras.Model) -> keras.layers.Layer | None:
    """The generator's speckle layer (the layer with ``window_sizes``), or ``None`` for the baseline."""
    for layer in generator.layers:
        if hasattr(layer, "window_sizes"):
            return layer
    return None


def window_log_names(speckle_layer) -> tuple[str, ...]:
    """Log names of the speckle layer's window sizes: ``window_<k>`` for square windows, ``window_<k>_rows`` and
    ``window_<k>_cols`` (radial and angular in polar mode) for rectangular ones; ``()`` for the baseline."""
    if speckle_layer is None:
        return ()
    shape = np.shape(speckle_layer.window_sizes)
    if len(shape) == 1:
        return tuple(f"window_{k}" for k in range(shape[0]))
    return tuple(f"window_{k}_{axis}" for k in range(shape[0]) for axis in ("rows", "cols"))


def _aperture_exponent_weight(speckle_layer):
    """The depth-scaled aperture's exponent variable, or ``None`` (baseline, or a fixed-angle speckle layer)."""
    return getattr(speckle_layer, "aperture_exponent_weight", None)


def _finite_weight(name: str, value, zero_allowed: bool = True) -> float:
    """``value`` as a float, refused unless finite and > 0 (or >= 0 with ``zero_allowed``)."""
    value = float(value)
    if not (np.isfinite(value) and (value > 0 or (zero_allowed and value == 0))):
        raise ValueError(f"`{name}` must be a finite number {'>=' if zero_allowed else '>'} 0, got {value}")
    return value


def _replica_position() -> tuple[int, object]:
    """(number of replicas in sync, this replica's id) in the current replica context, (1, 0) outside one."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: a single logical draw
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


class SpeckleGAN(keras.Model):
    """A mask-conditioned GAN (SpeckleGAN or its baseline) trained with the paper's Eqs. 6 and 7.

    One call of ``train_step`` makes one discriminator update followed by one generator update, each with a fresh
    latent vector ``z ~ N(0, I)`` drawn with ``keras.random.normal`` from the model's seeded ``SeedGenerator``.

    Contract with distributed training loops (``strategy.run(gan.train_step, args=(batch,))``):

    - ``batch = (images, masks)`` is the *per-replica* batch: images float ``(B, H, W, 1)`` in ``[-1, 1]``, masks
      one-hot float ``(B, H, W, num_classes)``.
    - The losses are computed per example and averaged with ``tf.nn.compute_average_loss``, i.e. divided by the
      *global* batch size, so the gradients summed over replicas equal the gradient of the global-batch mean.
      Each replica draws its own ``z`` (the replica id selects a slice of one draw), so replicas do not repeat
      each other's samples while the seed state stays identical on all replicas.
    - Optimizers are ``self.g_optimizer`` and ``self.d_optimizer`` (set by ``compile``; ``LossScaleOptimizer``
      wrappers are honoured through ``scale_loss``). Their variables are created in ``compile``, so call
      ``compile`` inside the strategy scope.
    - The returned dict holds scalar float32 tensors for this step and this replica: ``d_loss``, ``g_loss``
      (the local batch means of Eqs. 6 and 7), ``d_real`` and ``d_fake`` (mean ``sigmoid(D)`` on real and on
      generated pairs) and, when the generator has a speckle layer, ``window_0`` ... ``window_{k-1}`` (its
      window sizes in pixels). Every entry is a per-replica mean: reduce with ``tf.distribute.ReduceOp.MEAN``.
    - The same values are accumulated in ``keras.metrics.Mean`` trackers listed by ``metrics`` (reset them with
      ``reset_metrics()``), so ``model.fit`` shows the epoch means for single-device users.
    - ``checkpoint_items()`` gives the trackables that a ``tf.train.Checkpoint`` must hold to resume exactly.
    - With ``generator_ema``, every generator update is followed by an update of the moving average of the
      generator's weights (:class:`~specklegan_tf.models.GeneratorAverage`); ``averaged_generator()`` swaps it in
      for sampling, validation and export.

    Args:
        generator: a model from ``build_generator``: inputs ``[mask, z]``, output image ``(N, H, W, 1)``.
        discriminator: a model from ``build_discriminator``: inputs ``[image, mask]``, logits ``(N, 1)``.
        latent_dim: length of ``z``; read from the generator's ``z`` input when ``None``.
        seed: seed of the latent draws.
        augment: optional layer called on ``[images, masks]`` in front of the discriminator, for real and
            generated images in both updates (``specklegan_tf.layers.DiffAugment``); ``None``: no augmentation.
        generator_ema: momentum in (0, 1) of an exponential moving average of the generator's weights (e.g.
            0.99), kept beside the training weights; ``None`` (the paper): no average.
        r1_gamma: weight ``gamma`` of the R1 gradient penalty (Mescheder et al. 2018),
            ``gamma / 2 * ||grad_x D(x, y)||^2`` on the real images the discriminator sees (after ``augment``),
            added to Eq. 6 per example; 0 (the paper): none. It is logged as ``r1_penalty``.
        diversity_weight: weight of the diversity term (:mod:`~specklegan_tf.models.diversity`) in the generator's
            loss; 0 (the paper): none. With it the generator update draws the first half of the batch's masks twice,
            with two ``z`` each (as many images as without, so a step costs the same), and adds
            ``diversity_weight * max(0, target - ratio) / target`` of the pairs' block-mean ratio, logged as
            ``diversity``. Needs a per-replica batch of at least 2.
        diversity_target: the ratio at which the diversity term stops pushing.

    Example:
        >>> from specklegan_tf.models import build_generator, build_discriminator, make_gan_optimizers
        >>> gan = SpeckleGAN(build_generator(32, width=0.25), build_discriminator(32, width=0.25), seed=1)
        >>> gan.compile(*make_gan_optimizers())
        >>> logs = gan.train_step((images, masks))  # images (B, 32, 32, 1) in [-1, 1], one-hot masks
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int | None = None,
        seed: int = 0,
        augment: keras.layers.Layer | None = None,
        generator_ema: float | None = None,
        r1_gamma: float = 0.0,
        diversity_weight: float = 0.0,
        diversity_target: float = 0.1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # DiffAugment (or any layer mapping [images, masks] to augmented [images, masks]) in front of the
        # discriminator, for real and generated images, in both updates.
        self.augment = augment
        self.generator = generator
        self.discriminator = discriminator
        z_dim = int(generator.inputs[1].shape[-1])
        if latent_dim is not None and int(latent_dim) != z_dim:
            raise ValueError(f"`latent_dim`={latent_dim} does not match the generator's z input of size {z_dim}")
        self.latent_dim = z_dim
        self.r1_gamma = _finite_weight("r1_gamma", r1_gamma)
        self.diversity_weight = _finite_weight("diversity_weight", diversity_weight)
        self.diversity_target = _finite_weight("diversity_target", diversity_target, zero_allowed=False)
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed, name="latent_seed_generator")
        self.speckle_layer = find_speckle_layer(generator)
        self.window_log_names = window_log_names(self.speckle_layer)
        names = ["d_loss", "g_loss", "d_real", "d_fake"] + list(self.window_log_names)
        if _aperture_exponent_weight(self.speckle_layer) is not None:
            names.append("aperture_exponent")  # the depth-scaled aperture's gamma, logged like the windows
        if self.r1_gamma:
            names.append("r1_penalty")
        if self.diversity_weight:
            names.append("diversity")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        # Created here, i.e. in the strategy scope the GAN is built in, so the averages are mirrored variables.
        self.generator_average = GeneratorAverage(generator, generator_ema) if generator_ema else None
        self.g_optimizer = None
        self.d_optimizer = None
        self.built = True  # both networks are built functional models

    def call(self, inputs, training: bool = False):
        """Runs the generator: ``inputs = [mask, z]``."""
        return self.generator(inputs, training=training)

    def compile(self, g_optimizer: keras.optimizers.Optimizer, d_optimizer: keras.optimizers.Optimizer, **kwargs):
        """Sets the two optimizers and creates their variables (call inside the strategy scope).

        Args:
            g_optimizer: generator optimizer, e.g. from ``make_gan_optimizers``.
            d_optimizer: discriminator optimizer.
            **kwargs: passed to ``keras.Model.compile`` (e.g. ``jit_compile``, ``steps_per_execution``);
                ``jit_compile`` defaults to ``False`` (XLA does not speed up the FFT on CPU).
        """
        if g_optimizer is None or d_optimizer is None or g_optimizer is d_optimizer:
            raise ValueError("`g_optimizer` and `d_optimizer` must be two distinct optimizer instances")
        kwargs.setdefault("jit_compile", False)
        # optimizer=None: a bare super().compile() would create an unused RMSprop.
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def checkpoint_items(self) -> dict:
        """Trackables for ``tf.train.Checkpoint(**gan.checkpoint_items())``: networks, optimizers, RNG state."""
        if self.g_optimizer is None:
            raise RuntimeError("call `compile(g_optimizer, d_optimizer)` before `checkpoint_items()`")
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "g_optimizer": self.g_optimizer,
            "d_optimizer": self.d_optimizer,
            "latent_seed_state": self.seed_generator.state,
            **({} if self.augment is None else {"augment_seed_state": self.augment.seed_generator.state}),
            **({} if self.generator_average is None else {"generator_average": self.generator_average}),
        }

    def averaged_generator(self):
        """Context manager: inside it ``self.generator`` holds the moving average of its weights (with
        ``generator_ema``; without, it is the generator unchanged). Yields the generator."""
        if self.generator_average is None:
            return contextlib.nullcontext(self.generator)
        return self.generator_average.swapped_in()

    def _draw_z(self, batch_size):
        # One draw for all replicas, sliced by replica id: distinct z per replica, identical seed state everywhere.
        replicas, replica_id = _replica_position()
        z = keras.random.normal((replicas, batch_size, self.latent_dim), seed=self.seed_generator)
        return tf.gather(z, replica_id)

    def _logits_and_r1(self, real_inputs):
        """Discriminator logits on real pairs and the R1 penalty of each example, ``gamma / 2 * ||dD/dx||^2``.

        The gradient is taken with respect to the image the discriminator sees (the mask is the condition, not
        a sample) on a tape nested in the update's tape, so the penalty's own gradient reaches the weights."""
        images, masks = real_inputs
        with tf.GradientTape() as r1_tape:
            r1_tape.watch(images)
            real_logits = self.discriminator([images, masks], training=True)
            # Summing over the batch gives each example's own gradient: example i's logit depends on image i only.
            logit_sum = ops.sum(ops.cast(real_logits, "float32"))
        gradients = ops.cast(r1_tape.gradient(logit_sum, images), "float32")
        squared_norm = ops.sum(ops.reshape(ops.square(gradients), (ops.shape(gradients)[0], -1)), axis=1)
        return real_logits, 0.5 * self.r1_gamma * squared_norm

    def _augmented(self, images, masks):
        return [images, masks] if self.augment is None else self.augment([images, masks], training=True)

    def window_sizes(self):
        """The speckle layer's current window sizes in bins (float32 ``(k,)``, or ``(k, 2)`` for rectangular
        windows: rows axis, columns axis), or ``None`` for the baseline."""
        if self.speckle_layer is None:
            return None
        return ops.cast(ops.convert_to_tensor(self.speckle_layer.window_sizes), "float32")

    def train_step(self, data):
        """One discriminator and one generator update on a per-replica batch ``(images, masks)``."""
        if self.g_optimizer is None:
            raise RuntimeError("call `compile(g_optimizer, d_optimizer)` before training")
        images, masks = data
        batch_size = ops.shape(images)[0]
        generator, discriminator = self.generator, self.discriminator

        # Discriminator update, Eq. 6.
        fake = generator([masks, self._draw_z(batch_size)], training=True)
        with tf.GradientTape() as tape:
            real_inputs = self._augmented(images, masks)
            if self.r1_gamma:
                real_logits, r1_per_example = self._logits_and_r1(real_inputs)
            else:
                real_logits = discriminator(real_inputs, training=True)
            fake_logits = discriminator(self._augmented(fake, masks), training=True)
            d_per_example = discriminator_loss(real_logits, fake_logits)
            if self.r1_gamma:
                d_per_example = d_per_example + r1_per_example
            scaled = self.d_optimizer.scale_loss(_replica_loss(d_per_example, discriminator))
        _descend(tape, scaled, self.d_optimizer, discriminator)

        # Generator update, Eq. 7 (non-saturating form), with a fresh z.
        if self.diversity_weight:
            # Pairs: the first half of the masks twice, with two z each, so the step has as many images as without.
            half = batch_size // 2
            masks = ops.concatenate([masks[:half], masks[:half]], axis=0)
            z = self._draw_z(2 * half)
        else:
            z = self._draw_z(batch_size)
        with tf.GradientTape() as tape:
            fake = generator([masks, z], training=True)
            g_per_example = generator_loss(discriminator(self._augmented(fake, masks), training=True))
            g_loss = _replica_loss(g_per_example, generator)
            if self.diversity_weight:
                diversity = coarse_diversity(fake[:half], fake[half:], z[:half], z[half:])
                # A per-replica scalar: divided by the replica count, as the replicas' gradients are summed.
                g_loss += tf.nn.scale_regularization_loss(
                    self.diversity_weight * diversity_loss(diversity, self.diversity_target))
            scaled = self.g_optimizer.scale_loss(g_loss)
        _descend(tape, scaled, self.g_optimizer, generator)
        if self.generator_average is not None:
            self.generator_average.update()

        logs = {
            "d_loss": ops.mean(d_per_example),
            "g_loss": ops.mean(g_per_example),
            "d_real": ops.mean(ops.sigmoid(ops.cast(real_logits, "float32"))),
            "d_fake": ops.mean(ops.sigmoid(ops.cast(fake_logits, "float32"))),
        }
        if self.speckle_layer is not None:
            windows = ops.reshape(self.window_sizes(), (-1,))  # row-major: window 0 rows, window 0 cols, ...
            for i, name in enumerate(self.window_log_names):
                logs[name] = windows[i]
            exponent = _aperture_exponent_weight(self.speckle_layer)
            if exponent is not None:
                logs["aperture_exponent"] = ops.convert_to_tensor(exponent)
        if self.r1_gamma:
            logs["r1_penalty"] = ops.mean(r1_per_example)
        if self.diversity_weight:
            logs["diversity"] = diversity
        for name, value in logs.items():
            self.trackers[name].update_state(value)
        return logs

    def generate(self, masks_onehot, z=None, seed: int | None = None, batch_size: int = 32) -> np.ndarray:
        """Generates images for masks (inference mode), for validation and sampling.

        Args:
            masks_onehot: one-hot masks ``(N, H, W, num_classes)``, or integer labels ``(N, H, W)``.
            z: latent vectors ``(N, latent_dim)``; drawn from ``N(0, I)`` with ``seed`` when ``None``.
            seed: seed of the latent draw (default 0, so repeated validation calls use the same ``z``). The
                model's training RNG is not touched.
            batch_size: images per generator call.

        Returns:
            float32 numpy array ``(N, H, W, 1)`` in ``[-1, 1]``.
        """
        return generate_images(self.generator, masks_onehot, z=z, seed=seed, batch_size=batch_size)


def _replica_loss(per_example, model: keras.Model):
    """This replica's share of the loss: ``per_example`` averaged over the *global* batch plus the model's
    regularisation losses divided by the replica count, because ``tf.distribute`` sums the replicas' gradients."""
    loss = tf.nn.compute_average_loss(per_example)
    if model.losses:
        loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
    return loss


def _descend(tape: tf.GradientTape, scaled_loss, optimizer: keras.optimizers.Optimizer, model: keras.Model) -> None:
    """One optimizer step on ``model``'s trainable variables from the loss recorded on ``tape`` (already scaled by
    ``optimizer.scale_loss``, which a mixed-precision ``LossScaleOptimizer`` undoes in ``apply``)."""
    optimizer.apply(tape.gradient(scaled_loss, model.trainable_variables), model.trainable_variables)


def generate_images(generator: keras.Model, masks, z=None, seed: int | None = None, batch_size: int = 32):
    """Runs a Keras generator on masks in batches; see ``SpeckleGAN.generate``."""
    num_classes = int(generator.inputs[0].shape[-1])
    latent_dim = int(generator.inputs[1].shape[-1])
    masks = np.asarray(masks)
    if masks.ndim == 3:
        if masks.min(initial=0) < 0 or masks.max(initial=0) >= num_classes:
            raise ValueError(f"`masks` labels must lie in [0, {num_classes - 1}]")
        masks = np.eye(num_classes, dtype="float32")[masks]
    if masks.ndim != 4 or masks.shape[-1] != num_classes:
        raise ValueError(f"`masks` must be (N, H, W, {num_classes}) one-hot or (N, H, W) labels, got {masks.shape}")
    n = masks.shape[0]
    if z is None:
        z = keras.random.normal((n, latent_dim), seed=0 if seed is None else int(seed))
    z = np.asarray(z, dtype="float32")
    if z.shape != (n, latent_dim):
        raise ValueError(f"`z` must have shape ({n}, {latent_dim}), got {z.shape}")
    out = []
    for start in range(0, n, batch_size):
        stop = start + batch_size
        out.append(ops.convert_to_numpy(generator([masks[start:stop].astype("float32"), z[start:stop]],
                                                  training=False)))
    return np.concatenate(out, axis=0).astype("float32") if out else np.zeros((0,) + masks.shape[1:3] + (1,),
                                                                                 "float32")
