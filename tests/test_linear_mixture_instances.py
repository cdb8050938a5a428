"""Instance invariants of the linear mixture families (docs/theory/reward_free.md)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theoryrl.envs.linear_mixture import (
    hard_linear_mixture,
    random_linear_mixture,
    tabular_as_linear_mixture,
)
from theoryrl.models.linear_mixture import (
    LinearMixtureMDP,
    check_mixture_normalisation,
    max_phi_V_norm,
    max_total_reward,
)

SET = settings(derandomize=True, deadline=None, max_examples=25)


def _invariants(inst):
    P = np.asarray(inst.mdp.P)
    assert (P >= -1e-12).all()
    np.testing.assert_allclose(P.sum(-1), 1.0, atol=1e-9)
    assert max_phi_V_norm(inst.phi) <= 1 + 1e-9
    assert np.linalg.norm(inst.theta) <= inst.B + 1e-9
    R = np.broadcast_to(np.asarray(inst.mdp.R), (inst.mdp.horizon,) + P.shape[:2])
    assert max_total_reward(np.ascontiguousarray(R), P > 0, inst.s1) <= 1 + 1e-9
    inst.mdp.check_normalisation(inst.B)


@SET
@given(S=st.integers(1, 5), A=st.integers(1, 4), d=st.integers(1, 6), H=st.integers(1, 9),
       seed=st.integers(0, 10_000))
def test_random_mixture_invariants(S, A, d, H, seed):
    _invariants(random_linear_mixture(S, A, d, H, seed=seed))


@SET
@given(d=st.integers(2, 7), H=st.integers(2, 12), frac=st.floats(0.05, 1.0),
       seed=st.integers(0, 1000))
def test_hard_instance_invariants_and_closed_form(d, H, frac, seed):
    Delta = frac / 6 / (d - 1)
    inst = hard_linear_mixture(d, H, Delta, seed=seed)
    _invariants(inst)
    assert np.isclose(np.linalg.norm(inst.theta), inst.B)  # ||theta*|| = 1 + (d-1)Delta
    tab = inst.mdp.to_tabular()
    sol = tab.solve()
    assert np.isclose(sol.V[0, 0], inst.meta["v_star"], atol=1e-12)
    assert sol.policy[0, 0] == inst.meta["a_star"]
    # each wrong sign costs 2 Delta (H-1)/H
    pi = sol.policy.copy()
    pi[0, 0] = inst.meta["a_star"] ^ 1
    assert np.isclose(sol.V[0, 0] - tab.initial_value(pi), inst.meta["loss_per_sign"])


@SET
@given(S=st.integers(1, 4), A=st.integers(1, 3), H=st.integers(1, 6), seed=st.integers(0, 999))
def test_tabular_as_linear_mixture(S, A, H, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.random((S, A)) / H
    inst = tabular_as_linear_mixture(P, R, H)
    assert inst.phi.shape[-1] == S * S * A
    np.testing.assert_allclose(inst.mdp.kernel(), P, atol=1e-12)
    _invariants(inst)
    V = rng.random(S)  # phi_V equals V placed in block (s, a), over sqrt(S)
    pv = inst.mdp.phi_V(V)
    np.testing.assert_allclose(np.linalg.norm(pv, axis=-1), np.linalg.norm(V) / np.sqrt(S))


@SET
@given(seed=st.integers(0, 999))
def test_variance_matches_direct(seed):
    inst = random_linear_mixture(4, 2, 3, 5, seed=seed)
    V = np.random.default_rng(seed).random(4)
    P = np.asarray(inst.mdp.P)
    direct = P @ (V * V) - (P @ V) ** 2
    np.testing.assert_allclose(inst.mdp.variance(V), direct, atol=1e-12)


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match=r"Delta must satisfy"):
        hard_linear_mixture(4, 8, 0.2)
    with pytest.raises(ValueError, match=r"Delta must be positive"):
        hard_linear_mixture(4, 8, -0.01)
    with pytest.raises(ValueError, match=r"delta0 must be in"):
        hard_linear_mixture(4, 8, 0.01, delta0=1.5)
    with pytest.raises(ValueError, match=r"dim must be >= 2"):
        hard_linear_mixture(1, 8, 0.01)
    with pytest.raises(ValueError, match=r"P must be time-homogeneous"):
        tabular_as_linear_mixture(np.ones((2, 2, 1, 2)) / 2, np.zeros((2, 1)), 2)
    with pytest.raises(ValueError, match=r"R has total reward"):
        tabular_as_linear_mixture(np.ones((2, 1, 2)) / 2, np.ones((2, 1)), 3)
    with pytest.raises(ValueError, match=r"phi violates the normalisation"):
        check_mixture_normalisation(np.ones((2, 1, 2, 1)))
    inst = random_linear_mixture(3, 2, 2, 4, seed=0)
    with pytest.raises(ValueError, match=r"theta has norm"):
        inst.mdp.check_normalisation(0.1)
    with pytest.raises(ValueError, match=r"phi @ theta"):
        LinearMixtureMDP(inst.phi, 2 * np.asarray(inst.theta), R=np.zeros((3, 2)), horizon=2)
