"""Interop with Gymnasium, pymdptoolbox and QuantEcon; any finite rewards and
infeasible actions in exact models; the learners' reward-range checks."""

import numpy as np
import pytest

from theoryrl.agents import UCBVI, UCRL2
from theoryrl.envs import (
    from_gymnasium,
    from_mdptoolbox,
    from_quantecon,
    register_gymnasium,
    riverswim,
    to_quantecon,
)
from theoryrl.models import TabularMDP, rescale_rewards

gymnasium = pytest.importorskip("gymnasium")


# -- any finite rewards, infeasible actions ------------------------------------------------

def puterman_621(beta: float, form: str = "inf"):
    """Puterman (2005), Example 6.2.1 as QuantEcon writes it: two states, action 1
    infeasible in state 1 (its row of Q is arbitrary)."""
    P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[0.0, 1.0], [0.5, 0.5]]])
    R = np.array([[5.0, 10.0], [-1.0, -np.inf]])
    if form == "mask":
        return TabularMDP(P, np.where(np.isinf(R), 123.0, R), gamma=beta,
                          feasible=np.isfinite(R))
    return TabularMDP(P, R, gamma=beta)


def puterman_621_analytic(beta: float) -> tuple[np.ndarray, np.ndarray]:
    """The textbook's closed form: v(1) = -1 / (1 - beta); in state 0 staying (action 0)
    is worth (5 - 5.5 beta) / ((1 - 0.5 beta)(1 - beta)), leaving 10 - beta / (1 - beta)."""
    v1 = -1.0 / (1 - beta)
    stay = (5 - 5.5 * beta) / ((1 - 0.5 * beta) * (1 - beta))
    leave = 10 - beta / (1 - beta)
    return np.array([max(stay, leave), v1]), np.array([0 if stay >= leave else 1, 0])


@pytest.mark.parametrize("beta", [0.95, 0.8])  # action 0 optimal iff beta >= 10/11
@pytest.mark.parametrize("form", ["inf", "mask"])
@pytest.mark.parametrize("method", ["pi", "vi"])
def test_puterman_621_analytic(beta, form, method):
    from theoryrl.planning import solve

    mdp = puterman_621(beta, form)
    v, sigma = puterman_621_analytic(beta)
    sol = solve(mdp, method=method)
    # policy iteration is exact; value iteration is within its certified error
    tol = 1e-12 * np.abs(v).max() + (sol.error if method == "vi" else 0.0)
    np.testing.assert_allclose(sol.V, v, rtol=0, atol=tol)
    np.testing.assert_array_equal(sol.policy, sigma)
    assert np.isneginf(mdp.R[1, 1]) and not mdp.feasible[1, 1]
    np.testing.assert_allclose(mdp.evaluate(sigma), v, rtol=1e-12)


def test_infeasible_actions_in_every_criterion():
    mdp = puterman_621(0.9)
    ep = TabularMDP(mdp.P, mdp.R, horizon=6)
    sol = ep.solve()
    assert np.all(sol.policy[:, 1] == 0)
    # backward induction by hand over the feasible actions only
    V = np.zeros(2)
    for _ in range(6):
        V = np.array([max(5 + 0.5 * V[0] + 0.5 * V[1], 10 + V[1]), -1 + V[1]])
    np.testing.assert_allclose(sol.V[0], V, rtol=1e-14)
    # average reward: the infeasible row (0.5, 0.5) would make state 1 reach state 0;
    # without it state 1 is absorbing under every feasible action
    avg = TabularMDP(mdp.P, mdp.R)
    assert avg.solve().gain == pytest.approx(-1.0, abs=1e-8)
    with pytest.raises(ValueError, match="infeasible action"):
        mdp.evaluate(np.array([0, 1]))
    with pytest.raises(ValueError, match="infeasible action"):
        mdp.evaluate(np.array([[1.0, 0.0], [0.5, 0.5]]))
    # a stochastic policy that avoids it is evaluated without nan
    assert np.isfinite(mdp.evaluate(np.array([[0.5, 0.5], [1.0, 0.0]]))).all()
    with pytest.raises(ValueError, match="infeasible in state 1"):
        mdp.step(1, 1, np.random.default_rng(0))
    from theoryrl.envs import to_gymnasium

    env = to_gymnasium(ep)
    env.reset(seed=0)
    env.step(1)  # state 0 -> 1
    with pytest.raises(ValueError, match="action 1 is infeasible in state 1"):
        env.step(1)


@pytest.mark.parametrize("stage_P", [False, True])
def test_stage_dependent_infeasible_actions(stage_P):
    rng = np.random.default_rng(3)
    H, S, A = 4, 3, 3
    P = rng.dirichlet(np.ones(S), size=(H, S, A) if stage_P else (S, A))
    R = rng.normal(size=(H, S, A)) * 5
    F = rng.random((H, S, A)) < 0.6
    F[..., 0] |= ~F.any(axis=-1)  # a feasible action everywhere
    mdp = TabularMDP(P, R, horizon=H, feasible=F)
    sol = mdp.solve()
    V = np.zeros(S)  # backward induction by hand over the feasible actions only
    for h in range(H - 1, -1, -1):
        Ph = P[h] if stage_P else P
        Q = np.where(F[h], R[h] + Ph @ V, -np.inf)
        assert np.all(F[h][np.arange(S), sol.policy[h]])
        np.testing.assert_allclose(Q[np.arange(S), sol.policy[h]], Q.max(axis=1), rtol=1e-12)
        V = Q.max(axis=1)
        np.testing.assert_allclose(sol.V[h], V, rtol=1e-12)
        assert np.all(np.isneginf(sol.Q[h][~F[h]]))
    np.testing.assert_allclose(mdp.evaluate(sol.policy), sol.V, rtol=1e-12)


def test_reward_validation():
    P = np.full((2, 2, 2), 0.5)
    with pytest.raises(ValueError, match=r"R\[0, 1\] is not finite"):
        TabularMDP(P, [[0.0, np.inf], [0.0, 0.0]], gamma=0.5)
    with pytest.raises(ValueError, match=r"R\[1, 0\] is not finite"):
        TabularMDP(P, [[0.0, 0.0], [np.nan, 0.0]], gamma=0.5)
    with pytest.raises(ValueError, match=r"state \[1\] has no feasible action"):
        TabularMDP(P, [[0.0, 0.0], [-np.inf, -np.inf]], gamma=0.5)
    with pytest.raises(ValueError, match="no feasible action"):
        TabularMDP(P, np.zeros((2, 2)), gamma=0.5, feasible=np.array([[1, 1], [0, 0]], bool))
    with pytest.raises(TypeError, match="feasible must be a bool array"):
        TabularMDP(P, np.zeros((2, 2)), gamma=0.5, feasible=np.ones((2, 2)))
    with pytest.raises(ValueError, match="feasible must have the shape"):
        TabularMDP(P, np.zeros((2, 2)), gamma=0.5, feasible=np.ones(2, bool))
    big = TabularMDP(P, [[-3e6, 7.5], [0.0, 1e3]], horizon=2)
    assert big.optimal_value() == pytest.approx(7.5 + 0.5 * 7.5 + 0.5 * 1e3, rel=1e-14)


# -- pymdptoolbox -------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"S": 10, "r1": 7.0, "r2": 3.0, "p": 0.05}])
def test_forest_solved_as_it_is(kw):
    example = pytest.importorskip("mdptoolbox.example")
    mdp_mod = pytest.importorskip("mdptoolbox.mdp")
    P, R = example.forest(**kw)
    assert R.max() > 1  # the example's rewards leave [0, 1]
    mdp = from_mdptoolbox(P, R, gamma=0.96)
    ref = mdp_mod.PolicyIteration(P, R, 0.96)
    ref.run()
    sol = mdp.solve()
    np.testing.assert_allclose(sol.V, np.asarray(ref.V), rtol=1e-10)
    np.testing.assert_array_equal(sol.policy, np.asarray(ref.policy))
    # and a learner is told to rescale it
    ep = from_mdptoolbox(P, R, horizon=5)
    with pytest.raises(ValueError, match="assumes rewards in \\[0, 1\\].*rescale_rewards"):
        UCBVI(ep.spec, episodes=10)
    UCBVI(rescale_rewards(ep).spec, episodes=10)


# -- rescaling ----------------------------------------------------------------------------

def test_rescale_rewards_maps_values_back():
    example = pytest.importorskip("mdptoolbox.example")
    P, R = example.forest(S=6, r1=4.0, r2=2.0)
    H, gamma = 7, 0.9
    ep = from_mdptoolbox(P, R, horizon=H)
    sc = rescale_rewards(ep)
    lo, hi = R.min(), R.max()
    assert sc.R.min() == 0.0 and sc.R.max() == 1.0
    np.testing.assert_allclose(ep.solve().V, (hi - lo) * sc.solve().V
                               + lo * (H - np.arange(H))[:, None], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ep.solve().policy, sc.solve().policy)
    disc = from_mdptoolbox(P, R, gamma=gamma)
    sc = rescale_rewards(disc, low=-1.0, high=5.0)
    np.testing.assert_allclose(disc.solve().V, 6.0 * sc.solve().V - 1.0 / (1 - gamma),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="outside"):
        rescale_rewards(disc, low=0.5)
    with pytest.raises(ValueError, match="low must be < high"):
        rescale_rewards(disc, low=2.0, high=2.0)
    with pytest.raises(ValueError, match="infeasible action"):
        rescale_rewards(puterman_621(0.9))
    flat = TabularMDP(P.transpose(1, 0, 2), np.full((6, 2), 3.0), gamma=0.5)
    assert np.all(rescale_rewards(flat).R == 0.0)


def test_learners_check_reward_range():
    mdp = puterman_621(0.9)
    with pytest.raises(ValueError, match="UCBVI needs every action feasible"):
        UCBVI(TabularMDP(mdp.P, mdp.R, horizon=3).spec, episodes=5)
    neg = TabularMDP(mdp.P, np.array([[0.5, 0.2], [-0.1, 0.0]]))
    with pytest.raises(ValueError, match=r"UCRL2 assumes rewards in \[0, 1\].*R\[1, 0\]"):
        UCRL2(neg.spec)
    UCRL2(rescale_rewards(neg).spec)


# -- QuantEcon ----------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["product", "sa_pair", "sa_pair_sparse"])
def test_quantecon_puterman_621(form):
    qe = pytest.importorskip("quantecon")
    beta = 0.95
    R = [[5, 10], [-1, -float("inf")]]
    Q = [[(0.5, 0.5), (0, 1)], [(0, 1), (0.5, 0.5)]]
    if form == "product":
        ddp = qe.markov.DiscreteDP(R, Q, beta)
    else:  # QuantEcon's own example, written over the three feasible pairs
        Qsa = np.array([(0.5, 0.5), (0, 1), (0, 1)])
        if form == "sa_pair_sparse":
            from scipy.sparse import csr_matrix

            Qsa = csr_matrix(Qsa)
        ddp = qe.markov.DiscreteDP([5, 10, -1], Qsa, beta, [0, 0, 1], [0, 1, 0])
    mdp = from_quantecon(ddp)
    v, sigma = puterman_621_analytic(beta)
    sol = mdp.solve()
    np.testing.assert_allclose(sol.V, v, rtol=1e-12)
    np.testing.assert_array_equal(sol.policy, sigma)
    assert mdp.feasible.tolist() == [[True, True], [True, False]]
    ref = ddp.solve(method="policy_iteration")
    np.testing.assert_allclose(ref.v, v, rtol=1e-12)


@pytest.mark.parametrize("sa_pair,sparse", [(False, False), (True, False), (True, True)])
def test_quantecon_round_trip(sa_pair, sparse):
    qe = pytest.importorskip("quantecon")
    mdp = puterman_621(0.8)
    ddp = to_quantecon(mdp, sa_pair=sa_pair, sparse=sparse)
    assert ddp.num_sa_pairs == 3
    back = from_quantecon(ddp)
    np.testing.assert_array_equal(back.R, mdp.R)
    np.testing.assert_array_equal(back.P[mdp.feasible], mdp.P[mdp.feasible])
    np.testing.assert_allclose(ddp.solve(method="policy_iteration").v, mdp.solve().V,
                               rtol=1e-12)
    # finite horizon: beta = 1 and QuantEcon's backward induction
    ep = riverswim(5, horizon=7)
    vs, sigmas = qe.markov.backward_induction(to_quantecon(ep, sa_pair=sa_pair), 7)
    np.testing.assert_allclose(vs[:7], ep.solve().V, rtol=1e-12, atol=1e-15)
    back = from_quantecon(to_quantecon(ep), horizon=7)
    np.testing.assert_array_equal(back.P, ep.P)


def test_quantecon_errors():
    qe = pytest.importorskip("quantecon")
    with pytest.raises(ValueError, match="average-reward"):
        to_quantecon(riverswim(4))
    ddp = qe.markov.DiscreteDP([[1.0]], [[[1.0]]], 0.9)
    with pytest.raises(ValueError, match="beta must be 1"):
        from_quantecon(ddp, horizon=3)
    with pytest.raises(TypeError, match="DiscreteDP"):
        from_quantecon(object())
    stages = TabularMDP(np.full((2, 1, 1, 1), 1.0), np.zeros((2, 1, 1)), horizon=2)
    with pytest.raises(ValueError, match="stationary"):
        to_quantecon(stages)


# -- Gymnasium ----------------------------------------------------------------------------

def _frozen_lake_by_hand(table, S, A, H, init):
    """Backward induction straight over the env's table, an episode ending at
    ``terminated`` (nothing of theoryrl used)."""
    V = np.zeros(S)
    for _ in range(H):
        V = np.array([max(sum(p * (r + (0.0 if done else V[t])) for p, t, r, done
                              in table[s][a]) for a in range(A)) for s in range(S)])
    return float(init @ V), V


@pytest.mark.parametrize("kw", [{}, {"is_slippery": False}, {"map_name": "8x8"}])
def test_from_gymnasium_frozen_lake(kw):
    env = gymnasium.make("FrozenLake-v1", **kw)
    mdp = from_gymnasium(env)
    base = env.unwrapped
    S, A = base.observation_space.n, base.action_space.n
    H = env.spec.max_episode_steps
    assert mdp.horizon == H and mdp.n_states == S + 1 and mdp.n_actions == A
    value, V = _frozen_lake_by_hand(base.P, S, A, H, base.initial_state_distrib)
    assert mdp.optimal_value() == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(mdp.solve().V[0, :S], V, rtol=1e-12, atol=1e-15)


def test_from_gymnasium_optimal_policy_in_the_env():
    """The optimal policy of the converted model, played in the real env, earns
    the model's optimal value (Monte Carlo, 4 standard errors)."""
    env = gymnasium.make("FrozenLake-v1")
    mdp = from_gymnasium(env)
    pi = mdp.solve().policy
    n = 2000
    total = 0.0
    obs, _ = env.reset(seed=0)
    for _ in range(n):
        obs, _ = env.reset()
        for h in range(mdp.horizon):
            obs, r, term, trunc, _ = env.step(int(pi[h, obs]))
            total += r
            if term or trunc:
                break
    v = mdp.optimal_value()
    se = np.sqrt(v * (1 - v) / n)
    assert abs(total / n - v) < 4 * se


def _make(*ids):
    """The first of ``ids`` this Gymnasium registers (versions differ across releases)."""
    for env_id in ids:
        if env_id in gymnasium.registry:
            return gymnasium.make(env_id)
    pytest.skip(f"none of {ids} is registered")


def test_from_gymnasium_taxi_and_cliff():
    cliff = _make("CliffWalking-v1", "CliffWalking-v0")
    assert cliff.spec.max_episode_steps is None
    with pytest.raises(ValueError, match="give horizon= or gamma="):
        from_gymnasium(cliff)
    m = from_gymnasium(cliff, horizon=50)
    assert m.optimal_value() == pytest.approx(-13.0)  # the 13-step path along the cliff
    taxi = from_gymnasium(_make("Taxi-v4", "Taxi-v3"), gamma=0.9)
    assert taxi.n_states == 501 and taxi.criterion == "discounted"
    with pytest.raises(TypeError, match="transition table P"):
        from_gymnasium(gymnasium.make("CartPole-v1"))


def test_gymnasium_registration():
    ids = register_gymnasium()
    assert register_gymnasium() == ids  # idempotent
    env = gymnasium.make("theoryrl/RiverSwim-v0")
    mdp = env.unwrapped.mdp
    ref = riverswim(6, horizon=20)
    np.testing.assert_array_equal(mdp.P, ref.P)
    assert mdp.horizon == 20
    env = gymnasium.make("theoryrl/RiverSwim-v0", n_states=4, horizon=3)
    env.reset(seed=1)
    steps = 0
    while True:
        steps += 1
        if env.step(1)[3]:
            break
    assert steps == 3
    for env_id in ids:
        gymnasium.make(env_id).reset(seed=0)
    env = gymnasium.make("theoryrl.envs.gym_registry:theoryrl/Chain-v0")
    assert env.unwrapped.mdp.n_states == 5
