"""Tests of UMT-PSR: families, agents, bounds, and every proof check's broken variant."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import proofs_checks.umt_psr as C
from proofs_checks import _harness as H
from theoryrl.agents.base import TaskBatch
from theoryrl.agents.umt_psr import (
    UMTPSR,
    DownstreamOMLE,
    IndependentPSR,
    benefit_ratio,
    beta_finite,
    downstream_bound,
    single_task_bound,
    upstream_bound,
)
from theoryrl.envs.pomdp_families import (
    SharedSpecificClass,
    control_family,
    core_mixture_family,
    random_task_rewards,
    sample_truth,
    shared_transition_family,
)
from theoryrl.experiment.pomdp_driver import run_pomdp
from theoryrl.models.pomdp import POMDP

SETTINGS = settings(derandomize=True, deadline=None, max_examples=10)


@pytest.fixture(scope="module")
def fam():
    c = shared_transition_family(1, 3)
    c.dmax()
    return c


# ----------------------------------------------------------- families
def test_family_sizes_and_brackets(fam):
    c = fam.with_tasks(4)
    assert c.size == 16 * 4 ** 4
    assert math.isclose(c.log_bracketing_number(0.01), math.log(16 * 4 ** 4))
    small = SharedSpecificClass(fam.P[:2, :2], 2, 3, 2, 3)
    br = small.brackets()
    assert len(br) == small.size == 2 * 2 ** 2  # one zero-width bracket per joint model
    for lo, hi in br:
        assert np.array_equal(lo, hi)


def test_family_dmax_matches_spec_grid(fam):
    D = fam.dmax()
    nz = D[D > 1e-12]
    assert abs(nz.min() - 0.047) < 1e-3          # smallest non-zero Dmax of the grid ~ 0.047
    assert abs(np.quantile(nz, 0.05) - 0.12) < 0.01
    np.testing.assert_allclose(D, D.T)


def test_core_mixture_family_is_a_valid_class():
    rng = np.random.default_rng(0)
    cores = [POMDP(rng.dirichlet(np.ones(2), size=(2, 2)), rng.dirichlet(np.ones(3), size=2),
                   horizon=2) for _ in range(3)]
    W = np.array([[1, 0], [0.5, 0.5], [0, 1]])
    c = core_mixture_family(cores, 2, W, N=5)
    assert c.m_T == 9 and c.m_E == 3 and c.size == 9 * 3 ** 5
    with pytest.raises(ValueError, match=r"weights\[1\] is not a distribution"):
        core_mixture_family(cores, 2, np.array([[1, 0], [0.5, 0.6]]), N=2)


def test_class_validation_names_index(fam):
    P = np.array(fam.P[:1, :2])
    P[0, 1, 0] += 0.1
    with pytest.raises(ValueError, match=r"P\[0, 1\] is not a trajectory law"):
        SharedSpecificClass(P, 2, 3, 2, 3)


# ------------------------------------------------------------- agents
def _instance(cls, seed):
    rng = np.random.default_rng(seed)
    t, e = sample_truth(cls, rng)
    return t, e, random_task_rewards(cls.N, cls.O, cls.A, cls.H, rng)


def test_umt_single_task_equals_independent(fam):
    """UMT-PSR with N = 1 is the single-task learner (same data, same decisions)."""
    c = fam.with_tasks(1)
    t, e, R = _instance(c, 3)
    r1 = run_pomdp(UMTPSR(c, R), c.P[t, e], R, np.random.default_rng(1))
    r2 = run_pomdp(IndependentPSR(c, R), c.P[t, e], R, np.random.default_rng(1))
    assert r1.samples_per_task[0] == r2.samples_per_task[0]
    assert r1.stopped and r2.stopped


def test_driver_is_seeded_and_records_exact_values(fam):
    c = fam.with_tasks(2)
    t, e, R = _instance(c, 4)
    a = run_pomdp(UMTPSR(c, R), c.P[t, e], R, np.random.default_rng(7))
    b = run_pomdp(UMTPSR(c, R), c.P[t, e], R, np.random.default_rng(7))
    assert a.samples_per_task.tolist() == b.samples_per_task.tolist()
    assert len(a.played_values) == a.iterations
    assert all(((v >= 0) & (v <= 1)).all() for v in a.played_values)
    assert (a.gaps >= -1e-12).all()


def test_projection_planning_never_below_exact_enumeration(fam):
    """The bound U used for stopping is >= the exact Delta_k."""
    c = fam.with_tasks(2)
    t, e, R = _instance(c, 5)
    rng = np.random.default_rng(0)
    ag_exact = UMTPSR(c, R, exact_cap=10**9)
    ag_bound = UMTPSR(c, R, exact_cap=0)
    for _ in range(15):
        tasks, pis = ag_exact.policy()
        idx = np.array([rng.choice(c.F, p=c.P[t, e[n]] * p) for n, p in zip(tasks, pis)])
        ag_exact.update(TaskBatch(tasks, idx))
        ag_bound.L[:] = ag_exact.L
        ag_bound._plan()
        assert ag_bound.delta_k >= ag_exact.delta_k - 1e-12
        if ag_exact.done:
            break


def test_agent_validation(fam):
    c = fam.with_tasks(2)
    R = np.zeros((2, c.F))
    with pytest.raises(ValueError, match=r"rewards must have shape \(N, F\) = \(2, 216\)"):
        UMTPSR(c, R[:1])
    R[1, 3] = 1.5
    with pytest.raises(ValueError, match=r"rewards\[1, 3\] must be in \[0, 1\]"):
        UMTPSR(c, R)
    with pytest.raises(ValueError, match=r"delta must be in \(0, 1\)"):
        UMTPSR(c, np.zeros((2, c.F)), delta=1.5)
    with pytest.raises(ValueError, match=r"criterion must be"):
        UMTPSR(c, np.zeros((2, c.F)), criterion="all")


def test_downstream_optimism_stops_with_small_gap(fam):
    c = fam.with_tasks(1)
    t, e, R = _instance(c, 6)
    ag = DownstreamOMLE(c.P[t].reshape(-1, c.F), R[0], 3, 2, 3, eps=0.02)
    run = run_pomdp(ag, c.P[t, e], R, np.random.default_rng(0))
    assert run.stopped and run.gaps[0] <= 0.02


# ------------------------------------------------------------- bounds
@SETTINGS
@given(st.integers(1, 50), st.floats(0.01, 0.5))
def test_bounds_shapes(N, eps):
    args = dict(r=2, d=3, QA=1, A=2, H=3, gamma=0.5, delta=0.1)
    b1 = upstream_bound(N, eps=eps, log_bracket=10.0, **args)
    assert b1 > 0
    # eps -> eps/2 quadruples the bound
    assert math.isclose(upstream_bound(N, eps=eps / 2, log_bracket=10.0, **args), 4 * b1)
    # per task: beta/N
    assert math.isclose(upstream_bound(N, eps=eps, log_bracket=10.0, per_task=False, **args),
                        N * b1)
    assert single_task_bound(N, eps=eps, log_bracket_single=5.0, **args) > 0
    assert downstream_bound(eps=eps, log_bracket_target=1.0, **args) < downstream_bound(
        eps=eps, log_bracket_target=5.0, **args)


def test_benefit_ratio_formula():
    # shared x specific, m_T=16, m_E=4: rho* values of the bracketing formula
    for N, want in ((1, 1.0), (2, 0.55), (4, 0.34), (8, 0.24)):
        got = benefit_ratio(math.log(16) + N * math.log(4), math.log(64), N, 0.1)
        assert abs(got - want) < 0.01
    assert beta_finite(math.log(10), 0.1) == pytest.approx(math.log(100))


# ----------------------------------------------- proof checks: broken variants
CH = {c.name: c for c in C.CHECKS}


def _run(name, **overrides):
    return H.run_check("umt_psr", CH[name], "quick", overrides=overrides)


def test_check_model_exact_broken():
    assert _run("model_exact", n_models=6).verdict == "pass"
    assert _run("model_exact", n_models=6, model_cls=C.TransposedPOMDP).verdict == "fail"


def test_check_planning_exact_broken():
    r = _run("planning_exact", n_instances=1, planner=C.swapped_maxsum)
    assert r.verdict == "fail"


def test_check_ville_broken_half_beta():
    assert _run("ville_tight").verdict == "pass"
    assert _run("ville_tight", radius_scale=0.5).verdict == "fail"


def test_check_coverage_joint_broken_radius_zero():
    r = _run("coverage_joint", N=(2,), seeds=6, joint=C.ZeroRadiusUMTPSR)
    assert r.verdict == "fail"


def test_check_coverage_independent_broken_radius_zero():
    # its own variant: only the independent learners lose their radius
    r = _run("coverage_independent", N=(2,), seeds=6, independent=C.ZeroRadiusIndependent)
    assert r.verdict == "fail"
    ok = _run("coverage_joint", N=(2,), seeds=6, independent=C.ZeroRadiusIndependent)
    assert ok.details["stats"]["covered"][0] == 6  # the joint arm is untouched


def test_check_benefit_broken_independent_posing_as_joint():
    r = _run("benefit_tracks_bracketing", N=(2,), seeds=4, joint=IndependentPSR)
    assert r.verdict == "fail"


def test_check_control_broken_by_a_joint_learner_without_radius():
    # the algorithm changes (radius 0 for the joint set), the instance does not: the
    # joint learner stops at once and shows a 'saving' that sharing cannot give
    r = _run("control_no_benefit", seeds=4, joint=C.ZeroRadiusUMTPSR)
    assert r.verdict == "fail" and r.measured < 1


def test_check_eps_optimal_broken_no_certificate():
    r = _run("eps_optimal_average", seeds=8, agent=C.OneIterationUMTPSR)
    assert r.verdict == "fail"


def test_check_beta_linear_broken_size_blind_radius():
    r = _run("samples_linear_in_beta", seeds=6, agent=C.SizeBlindPSR)
    assert r.verdict == "fail"


def test_check_downstream_broken_without_transfer():
    r = _run("downstream_benefit", seeds=5, agent=C.NoTransferUMTPSR)
    assert r.verdict == "fail"


def test_control_family_has_hard_emissions():
    c = control_family(1)
    D = c.dmax().reshape(16, 4, 16, 4)
    # distinct emissions (same t) are closer than distinct transitions (same e)
    same_t = D[0, :, 0, :][~np.eye(4, dtype=bool)].min()
    assert same_t < 0.1
