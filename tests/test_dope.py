"""DOPE's occupancy-measure LP against exact occupancy and value computations."""

import itertools

import numpy as np
import pytest

import theoryrl as trl
from theoryrl.agents.dope import DOPE, occupancy_measure, solve_occupancy_lp
from theoryrl.agents.stepmix import constraint_violations
from theoryrl.envs import (
    conservative_random_mdp,
    conservative_random_mdp_baseline,
    conservative_trap,
    conservative_trap_baseline,
    random_mdp,
)


def _values(kernel, policy, R):
    """Exact V_1 of a Markov policy (H, S, A) in a step-dependent kernel (H, S, A, S)."""
    H, S, A, _ = kernel.shape
    V = np.zeros(S)
    for h in range(H - 1, -1, -1):
        V = (policy[h] * (R[h] + kernel[h] @ V)).sum(-1)
    return V


def _instance(seed, S=3, A=2, H=3):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.random((H, S, A))
    mu = rng.dirichlet(np.ones(S))
    return rng, P, R, mu


@pytest.mark.parametrize("seed", range(4))
def test_lp_solution_is_the_exact_occupancy_of_its_policy_and_kernel(seed):
    rng, P, R, mu = _instance(seed)
    H, S, A = R.shape
    eps = rng.uniform(0.05, 0.6, size=(S, A))
    beta = rng.uniform(0, 0.3, size=(H, S, A))
    sol = solve_occupancy_lp(P, eps, mu, R + beta, R - beta, threshold=-np.inf)
    assert sol.feasible
    pi, K = sol.policy(), sol.kernel(P)
    q = occupancy_measure(K, pi, mu)
    assert np.abs(q - sol.q).max() < 1e-7
    # the kernel lies in the L1 set wherever the policy reaches
    reach = sol.q.sum(-1) > 1e-9
    dist = np.abs(K - P[None]).sum(-1)
    assert np.all(dist[reach] <= np.broadcast_to(eps, dist.shape)[reach] + 1e-6)
    assert sol.value == pytest.approx(_values(K, pi, R + beta) @ mu, abs=1e-7)
    assert sol.constraint == pytest.approx(_values(K, pi, R - beta) @ mu, abs=1e-7)


@pytest.mark.parametrize("seed", range(3))
def test_point_confidence_set_gives_the_optimal_value(seed):
    _, P, R, mu = _instance(seed)
    H, S, A = R.shape
    sol = solve_occupancy_lp(P, np.zeros((S, A)), mu, R, R, threshold=-np.inf)
    V = np.zeros(S)
    for h in range(H - 1, -1, -1):
        V = (R[h] + P @ V).max(-1)
    assert sol.value == pytest.approx(mu @ V, abs=1e-8)


@pytest.mark.parametrize("seed", range(3))
def test_constrained_lp_matches_enumeration_of_deterministic_policies(seed):
    # a CMDP optimum mixes at most one extra policy, so the LP value lies between
    # the best feasible deterministic policy and the unconstrained optimum, and
    # equals the exact value of the (randomised) policy it returns
    _, P, R, mu = _instance(seed, S=2, A=2, H=3)
    H, S, A = R.shape
    G = np.random.default_rng(100 + seed).random((H, S, A))  # constraint reward
    K = np.broadcast_to(P, (H, S, A, S))
    vals = []
    for acts in itertools.product(range(A), repeat=H * S):
        pi = np.eye(A)[np.array(acts).reshape(H, S)]
        vals.append((mu @ _values(K, pi, R), mu @ _values(K, pi, G)))
    vals = np.array(vals)
    thr = float(np.median(vals[:, 1]))
    sol = solve_occupancy_lp(P, np.zeros((S, A)), mu, R, G, threshold=thr)
    best_feasible = vals[vals[:, 1] >= thr, 0].max()
    assert best_feasible - 1e-8 <= sol.value <= vals[:, 0].max() + 1e-8
    pi = sol.policy()
    assert mu @ _values(K, pi, R) == pytest.approx(sol.value, abs=1e-7)
    assert mu @ _values(K, pi, G) >= thr - 1e-7


def test_infeasible_program_is_reported():
    _, P, R, mu = _instance(0)
    S, A = P.shape[:2]
    sol = solve_occupancy_lp(P, np.zeros((S, A)), mu, R, R, threshold=R.shape[0] + 1.0)
    assert not sol.feasible


def test_solver_validates_shapes():
    _, P, R, mu = _instance(0)
    with pytest.raises(ValueError, match="P_hat"):
        solve_occupancy_lp(P[:, :1], np.zeros((3, 2)), mu, R, R, 0.0)


@pytest.mark.parametrize("make,base", [(conservative_trap, conservative_trap_baseline),
                                       (conservative_random_mdp,
                                        conservative_random_mdp_baseline)])
def test_dope_is_safe_and_its_lower_bounds_are_valid(make, base):
    mdp = make()
    pib = base(mdp)
    Vb = mdp.initial_value(pib)
    K = 120
    res = trl.run(DOPE(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb), mdp,
                  episodes=K, seeds=[0], progress=False)
    assert not constraint_violations(res.values, Vb, 0.1).any()
    assert np.all(res.extras["lower_bound"] <= res.values + 1e-9)


def test_dope_leaves_the_baseline_when_the_bonus_vanishes():
    # with widths scaled to 0 the LP is the CMDP of the empirical model: DOPE plays
    # LP policies from the first episodes
    mdp = random_mdp(3, 2, horizon=3, seed=1)
    pib = np.zeros((3, 3), dtype=np.int64)
    ag = DOPE(mdp.spec, 50, baseline=pib, alpha=0.5, baseline_value=mdp.initial_value(pib),
              bonus_scale=0.0)
    res = trl.run(ag, mdp, episodes=50, seeds=[0], progress=False)
    assert res.extras["conservative"][0].mean() < 0.5


def test_dope_rejects_a_bernstein_width():
    mdp = conservative_trap()
    with pytest.raises(ValueError, match="bonus"):
        DOPE(mdp.spec, 10, baseline=conservative_trap_baseline(mdp), bonus="bernstein")
