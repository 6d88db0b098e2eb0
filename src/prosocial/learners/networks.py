"""Actor-critic networks for the deep learners, in flax (linen).

One network maps one agent's observation to action logits and a value:

    torso:   CNN (grid views, ``(H, W, C)``) or MLP (vector observations, flattened)
    dense:   hidden layers with ReLU
    memory:  optional GRU or LSTM cell, its carry reset to zeros where an episode starts
    heads:   logits = W_π h + b_π,   value = W_v h + b_v     (one shared body)

:func:`make_network` returns a :class:`Network`, a bundle of pure functions over the
parameters of *one* agent: ``init(key)`` and ``apply(params, carry, obs, reset)`` over a
sequence ``obs (T, B, ...)``. The learners stack one parameter set per agent and ``vmap``
these functions over the agent axis.

The convolution is written as a dense layer over shifted slices (:class:`SliceConv`):
``y[h, w] = Σ_{dy, dx, c} x[h + dy, w + dx, c] K[dy, dx, c, :] + b`` with ``SAME`` zero
padding, which is ``flax.linen.Conv``'s function with the same kernel layout. The reason is
speed, not numbers: with per-agent parameters vmapped over the agent axis, a ``Conv``
becomes a grouped convolution, which XLA's CPU backend runs many times slower than the same
work as a batched matrix product (``benchmarks/train.py --conv`` measures both); the
shifted-slices form stays a batched ``dot_general`` under ``vmap``. The test suite checks
that both give the same outputs for the same kernel.

Initialisation follows PureJaxRL and SocialJax: orthogonal weights with gain √2 in the
body, 0.01 on the policy head and 1 on the value head, zero biases.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError

TORSOS = ("cnn", "mlp")
MEMORIES = ("none", "gru", "lstm")


def _orthogonal(gain: float) -> Callable:
    return nn.initializers.orthogonal(gain)


class SliceConv(nn.Module):
    """A 2-D convolution (stride 1, ``SAME`` zero padding) as a dense layer over shifts.

    Same kernel layout and function as ``flax.linen.Conv(features, (k, k))``.
    """

    features: int
    kernel_size: int
    kernel_init: Callable = _orthogonal(math.sqrt(2))

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        k = self.kernel_size
        height, width, channels = x.shape[-3:]
        kernel = self.param("kernel", self.kernel_init, (k, k, channels, self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        lo = (k - 1) // 2
        pad = [(0, 0)] * (x.ndim - 3) + [(lo, k - 1 - lo), (lo, k - 1 - lo), (0, 0)]
        padded = jnp.pad(x, pad)
        shifts = [
            padded[..., dy : dy + height, dx : dx + width, :] for dy in range(k) for dx in range(k)
        ]
        patches = jnp.concatenate(shifts, axis=-1)  # (..., H, W, k*k*C), (dy, dx, c) order
        y = patches @ kernel.reshape(k * k * channels, self.features)
        return y + bias.reshape((1,) * (y.ndim - 1) + (-1,))


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """The shape of an actor-critic network (hashable: it is static in a compiled run).

    Attributes:
        torso: ``"cnn"`` for grid observations ``(H, W, C)``, ``"mlp"`` for any shape
            (flattened).
        channels: output channels of each convolution (``cnn``).
        kernels: kernel size of each convolution (``cnn``; as many as ``channels``).
        hidden: widths of the dense ReLU layers after the torso.
        memory: ``"none"``, ``"gru"`` or ``"lstm"``.
        memory_size: the recurrent cell's width.
    """

    torso: str = "cnn"
    channels: tuple[int, ...] = (32, 32, 32)
    kernels: tuple[int, ...] = (5, 3, 3)
    hidden: tuple[int, ...] = (64,)
    memory: str = "none"
    memory_size: int = 64

    def __post_init__(self):
        if self.torso not in TORSOS:
            raise ConfigError("torso", f"{self.torso!r}; accepted: {', '.join(TORSOS)}")
        if self.memory not in MEMORIES:
            raise ConfigError("memory", f"{self.memory!r}; accepted: {', '.join(MEMORIES)}")
        for field in ("channels", "kernels", "hidden"):
            values = getattr(self, field)
            if any(int(v) < 1 or int(v) > 4096 for v in values):
                raise ConfigError(field, f"{values}; accepted: integers in [1, 4096]")
        if self.torso == "cnn" and len(self.channels) != len(self.kernels):
            raise ConfigError(
                "kernels", f"{len(self.kernels)} kernels for {len(self.channels)} convolutions"
            )
        if self.torso == "cnn" and not self.channels:
            raise ConfigError("channels", "empty; a cnn torso needs at least one convolution")
        if not 1 <= int(self.memory_size) <= 4096:
            raise ConfigError("memory_size", f"{self.memory_size}; accepted: 1..4096")


def torso(
    config: NetworkConfig, obs: jax.Array, obs_ndim: int, kernel_init: Callable | None = None
) -> jax.Array:
    """The observation's features, ``(..., *obs) -> (..., F)``: the convolutions (each
    followed by a ReLU) flattened for a CNN torso, the observation flattened for an MLP.
    Called inside a module's ``nn.compact`` method, whose submodules the convolutions
    become; ``kernel_init`` replaces the convolutions' orthogonal initialisation."""
    x = obs.astype(jnp.float32)
    if config.torso != "cnn":
        return x.reshape((*x.shape[: x.ndim - obs_ndim], -1))
    extra = {} if kernel_init is None else {"kernel_init": kernel_init}
    for features, k in zip(config.channels, config.kernels, strict=True):
        x = nn.relu(SliceConv(features, k, **extra)(x))
    return x.reshape((*x.shape[:-3], -1))


class _ActorCritic(nn.Module):
    config: NetworkConfig
    n_actions: int
    obs_ndim: int

    @nn.compact
    def __call__(self, carry, obs, reset):
        cfg = self.config
        x = torso(cfg, obs, self.obs_ndim)
        for width in cfg.hidden:
            x = nn.relu(nn.Dense(width, kernel_init=_orthogonal(math.sqrt(2)))(x))
        if cfg.memory != "none":
            carry = jax.tree.map(lambda c: jnp.where(reset[..., None], 0.0, c), carry)
            cell = nn.GRUCell if cfg.memory == "gru" else nn.OptimizedLSTMCell
            carry, x = cell(cfg.memory_size)(carry, x)
        logits = nn.Dense(self.n_actions, kernel_init=_orthogonal(0.01))(x)
        value = nn.Dense(1, kernel_init=_orthogonal(1.0))(x)[..., 0]
        return carry, logits, value


class Network(NamedTuple):
    """Pure functions over one agent's parameters.

    Attributes:
        config: the :class:`NetworkConfig`.
        init: ``key -> params``.
        initial_carry: ``batch -> carry`` of zeros (an empty array without memory).
        step: ``(params, carry, obs (B, ...), reset (B,)) -> (carry, logits, value)``.
        apply: the same over a sequence ``obs (T, B, ...)``, ``reset (T, B)``, scanning the
            memory over time (a feed-forward network ignores the carry).
        obs_shape: the shape of one observation.
        n_actions: the number of actions (logits).
    """

    config: NetworkConfig
    init: Callable[[jax.Array], Any]
    initial_carry: Callable[[int], Any]
    step: Callable
    apply: Callable
    obs_shape: tuple[int, ...]
    n_actions: int


def make_network(config: NetworkConfig, obs_shape: Sequence[int], n_actions: int) -> Network:
    """The actor-critic network of ``config`` for observations of ``obs_shape``."""
    obs_shape = tuple(int(s) for s in obs_shape)
    if config.torso == "cnn" and len(obs_shape) != 3:
        raise ConfigError(
            "torso", f"'cnn' needs (H, W, C) observations; these have shape {obs_shape}: use 'mlp'"
        )
    module = _ActorCritic(config, int(n_actions), len(obs_shape))

    def initial_carry(batch: int):
        if config.memory == "none":
            return jnp.zeros((batch, 0), jnp.float32)
        zeros = jnp.zeros((batch, config.memory_size), jnp.float32)
        return zeros if config.memory == "gru" else (zeros, zeros)

    def init(key):
        obs = jnp.zeros((1, *obs_shape), jnp.float32)
        return module.init(key, initial_carry(1), obs, jnp.ones((1,), bool))

    def step(params, carry, obs, reset):
        return module.apply(params, carry, obs, reset)

    def apply(params, carry, obs, reset):
        if config.memory == "none":  # one batch axis: XLA's CPU dot is slower with more
            lead = obs.shape[: obs.ndim - len(obs_shape)]
            flat = obs.reshape((-1, *obs_shape))
            _, logits, value = module.apply(params, carry, flat, jnp.reshape(reset, (-1,)))
            return carry, logits.reshape((*lead, -1)), value.reshape(lead)

        def one(c, xs):
            o, r = xs
            c, logits, value = module.apply(params, c, o, r)
            return c, (logits, value)

        carry, (logits, value) = jax.lax.scan(one, carry, (obs, reset))
        return carry, logits, value

    return Network(config, init, initial_carry, step, apply, obs_shape, int(n_actions))
