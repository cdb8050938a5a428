"""Average-reward planning: gain/bias facts, diameter, extended value iteration."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba.core.registry import CPUDispatcher

from theoryrl.envs.average import random_communicating, riverswim_average, two_state_gadget
from theoryrl.planning import _evi_kernels as EK
from theoryrl.planning import average_facts, diameter, extended_value_iteration
from theoryrl.planning.diameter import hitting_times

SETTINGS = dict(derandomize=True, deadline=None, max_examples=25)


def test_kernels_are_compiled():
    for f in (EK.evi, EK.backup, EK.ssp_hitting_times):
        assert isinstance(f, CPUDispatcher)


def test_two_state_closed_forms():
    # Jaksch et al. (2010) two-state block: J* = (ds+e)/(2ds+e), sp = 1/(2ds+e), D = 1/ds
    for ds, e in [(0.2, 0.1), (0.1, 0.02)]:
        f = average_facts(two_state_gadget(ds, e))
        np.testing.assert_allclose(f.gain, (ds + e) / (2 * ds + e), rtol=1e-9)
        np.testing.assert_allclose(f.span, 1 / (2 * ds + e), rtol=1e-8)
        np.testing.assert_allclose(f.diameter, 1 / ds, rtol=1e-9)


def test_riverswim_spec_values():
    # RiverSwim-6 (docs/theory/loop.md), values of an independent numpy computation [P]:
    # J* 0.428622, sp 6.3103, D 14.722
    f = average_facts(riverswim_average(6))
    assert abs(f.gain - 0.428622) < 1e-6
    assert abs(f.span - 6.3103) < 1e-4
    assert abs(f.diameter - 14.722) < 1e-3


@settings(**SETTINGS)
@given(seed=st.integers(0, 10_000), S=st.integers(2, 5), A=st.integers(1, 3))
def test_bellman_equation_and_gaps(seed, S, A):
    mdp = random_communicating(S, A, branching=min(S, 2), seed=seed)
    f = average_facts(mdp, with_diameter=False)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    lhs = f.gain + f.bias
    rhs = (R + P @ f.bias).max(axis=1)
    np.testing.assert_allclose(lhs, rhs, atol=1e-8)
    assert f.gaps.min() >= -1e-8
    np.testing.assert_allclose(f.gaps[np.arange(S), f.policy], 0, atol=1e-8)


def _brute_diameter(P):
    S, A, _ = P.shape
    best = np.full((S, S), np.inf)
    for pol in itertools.product(range(A), repeat=S):
        Ppi = P[np.arange(S), list(pol)]
        for t in range(S):
            keep = np.arange(S) != t
            M = np.eye(S - 1) - Ppi[np.ix_(keep, keep)]
            try:
                h = np.linalg.solve(M, np.ones(S - 1))
            except np.linalg.LinAlgError:
                continue
            if np.all(h >= -1e-9) and np.all(np.isfinite(h)) and \
                    np.allclose(M @ h, 1, atol=1e-9):
                best[keep, t] = np.minimum(best[keep, t], h)
    np.fill_diagonal(best, 0)
    return best.max()


@settings(**SETTINGS)
@given(seed=st.integers(0, 10_000), S=st.integers(2, 4), A=st.integers(1, 2))
def test_diameter_matches_brute_force(seed, S, A):
    mdp = random_communicating(S, A, branching=min(S, 2), seed=seed)
    assert diameter(mdp.P) == pytest.approx(_brute_diameter(np.asarray(mdp.P)), rel=1e-7)


def test_diameter_not_communicating_is_inf():
    P = np.zeros((2, 1, 2))
    P[:, 0, 0] = 1.0
    assert diameter(P) == np.inf
    assert hitting_times(P, 1)[0] == np.inf


def _true_gain(P, R):
    return average_facts(_Model(P, R), with_diameter=False).gain


class _Model:
    criterion = "average"

    def __init__(self, P, R):
        self.P, self.R = P, R


@settings(**SETTINGS)
@given(seed=st.integers(0, 10_000), S=st.integers(2, 4), A=st.integers(1, 3),
       inner=st.sampled_from(["l1", "box", "ellipsoid"]), slack=st.floats(1.0, 3.0))
def test_evi_optimistic_when_truth_in_set(seed, S, A, inner, slack):
    """EVI optimism: if the true P lies in every pair's plausible set, the EVI gain is
    at least J* - eps (Jaksch et al. 2010, Thm 7; docs/theory/loop.md [D])."""
    rng = np.random.default_rng(seed)
    mdp = random_communicating(S, A, branching=S, seed=seed)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    J = _true_gain(P, R)
    noise = rng.dirichlet(np.ones(S), size=(S, A))
    phat = 0.8 * P + 0.2 * noise
    eps = 1e-3
    if inner == "l1":
        radius = slack * np.abs(P - phat).sum(-1)
        res = extended_value_iteration(R, "l1", phat=phat, radius=radius, eps=eps)
    elif inner == "box":
        w = slack * np.abs(P - phat)
        res = extended_value_iteration(R, "box", lo=np.maximum(0, phat - w),
                                       hi=np.minimum(1, phat + w), eps=eps)
    else:
        lam = 1.0
        G = np.broadcast_to(np.eye(S) * lam, (S, A, S, S)).copy()
        Ginv = np.linalg.inv(G)
        sqb = slack * np.sqrt(np.einsum("sai,saij,saj->sa", P - phat, G, P - phat))
        res = extended_value_iteration(R, "ellipsoid", phat=phat, Ginv=Ginv, sqrt_beta=sqb,
                                       eps=eps)
    assert res.gain >= J - eps - 1e-9


def test_evi_zero_radius_is_rvi():
    mdp = riverswim_average(4)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    res = extended_value_iteration(R, "l1", phat=P, radius=np.zeros(R.shape), eps=1e-9)
    assert res.gain == pytest.approx(_true_gain(P, R), abs=1e-8)


def test_evi_span_truncation():
    mdp = riverswim_average(6)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    res = extended_value_iteration(R, "l1", phat=P, radius=np.full(R.shape, 0.5),
                                   span_bound=2.0, eps=1e-6)
    assert res.V.max() - res.V.min() <= 2.0 + 1e-12
    assert res.w.max() - res.w.min() <= 2.0 + 1e-12


def test_evi_validation_names_argument():
    R = np.zeros((2, 1))
    with pytest.raises(ValueError, match="inner must be one of"):
        extended_value_iteration(R, "kl")
    with pytest.raises(ValueError, match="phat is required"):
        extended_value_iteration(R, "l1", radius=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="radius must have shape"):
        extended_value_iteration(R, "l1", phat=np.full((2, 1, 2), 0.5), radius=np.zeros(2))
    with pytest.raises(ValueError, match="span_bound must be positive"):
        extended_value_iteration(R, "l1", phat=np.full((2, 1, 2), 0.5),
                                 radius=np.zeros((2, 1)), span_bound=0.0)
    with pytest.raises(ValueError, match="tau must be in"):
        extended_value_iteration(R, "l1", phat=np.full((2, 1, 2), 0.5),
                                 radius=np.zeros((2, 1)), tau=0.0)


def test_average_facts_rejects_episodic():
    from theoryrl.envs import riverswim

    with pytest.raises(ValueError, match="mdp must be an average-reward model"):
        average_facts(riverswim(4, horizon=5))
