"""Tests of the exact POMDP / PSR layer (theoryrl.models.pomdp), docs/theory/umt_psr.md."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theoryrl.models.pomdp import (
    POMDP,
    SizeBudgetError,
    decode_trajectories,
    encode_trajectories,
    exploration_tensor,
    maxsum,
    policy_tables,
    policy_tensor,
    reward_tensor,
    sample_trajectories,
    trajectory_loglik,
    tv_distance,
)

SETTINGS = settings(derandomize=True, deadline=None, max_examples=25)


def random_pomdp(seed: int, S: int, O: int, A: int, H: int) -> POMDP:
    rng = np.random.default_rng(seed)
    T = rng.dirichlet(np.ones(S), size=(max(H - 1, 0), A, S))
    E = rng.dirichlet(np.ones(O), size=(H, S))
    return POMDP(T, E, horizon=H, mu=rng.dirichlet(np.ones(S)))


def random_policy(seed: int, O: int, A: int, H: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    tabs = [rng.dirichlet(np.ones(A), size=(O, A) * h + (O,)) for h in range(H)]
    return policy_tensor(tabs, O, A)


dims = st.tuples(st.integers(0, 10_000), st.integers(1, 3), st.integers(1, 3),
                 st.integers(1, 2), st.integers(1, 4))


@SETTINGS
@given(dims)
def test_trajectory_law_sums_to_one_for_every_policy(d):
    seed, S, O, A, H = d
    m = random_pomdp(seed, S, O, A, H)
    pi = random_policy(seed, O, A, H)
    assert abs((m.traj_probs() * pi).sum() - 1) < 1e-12
    # and for every fixed action sequence, over observations
    s = m.traj_probs().sum(axis=tuple(range(0, 2 * H, 2)))
    np.testing.assert_allclose(s, 1.0, atol=1e-12)


@SETTINGS
@given(dims)
def test_forward_equals_brute_force_and_psr(d):
    seed, S, O, A, H = d
    m = random_pomdp(seed, S, max(O, S), A, H)
    P = m.traj_probs()
    np.testing.assert_allclose(P, m.brute_force_traj_probs(), atol=1e-13)
    if m.is_revealing():
        np.testing.assert_allclose(P, m.psr_traj_probs(), atol=1e-12)


@SETTINGS
@given(dims)
def test_exact_value_equals_enumeration(d):
    """V = sum over explicit (trajectory) enumeration of P * pi * R, loop by loop."""
    seed, S, O, A, H = d
    m = random_pomdp(seed, S, O, A, H)
    pi = random_policy(seed, O, A, H)
    r = np.random.default_rng(seed).random((H, O, A))
    R = reward_tensor(r, O, A, H)
    tabs = policy_tables(pi, O, A, H)
    P = m.brute_force_traj_probs()
    tot = 0.0
    for traj in itertools.product(*([range(O), range(A)] * H)):
        obs, act = traj[0::2], traj[1::2]
        w = 1.0
        for h in range(H):
            w *= tabs[h][traj[: 2 * h] + (obs[h], act[h])]
        tot += P[traj] * w * np.mean([r[h, obs[h], act[h]] for h in range(H)])
    assert abs(m.value(pi, R) - tot) < 1e-12


@SETTINGS
@given(dims)
def test_maxsum_matches_belief_dp_and_its_policy(d):
    seed, S, O, A, H = d
    m = random_pomdp(seed, S, O, A, H)
    r = np.random.default_rng(seed).random((H, O, A))
    R = reward_tensor(r, O, A, H)
    plan = m.optimal(R)
    assert abs(plan.value - m.optimal_value_belief(r)) < 1e-12
    assert abs(m.value(plan.tensor(), R) - plan.value) < 1e-12
    # no random policy beats it
    assert m.value(random_policy(seed, O, A, H), R) <= plan.value + 1e-12


@SETTINGS
@given(dims)
def test_belief_update_predicts_next_observation(d):
    seed, S, O, A, H = d
    if H < 2:
        return
    m = random_pomdp(seed, S, O, A, H)
    P = m.traj_probs()
    rng = np.random.default_rng(seed)
    o1, a1 = int(rng.integers(O)), int(rng.integers(A))
    b = m.initial_belief(o1)
    pred = m.next_obs_probs(b, a1, 1)
    marg = P.sum(axis=tuple(range(4, 2 * H)))[o1, a1, :, 0]  # P(o1, o2 | a1)
    np.testing.assert_allclose(pred, marg / marg.sum(), atol=1e-12)
    o2 = int(np.argmax(pred))
    b2 = m.belief_update(b, a1, o2, 1)
    assert abs(b2.sum() - 1) < 1e-12 and (b2 >= 0).all()


@SETTINGS
@given(st.integers(0, 10_000), st.integers(1, 3), st.integers(1, 3))
def test_rank_at_most_states_and_core_tests(seed, S, H):
    O, A = 3, 2
    m = random_pomdp(seed, S, O, A, H)
    r = m.rank()
    assert 1 <= r <= S
    for h in range(H):
        q = m.core_tests(h)
        assert len(q) == np.linalg.matrix_rank(m.dynamics_matrix(h), tol=1e-10)
        if m.is_revealing():
            assert all(len(t) == 1 for t in q)  # single-observation core tests


def test_rank_equals_states_for_generic_revealing_pomdp():
    m = random_pomdp(3, 2, 3, 2, 3)
    assert m.is_revealing() and m.rank() == 2
    assert 0 < m.gamma() <= 1


def test_rank_one_when_observations_are_uninformative():
    m = POMDP(np.full((2, 3, 3), 1 / 3), np.full((3, 2), 0.5), horizon=3)
    assert m.rank() == 1
    assert m.gamma() == 0.0


def test_exploration_tensor_is_a_policy_and_follows_prefix():
    m = random_pomdp(1, 2, 3, 2, 3)
    pi = random_policy(1, 3, 2, 3)
    for h in (1, 2, 3):
        nu = exploration_tensor(pi, h, 3, 2, 3)
        assert abs((m.traj_probs() * nu).sum() - 1) < 1e-12
    nu1 = exploration_tensor(pi, 1, 3, 2, 3)
    np.testing.assert_allclose(nu1, 1 / 8)


def test_encode_decode_and_sampling_law():
    m = random_pomdp(5, 2, 2, 2, 2)
    pi = random_policy(5, 2, 2, 2)
    idx = sample_trajectories(m.traj_probs(), pi, 20_000, np.random.default_rng(0))
    obs, act = decode_trajectories(idx, 2, 2, 2)
    np.testing.assert_array_equal(encode_trajectories(obs, act, 2, 2), idx)
    freq = np.bincount(idx, minlength=16) / idx.size
    np.testing.assert_allclose(freq, (m.traj_probs() * pi).ravel(), atol=0.015)


def test_loglik_kernels_match_tensor():
    models = [random_pomdp(s, 2, 3, 2, 3) for s in range(4)]
    idx = np.arange(216)
    obs, act = decode_trajectories(idx, 3, 2, 3)
    ref = np.log(np.stack([m.traj_probs().ravel() for m in models]))
    np.testing.assert_allclose(trajectory_loglik(models, obs, act, "numba"), ref, atol=1e-12)
    np.testing.assert_allclose(trajectory_loglik(models, obs, act, "numpy"), ref, atol=1e-12)


def test_kernels_are_numba_compiled():
    from numba.core.registry import CPUDispatcher

    from theoryrl.models import _pomdp_kernels as k

    assert isinstance(k.forward_loglik, CPUDispatcher)
    assert isinstance(k.tensor_loglik, CPUDispatcher)
    trajectory_loglik([random_pomdp(0, 2, 2, 2, 2)], np.zeros((1, 2)), np.zeros((1, 2)))
    assert len(k.forward_loglik.signatures) >= 1


def test_tv_and_maxsum_tv():
    a, b = random_pomdp(1, 2, 2, 2, 2), random_pomdp(2, 2, 2, 2, 2)
    g = 0.5 * np.abs(a.traj_probs() - b.traj_probs())
    plan = maxsum(g, 2, 2, 2)
    assert abs(tv_distance(a.traj_probs(), b.traj_probs(), plan.tensor()) - plan.value) < 1e-14
    assert 0 <= plan.value <= 1


# ------------------------------------------------------------ validation
def test_validation_names_argument_and_index():
    T = np.full((2, 2, 2), 0.5)
    E = np.array([[0.5, 0.5], [0.5, 0.4]])
    with pytest.raises(ValueError, match=r"^E\[1\] is not a distribution \(sum 0\.9\)"):
        POMDP(T, E, horizon=2)  # the index refers to E as given, like T's below
    T2 = T.copy()
    T2[1, 0] = [0.7, 0.2]
    with pytest.raises(ValueError, match=r"^T\[1, 0\] is not a distribution"):  # as given
        POMDP(T2, np.eye(2), horizon=2)
    with pytest.raises(ValueError, match=r"mu(\[\])? is not a distribution \(sum 1\.2\)"):
        POMDP(T, np.eye(2), horizon=2, mu=[0.6, 0.6])
    with pytest.raises(ValueError, match=r"^E\[0\] is not a distribution \(entry 0 is negative"):
        POMDP(T, np.array([[-0.1, 1.1], [0.5, 0.5]]), horizon=2)
    with pytest.raises(ValueError, match=r"horizon must be >= 1"):
        POMDP(T, np.eye(2), horizon=0)
    with pytest.raises(ValueError, match=r"T must be"):
        POMDP(np.full((2, 2), 0.5), np.eye(2), horizon=2)
    with pytest.raises(ValueError, match=r"r\[0, 1, 0\] must be in \[0, 1\]"):
        reward_tensor(np.array([[[0, 0], [2, 0]], [[0, 0], [0, 0]]]), 2, 2, 2)
    with pytest.raises(ValueError, match=r"tables\[1\]\[0, 0, 1\] is not an action"):
        policy_tensor([np.zeros(2, int), np.array([[[0, 5], [0, 0]], [[0, 0], [0, 0]]])], 2, 2)


def test_size_budget_error_is_raised_not_hang():
    m = POMDP(np.full((4, 2, 2), 0.5), np.full((2, 5), 0.2), horizon=12, max_entries=10**6)
    with pytest.raises(SizeBudgetError, match=r"over the size budget max_entries=1000000"):
        m.traj_probs()
    with pytest.raises(ValueError, match=r"size budget"):
        m.optimal_value_belief(np.zeros((12, 5, 4)))
