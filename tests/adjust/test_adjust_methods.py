"""Each adjustment against its hand-derived closed form.

On a quadratic game ℓ_i(x) = ½ xᵀQ_i x + b_iᵀx (x = w flattened, n = 3 players of d = 2
parameters) every derivative is known: ∇ℓ_i = Q_i x + b_i, the game Hessian H has row
block i equal to the row block i of Q_i (not symmetric), and H_c = Σ_i Q_i. The closed
forms below are written in numpy, independently of the JAX code, so a sign or a
transpose error in an adjustment makes them disagree.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from prosocial.adjust import ADJUSTMENTS, adjusted_optimizer, aga_sign

N_PLAYERS, DIM = 3, 2
SIZE = N_PLAYERS * DIM
TOL = {"rtol": 1e-4, "atol": 1e-4}


def blk(i):
    return slice(i * DIM, (i + 1) * DIM)


def quadratic_losses(q, b, w):
    x = w.reshape(-1)
    return 0.5 * jnp.einsum("k,ikl,l->i", x, q, x) + b @ x


@functools.partial(jax.jit, static_argnames=("name", "flags"))
def jitted_direction(name, flags, coefficients, q, b, w):
    """One compilation per method and flags; games and coefficients are traced data."""
    adjustment = ADJUSTMENTS.make(name, **coefficients, **dict(flags))
    return adjustment.update(functools.partial(quadratic_losses, q, b), w, adjustment.init(w))[0]


class Quadratic:
    """A random quadratic game and every quantity the closed forms need (float64)."""

    def __init__(self, seed, x=None, collective_scale=None):
        rng = np.random.default_rng(seed)
        a = rng.normal(size=(N_PLAYERS, SIZE, SIZE))
        self.Q = 0.5 * (a + a.transpose(0, 2, 1))
        if collective_scale is not None:  # make H_c = Σ_i Q_i small against the Q_i
            self.Q += collective_scale * self.Q[0] - self.Q.mean(0)
        self.b = rng.normal(size=(N_PLAYERS, SIZE))
        self.x = rng.normal(size=SIZE) if x is None else x
        self.g = self.Q @ self.x + self.b  # g[i] = ∇ℓ_i, (n, N)
        self.xi = np.concatenate([self.g[i][blk(i)] for i in range(N_PLAYERS)])
        self.H = np.vstack([self.Q[i][blk(i), :] for i in range(N_PLAYERS)])
        self.Qc = self.Q.sum(0)
        self.xi_c = self.Qc @ self.x + self.b.sum(0)
        self.losses = 0.5 * np.einsum("k,ikl,l->i", self.x, self.Q, self.x) + self.b @ self.x

    def losses_fn(self, w):
        return quadratic_losses(
            jnp.asarray(self.Q, jnp.float32), jnp.asarray(self.b, jnp.float32), w
        )

    @property
    def w(self):
        return jnp.asarray(self.x.reshape(N_PLAYERS, DIM), jnp.float32)

    def direction(self, name, **kwargs):
        flags = tuple((k, v) for k, v in kwargs.items() if isinstance(v, bool))
        coefficients = {k: v for k, v in kwargs.items() if not isinstance(v, bool)}
        q, b = jnp.asarray(self.Q, jnp.float32), jnp.asarray(self.b, jnp.float32)
        return np.asarray(jitted_direction(name, flags, coefficients, q, b, self.w)).reshape(-1)

    def shaping(self):
        """χ_i = Σ_{j≠i} H_jiᵀ ∇_{w_j} ℓ_i."""
        chi = np.zeros(SIZE)
        for i in range(N_PLAYERS):
            for j in range(N_PLAYERS):
                if j != i:
                    chi[blk(i)] += self.H[blk(j), blk(i)].T @ self.g[i][blk(j)]
        return chi

    def lookahead(self):
        """H_o ξ: the Hessian's off-diagonal blocks times ξ."""
        h_o = self.H.copy()
        for i in range(N_PLAYERS):
            h_o[blk(i), blk(i)] = 0
        return h_o @ self.xi

    def sos(self, lr, a, b):
        xi_0 = self.xi - lr * self.lookahead()
        shaping = -lr * self.shaping()
        dot = shaping @ xi_0
        p_1 = 1.0 if dot >= 0 else min(1.0, -a * (xi_0 @ xi_0) / dot)
        norm = np.linalg.norm(self.xi)
        p_2 = norm**2 if norm < b else 1.0
        return xi_0 + min(p_1, p_2) * shaping, p_1, p_2

    def aga_score(self):
        v = self.Qc @ self.xi_c
        return (self.xi_c @ v) * (self.xi @ v + v @ v)


GAME = Quadratic(0)


def test_simul_ind_is_xi():
    np.testing.assert_allclose(GAME.direction("simul_ind"), GAME.xi, **TOL)


def test_simul_co_is_collective_gradient():
    np.testing.assert_allclose(GAME.direction("simul_co"), GAME.xi_c, **TOL)


def test_sl_adds_alpha_times_collective_gradient():
    np.testing.assert_allclose(GAME.direction("sl", alpha=0.7), GAME.xi + 0.7 * GAME.xi_c, **TOL)
    np.testing.assert_allclose(GAME.direction("sl", alpha=0.0), GAME.xi, **TOL)


def test_svo_matches_gradient_of_the_reward_angle_penalty():
    # θ_SVO ≠ π/4: at π/4 the penalty is symmetric in (r_i, r̄_{−i}) and hides a swap.
    angle, weight = 0.3, 0.6
    r = -GAME.losses
    expected = np.zeros(SIZE)
    for i in range(N_PLAYERS):
        others = [j for j in range(N_PLAYERS) if j != i]
        x, y = r[i], r[others].mean()
        theta = math.atan2(y, x)
        dtheta_dx, dtheta_dy = -y / (x**2 + y**2), x / (x**2 + y**2)
        grad_x, grad_y = -GAME.g[i], -GAME.g[others].mean(0)  # ∇r_i, ∇r̄_{−i}
        grad_penalty = -np.sign(angle - theta) * (dtheta_dx * grad_x + dtheta_dy * grad_y)
        expected[blk(i)] = GAME.g[i][blk(i)] + weight * grad_penalty[blk(i)]
    got = GAME.direction("svo", angle=angle, weight=weight)
    np.testing.assert_allclose(got, expected, **TOL)


def test_cga_adds_transposed_hessian_times_xi():
    expected = GAME.xi + 0.3 * GAME.H.T @ GAME.xi
    np.testing.assert_allclose(GAME.direction("cga", lam=0.3), expected, **TOL)
    assert not np.allclose(expected, GAME.xi + 0.3 * GAME.H @ GAME.xi, atol=1e-2)


def test_sga_with_its_sign_alignment():
    signs = set()
    for seed in range(12):
        game = Quadratic(seed)
        at_xi = 0.5 * (game.H.T @ game.xi - game.H @ game.xi)
        grad_ham = game.H.T @ game.xi
        product = (game.xi @ grad_ham) * (at_xi @ grad_ham)
        # ε = 0.1 (the default), and ε either side of |product| / N when product < 0, where
        # the 1/N normalisation decides the sign.
        for eps in (0.1, 0.5 * abs(product) / SIZE, 2 * abs(product) / SIZE):
            sign = 1.0 if product / SIZE + eps >= 0 else -1.0
            signs.add(sign)
            got = game.direction("sga", lam=0.5, eps=eps)
            np.testing.assert_allclose(got, game.xi + sign * 0.5 * at_xi, **TOL)
        np.testing.assert_allclose(
            game.direction("sga", lam=0.5, align=False), game.xi + 0.5 * at_xi, **TOL
        )
    assert signs == {-1.0, 1.0}


def test_lola_subtracts_the_opponent_shaping_term():
    expected = GAME.xi - 0.4 * GAME.shaping()
    np.testing.assert_allclose(GAME.direction("lola", lr=0.4), expected, **TOL)


def test_lola_on_a_bilinear_game_matches_the_hand_formula():
    # ℓ_1 = a·x·y, ℓ_2 = c·x·y. LOLA: player 1 gets ∂ℓ_1/∂x − η (∂ℓ_1/∂y)(∂²ℓ_2/∂x∂y)
    # = a y − η (a x) c, player 2 gets c x − η (c y) a.
    a, c, eta = 2.0, 3.0, 0.1
    x, y = 0.7, -0.4

    def losses(w):
        return jnp.stack([a * w[0, 0] * w[1, 0], c * w[0, 0] * w[1, 0]])

    w = jnp.array([[x], [y]])
    adjustment = ADJUSTMENTS.make("lola", lr=eta)
    got, _ = adjustment.update(losses, w, adjustment.init(w))
    expected = [a * y - eta * a * x * c, c * x - eta * c * y * a]
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-6)
    # Zero-sum matching pennies (a = 1, c = −1): LOLA adds η·w, pulling towards 0.
    zero_sum = ADJUSTMENTS.make("lola", lr=eta).update(
        lambda w: jnp.stack([w[0, 0] * w[1, 0], -w[0, 0] * w[1, 0]]), w, None
    )[0]
    np.testing.assert_allclose(zero_sum[:, 0], [y + eta * x, -x + eta * y], rtol=1e-6)


def test_sos_matches_algorithm_and_covers_both_branches():
    seen = set()
    for seed in range(40):
        game = Quadratic(seed)
        if seed % 2:  # a point near the fixed point ξ = 0 (ξ is affine: ξ = H x + c)
            c = game.xi - game.H @ game.x
            game = Quadratic(seed, x=np.linalg.solve(game.H, -c) + 1e-3)
        expected, p_1, p_2 = game.sos(lr=0.3, a=0.5, b=0.1)
        np.testing.assert_allclose(game.direction("sos", lr=0.3), expected, rtol=1e-3, atol=1e-4)
        seen.update({"p1<1"} if p_1 < 1 else set(), {"p2<1"} if p_2 < 1 else set())
    assert seen == {"p1<1", "p2<1"}


def test_sos_keeps_the_lookahead_direction():
    # p_1 guarantees ⟨direction, ξ_0⟩ ≥ (1 − a)‖ξ_0‖² (Letcher et al. 2019, Algorithm 1).
    for seed in range(20):
        game = Quadratic(seed)
        xi_0 = game.xi - 0.3 * game.lookahead()
        got = game.direction("sos", lr=0.3, a=0.5)
        assert got @ xi_0 >= 0.5 * (xi_0 @ xi_0) * (1 - 1e-4)


def test_aga_on_the_quadratic_game():
    v = GAME.Qc @ GAME.xi_c
    sign = 1.0 if GAME.aga_score() >= 0 else -1.0
    expected = GAME.xi_c + sign * 0.8 * (GAME.xi + v)
    np.testing.assert_allclose(GAME.direction("aga", lam=0.8), expected, **TOL)
    np.testing.assert_allclose(GAME.direction("aga", lam=0.0), GAME.xi_c, **TOL)


def test_aga_sign_rule_satisfies_the_corollary_and_fixed_sign_does_not_flip():
    cases = set()
    for seed in range(60):
        # Half the games have a small collective Hessian, so that ⟨ξ, ∇ℋ_c⟩ can outweigh
        # ‖∇ℋ_c‖² and the rule differs from sign(⟨ξ_c, ∇ℋ_c⟩).
        game = Quadratic(seed, collective_scale=0.05 if seed % 2 else None)
        grad_ham_c = game.Qc @ game.xi_c
        adjusted = game.xi + grad_ham_c
        lam = 0.5
        for name, aligned in (("aga", True), ("aga_fixed_sign", False)):
            got = game.direction(name, lam=lam)
            # Recover the λ that was used: direction − ξ_c = λ (ξ + H_c ξ_c).
            used = (got - game.xi_c) @ adjusted / (adjusted @ adjusted)
            assert abs(abs(used) - lam) < 1e-3
            if aligned:
                assert used * game.aga_score() >= 0  # the corollary's inequality
            else:
                assert used > 0
        first = np.sign(game.xi_c @ grad_ham_c)
        second = np.sign(game.xi @ grad_ham_c + grad_ham_c @ grad_ham_c)
        cases.add((first, second))
    assert cases == {(-1, -1), (-1, 1), (1, -1), (1, 1)}  # every branch of the rule


def test_aga_sign_of_zero_is_plus_one():
    zeros = jnp.zeros((2, 1))
    assert aga_sign(zeros, zeros, zeros) == 1.0


@pytest.mark.parametrize("name", ["simul_ind", "aga", "lola"])
def test_adjusted_optimizer_composes_with_optax(name):
    adjustment = ADJUSTMENTS.make(name)
    for optimizer in (optax.sgd(0.1), optax.adam(0.05)):
        opt = adjusted_optimizer(adjustment, optimizer)
        state = opt.init(GAME.w)
        w, state = opt.step(GAME.losses_fn, GAME.w, state)
        w, state = opt.step(GAME.losses_fn, w, state)
        # The same two steps by hand.
        w_ref, opt_state = GAME.w, optimizer.init(GAME.w)
        for _ in range(2):
            direction, _ = adjustment.update(GAME.losses_fn, w_ref, None)
            updates, opt_state = optimizer.update(direction, opt_state, w_ref)
            w_ref = optax.apply_updates(w_ref, updates)
        np.testing.assert_allclose(w, w_ref, rtol=1e-6)
    sgd_step = adjusted_optimizer(adjustment, optax.sgd(0.1))
    w1, _ = sgd_step.step(GAME.losses_fn, GAME.w, sgd_step.init(GAME.w))
    np.testing.assert_allclose(
        w1, GAME.w - 0.1 * adjustment.update(GAME.losses_fn, GAME.w, None)[0], rtol=1e-6
    )


def test_simul_co_and_aga_cooperate_in_the_public_goods_game_where_simul_ind_defects():
    from prosocial.games import public_goods_contributions, public_goods_game

    losses = public_goods_game()
    results = {}
    for name in ("simul_ind", "simul_co", "aga"):
        opt = adjusted_optimizer(ADJUSTMENTS.make(name), optax.sgd(1.0))
        w = jnp.zeros((2, 1))
        state = opt.init(w)
        step = jax.jit(lambda w, s, opt=opt: opt.step(losses, w, s))
        for _ in range(100):
            w, state = step(w, state)
        results[name] = public_goods_contributions(w, 1.0)
    assert jnp.all(results["simul_ind"] < 0.1)
    assert jnp.all(results["simul_co"] > 0.9)
    assert jnp.all(results["aga"] > 0.9)


def test_the_sign_rule_groups_as_the_corollary_needs_not_as_fcgrad_prints_it():
    # FCGrad restates the rule as sign[(ξ_c·∇ℋ_c)(ξ·∇ℋ_c) + ‖∇ℋ_c‖²]. Where a = ⟨ξ_c, ∇ℋ_c⟩ < 0
    # and a·b + c > 0 > a·(b + c), that grouping picks λ > 0 and breaks the corollary's
    # condition λ·a·(⟨ξ + ∇ℋ_c, ∇ℋ_c⟩) ≥ 0; the rule as implemented keeps it.
    g = jnp.array([1.0, 0.0])
    xi_c, xi = jnp.array([-1.0, 0.0]), jnp.array([0.5, 0.0])
    a, b, c = float(xi_c @ g), float(xi @ g), float(g @ g)
    fcgrad = 1.0 if a * b + c >= 0 else -1.0
    ours = float(aga_sign(xi, xi_c, g))
    assert ours == -1.0 and fcgrad == 1.0
    assert ours * a * (b + c) >= 0 > fcgrad * a * (b + c)
