"""Named environments, the Gymnasium adapter and the pymdptoolbox converters."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from theoryrl.envs import (
    GRID_ACTIONS,
    HardMDP,
    chain,
    from_mdptoolbox,
    grid_cells,
    gridworld,
    hard_instance,
    random_mdp,
    riverswim,
    to_gymnasium,
    to_mdptoolbox,
)
from theoryrl.models import TabularMDP
from theoryrl.planning import is_weakly_communicating

# -- classic ------------------------------------------------------------------------


def test_riverswim_structure():
    for variant in ("strehl_littman", "osband"):
        mdp = riverswim(6, horizon=20, variant=variant)
        assert mdp.P.shape == (6, 2, 6) and mdp.R.max() == 1.0
        assert np.all(mdp.P[:, 0].argmax(axis=1) == np.maximum(np.arange(6) - 1, 0))
        assert mdp.solve().policy[0, 0] == 1  # swimming right is optimal from the start
    with pytest.raises(ValueError, match=r"variant must be one of"):
        riverswim(4, variant="x")
    with pytest.raises(ValueError, match=r"n_states must be >= 2"):
        riverswim(1)


def test_random_mdp_is_seeded_and_sparse():
    a = random_mdp(5, 3, horizon=4, seed=3, branching=2)
    b = random_mdp(5, 3, horizon=4, seed=3, branching=2)
    np.testing.assert_array_equal(a.P, b.P)
    assert not np.array_equal(a.P, random_mdp(5, 3, horizon=4, seed=4, branching=2).P)
    assert np.all((a.P > 0).sum(axis=-1) == 2)
    c = random_mdp(6, 2, seed=0, branching=1, communicating=True)
    assert is_weakly_communicating(c.P)
    assert chain(3, horizon=5).optimal_value() == 3.0


# -- gridworld -------------------------------------------------------------------------


def test_gridworld_slip_probabilities():
    slip = 0.3
    mdp = gridworld(3, 3, slip=slip, goal=(2, 2))
    cells = grid_cells(3, 3)
    centre = cells.index((1, 1))
    for a, (dr, dc) in enumerate(GRID_ACTIONS):
        row = mdp.P[centre, a]
        intended = cells.index((1 + dr, 1 + dc))
        assert row[intended] == pytest.approx(1 - slip)
        others = [cells.index((1 + r, 1 + c)) for k, (r, c) in enumerate(GRID_ACTIONS) if k != a]
        np.testing.assert_allclose(row[others], slip / 3)
        assert row[centre] == 0.0
    # corner (0, 0): up and left bump into the border and stay
    up = mdp.P[cells.index((0, 0)), 0]
    assert up[cells.index((0, 0))] == pytest.approx(1 - slip + slip / 3)


def test_gridworld_walls_goal_and_modes():
    walls = [(0, 1), (1, 1)]
    mdp = gridworld(3, 3, slip=0.0, walls=walls, horizon=10)
    cells = grid_cells(3, 3, walls)
    assert mdp.n_states == 7 and (0, 1) not in cells
    s00 = cells.index((0, 0))
    assert mdp.P[s00, 1, s00] == 1.0  # moving right into the wall: stay
    g = cells.index((2, 2))
    assert mdp.P[g, :, g].tolist() == [1.0] * 4 and mdp.R[g].tolist() == [1.0] * 4
    # shortest path (0,0) -> (2,2) around the walls takes 4 moves
    assert mdp.optimal_value() == pytest.approx(10 - 4)
    reset = gridworld(3, 3, slip=0.1, goal_mode="reset")
    assert np.all(reset.P[reset.n_states - 1, :, 0] == 1.0)
    assert is_weakly_communicating(reset.P) and reset.solve().gain > 0
    with pytest.raises(ValueError, match=r"slip must be in \[0, 1\]"):
        gridworld(slip=1.5)
    with pytest.raises(ValueError, match=r"goal \(0, 1\) is a wall"):
        gridworld(3, 3, walls=walls, goal=(0, 1))
    with pytest.raises(ValueError, match=r"start \(5, 0\) is outside the 3 x 3 grid"):
        gridworld(3, 3, start=(5, 0))
    with pytest.raises(ValueError, match=r"goal_mode must be"):
        gridworld(goal_mode="teleport")
    with pytest.raises(ValueError, match=r"goal_reward must be in \[0, 1\]"):
        gridworld(goal_reward=2.0)
    with pytest.raises(TypeError, match=r"walls\[i\] must be a \(row, column\) pair"):
        gridworld(walls=[3])


# -- hard instance --------------------------------------------------------------------


@pytest.mark.parametrize("S, A, H, stage_dependent", [
    (4, 2, 6, False), (8, 2, 10, False), (20, 3, 15, False), (9, 4, 8, False),
    (8, 2, 12, True), (20, 3, 18, True)])
def test_hard_instance_optimal_pair_and_gap(S, A, H, stage_dependent):
    eps = 0.15
    mdp = hard_instance(S, A, H, eps, stage_dependent=stage_dependent, seed=11)
    assert isinstance(mdp, HardMDP) and isinstance(mdp, TabularMDP)
    l_star, a_star = mdp.optimal_pair
    assert l_star in mdp.leaves
    n_reward = H - mdp.depth - 2 - (H // 3 if stage_dependent else 0)
    assert mdp.optimal_value() == pytest.approx((0.5 + eps) * n_reward, abs=1e-12)
    assert mdp.gap == pytest.approx(eps * n_reward)
    # removing the bias leaves every policy at 1/2 per rewarding stage: the gap is exact
    P = np.array(mdp.P)
    if stage_dependent:
        P[mdp.optimal_stage, l_star, a_star, mdp.good] -= eps
        P[mdp.optimal_stage, l_star, a_star, mdp.bad] += eps
    else:
        P[l_star, a_star, mdp.good] -= eps
        P[l_star, a_star, mdp.bad] += eps
    flat = TabularMDP(P, mdp.R, horizon=H)
    assert mdp.optimal_value() - flat.optimal_value() == pytest.approx(mdp.gap, abs=1e-12)
    # every leaf is reached after exactly depth moves from the root
    pol = mdp.solve().policy
    if not stage_dependent:
        assert pol[1 + mdp.depth, l_star] == a_star


def test_hard_instance_seed_draws_the_pair():
    pairs = {hard_instance(40, 3, 20, seed=s).optimal_pair for s in range(30)}
    assert len(pairs) > 5
    a, b = hard_instance(40, 3, 20, seed=5), hard_instance(40, 3, 20, seed=5)
    assert a.optimal_pair == b.optimal_pair
    np.testing.assert_array_equal(a.P, b.P)


def test_hard_instance_validation():
    with pytest.raises(ValueError, match=r"eps must be in \(0, 1/2\)"):
        hard_instance(8, 2, 10, eps=0.5)
    with pytest.raises(ValueError, match=r"n_states must be >= 4"):
        hard_instance(3, 2, 10)
    with pytest.raises(ValueError, match=r"n_actions must be >= 2"):
        hard_instance(8, 1, 10)
    with pytest.raises(ValueError, match=r"horizon=4 is too short"):
        hard_instance(8, 2, 4)


# -- Gymnasium adapter --------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: riverswim(5, horizon=8),
    lambda: hard_instance(10, 3, 12, stage_dependent=True),
    lambda: gridworld(3, 3, gamma=0.9),
])
def test_gymnasium_env_checker(make):
    from gymnasium.utils.env_checker import check_env

    env = to_gymnasium(make())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)  # includes reset(seed=...) determinism
    msgs = [str(w.message) for w in caught]
    assert all("spec" in m for m in msgs), msgs  # only: no render modes without a spec


def test_gymnasium_seeding_and_truncation():
    mdp = random_mdp(6, 3, horizon=7, seed=2)
    env = to_gymnasium(mdp)

    def rollout(seed):
        obs, info = env.reset(seed=seed)
        out, rng = [obs], np.random.default_rng(0)
        for _ in range(7):
            obs, r, term, trunc, info = env.step(int(rng.integers(3)))
            out.append((obs, r, term, trunc, info["h"]))
        return out

    first = rollout(123)
    assert first == rollout(123)
    assert first[-1][3] is True and all(not t[3] for t in first[1:-1])
    assert all(t[2] is False for t in first[1:])
    with pytest.raises(RuntimeError, match=r"call reset\(\)"):
        env.step(0)
    env.reset(seed=1)
    with pytest.raises(ValueError, match=r"action must be an int in \[0, 3\)"):
        env.step(3)
    assert env.observation_space.n == 6 and env.action_space.n == 3
    clone = pickle.loads(pickle.dumps(env))
    assert type(clone) is type(env)


def test_gymnasium_samples_follow_p():
    mdp = riverswim(4, horizon=1)
    env = to_gymnasium(mdp)
    env.reset(seed=0)
    n, counts = 4000, np.zeros(4)
    for _ in range(n):
        env.reset()
        counts[env.step(1)[0]] += 1
    p = mdp.P[0, 1]
    assert np.all(np.abs(counts / n - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_gymnasium_rejects_non_mdp():
    with pytest.raises(TypeError, match=r"mdp must be a TabularMDP"):
        to_gymnasium("riverswim")


# -- pymdptoolbox converters ------------------------------------------------------------


@pytest.mark.parametrize("kw", [dict(gamma=0.9), dict(horizon=5), {}])
def test_mdptoolbox_round_trip(kw):
    mdp = random_mdp(5, 3, seed=1, **kw)
    P, R = to_mdptoolbox(mdp)
    assert P.shape == (3, 5, 5) and R.shape == (5, 3)
    np.testing.assert_array_equal(P[2, 4], mdp.P[4, 2])
    back = from_mdptoolbox(P, R, init=mdp.init, **kw)
    np.testing.assert_array_equal(back.P, mdp.P)
    np.testing.assert_array_equal(back.R, mdp.R)
    assert back.criterion == mdp.criterion
    P2, R2 = to_mdptoolbox(back)
    np.testing.assert_array_equal(P2, P)
    np.testing.assert_array_equal(R2, R)
    P[0, 0, 0] = 7.0  # fresh copies: the model is untouched
    assert mdp.P[0, 0, 0] != 7.0


def test_from_mdptoolbox_reward_layouts_and_sparse():
    mdp = random_mdp(4, 2, seed=0, gamma=0.8)
    P, R = to_mdptoolbox(mdp)
    by_state = from_mdptoolbox(P, R[:, 0], gamma=0.8)
    np.testing.assert_array_equal(by_state.R, np.repeat(R[:, :1], 2, axis=1))
    Rt = np.repeat(R.T[:, :, None], 4, axis=2)  # R[a, s, s'] = r(s, a)
    np.testing.assert_allclose(from_mdptoolbox(P, Rt, gamma=0.8).R, R, rtol=1e-15)
    sparse = from_mdptoolbox([sp.csr_matrix(P[a]) for a in range(2)], R, gamma=0.8)
    np.testing.assert_array_equal(sparse.P, mdp.P)
    with pytest.raises(ValueError, match=r"P must be \(A, S, S\)"):
        from_mdptoolbox(P[0], R)
    with pytest.raises(ValueError, match=r"R must be \(S, A\)=\(4, 2\)"):
        from_mdptoolbox(P, R.T)
    with pytest.raises(ValueError, match=r"P\[0, 1\] is not a distribution"):
        bad = P.copy()
        bad[1, 0, 0] += 0.5
        from_mdptoolbox(bad, R)
    with pytest.raises(ValueError, match=r"mdp must be stationary"):
        to_mdptoolbox(hard_instance(8, 2, 10, stage_dependent=True))
