"""The compiled UMT-PSR loops repeat the step-wise agents bit for bit.

``run_pomdp`` hands a whole run to an agent's compiled loop when it has one;
the step-wise reference here is the same agent class with that loop removed
(``_compiled_run = None``), driven play by play through ``policy``/``update``.
"""

from __future__ import annotations

import numpy as np
import pytest

from theoryrl.agents import _umt_psr_kernels as K
from theoryrl.agents.umt_psr import UMTPSR, ContainsTruth, IndependentPSR
from theoryrl.envs.pomdp_families import (
    E_EASY,
    random_task_rewards,
    sample_truth,
    shared_transition_family,
    two_state_grid,
)
from theoryrl.experiment.pomdp_driver import run_pomdp
from theoryrl.models.pomdp import POMDP
from theoryrl.models.shared_specific import SharedSpecificClass


class StepUMTPSR(UMTPSR):
    _compiled_run = None


class StepIndependentPSR(IndependentPSR):
    _compiled_run = None


STEP = {UMTPSR: StepUMTPSR, IndependentPSR: StepIndependentPSR}


@pytest.fixture(scope="module")
def fam():
    c = shared_transition_family(1, 3)
    c.dmax()
    return c


def _instance(cls, seed):
    rng = np.random.default_rng(seed)
    t, e = sample_truth(cls, rng)
    return t, e, random_task_rewards(cls.N, cls.O, cls.A, cls.H, rng)


def _same_run(a, b, ra, rb):
    assert ra.iterations == rb.iterations
    assert ra.covered == rb.covered and ra.stopped == rb.stopped
    assert np.array_equal(ra.samples_per_task, rb.samples_per_task)
    assert np.array_equal(ra.output_models, rb.output_models)
    assert np.array_equal(ra.output_values, rb.output_values)
    assert len(ra.played_values) == len(rb.played_values)
    assert all(np.array_equal(x, y) for x, y in zip(ra.played_values, rb.played_values))
    assert ra.info.keys() == rb.info.keys()
    for k in ra.info:
        assert np.array_equal(ra.info[k], rb.info[k]), k
    assert np.array_equal(a.L, b.L)
    assert a.done == b.done and a.censored == b.censored


def _both(agent_cls, cls, R, t, e, seed, truth=True, record_values=False, **kw):
    out = []
    for k in (agent_cls, STEP[agent_cls]):
        ag = k(cls, R, **kw)
        rng = np.random.default_rng(seed)
        run = run_pomdp(ag, cls.P[t, e], R, rng, truth=ContainsTruth(t, e) if truth else None,
                        record_values=record_values)
        out.append((ag, run, rng.random()))
    (a, ra, ua), (b, rb, ub) = out
    _same_run(a, b, ra, rb)
    assert ua == ub  # the generator is left right after the uniforms used
    return a, b, ra


@pytest.mark.parametrize("N, kw", [(1, {}), (3, {}), (8, {}), (3, {"criterion": "max"}),
                                   (8, {"criterion": "max"}), (1, {"beta": 0.0}),
                                   (3, {"beta": 0.0}), (3, {"K_max": 7})])
def test_pairwise_umtpsr_compiled_equals_stepwise(fam, N, kw):
    cls = fam.with_tasks(N)
    t, e, R = _instance(cls, N)
    a, b, run = _both(UMTPSR, cls, R, t, e, seed=N + 100, **kw)
    assert run.iterations > 0
    assert a.k == b.k and a.delta_k == b.delta_k and a.history == b.history
    assert all(np.array_equal(x, y) for x, y in zip(a._pair, b._pair))
    if "K_max" in kw:
        assert a.censored and a.k == 7


@pytest.mark.parametrize("N", [1, 3, 8])
def test_independent_compiled_equals_stepwise(fam, N):
    cls = fam.with_tasks(N)
    t, e, R = _instance(cls, N + 10)
    a, b, run = _both(IndependentPSR, cls, R, t, e, seed=N + 200)
    assert run.iterations > 0
    for k in ("iters", "active", "delta_n", "_pairs"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k


@pytest.mark.parametrize("agent_cls", [UMTPSR, IndependentPSR])
def test_compiled_played_values_and_no_truth(fam, agent_cls):
    cls = fam.with_tasks(2)
    t, e, R = _instance(cls, 3)
    _, _, run = _both(agent_cls, cls, R, t, e, seed=4, truth=False, record_values=True,
                      eps=0.2)
    assert run.covered is None and len(run.played_values) == run.iterations > 0


def test_compiled_loops_at_long_horizon():
    # H = 8: sums of eight or more terms, where NumPy's pairwise and strided orders differ
    rng = np.random.default_rng(5)
    H, O, A, S = 8, 2, 1, 2
    Ts = [rng.dirichlet(np.ones(S), size=(A, S)) for _ in range(3)]
    Es = [rng.dirichlet(np.full(O, 3.0), size=S) for _ in range(2)]
    P = np.array([[POMDP(T, E, horizon=H, mu=np.array([.7, .3])).traj_probs().ravel()
                   for E in Es] for T in Ts])
    cls = SharedSpecificClass(P, 9, O, A, H)
    R = rng.random((9, cls.F))
    t, e = sample_truth(cls, rng)
    for agent_cls in (UMTPSR, IndependentPSR):
        _, _, run = _both(agent_cls, cls, R, t, e, seed=1, eps=0.01, K_max=60)
        assert run.iterations == 60


@pytest.mark.parametrize("N, kw", [(1, {}), (2, {}), (2, {"criterion": "max"}),
                                   (3, {"K_max": 40})])
def test_ucb_tv_compiled_equals_stepwise(N, kw):
    grid = two_state_grid([0.2, 0.35])[[0, 3, 12, 15]]
    cls = shared_transition_family(N, 2, T_grid=grid, emissions=E_EASY[:2])
    t, e, R = _instance(cls, 7 + N)
    out = []
    for k in (UMTPSR, StepUMTPSR):
        ag = k(cls, R, eps=0.6, planner="ucb_tv", **kw)
        seen = []

        def record(a, seen=seen):  # the agent's state after every iteration
            seen.append((a.k, a.delta_k, a.bonus_values.copy(), a.output_models()))
            return True

        rng = np.random.default_rng(N)
        run = run_pomdp(ag, cls.P[t, e], R, rng, truth=record, record_values=N == 2)
        out.append((ag, run, seen, rng.random()))
    (a, ra, sa, ua), (b, rb, sb, ub) = out
    _same_run(a, b, ra, rb)
    assert ua == ub and ra.iterations > 0 and len(sa) == len(sb) == ra.iterations + 1
    for x, y in zip(sa, sb):
        assert x[:2] == y[:2] and np.array_equal(x[2], y[2]) and np.array_equal(x[3], y[3])
    assert a.history == b.history and np.array_equal(a.min_logged, b.min_logged)
    assert all(np.array_equal(x, y) for x, y in zip(a.counts, b.counts))
    assert all(np.array_equal(x, y) for x, y in zip(a._ucb_plan.tables, b._ucb_plan.tables))


def test_stable_mle_kernel_is_the_numpy_rule():
    rng = np.random.default_rng(0)
    for _ in range(200):
        N, mT, mE = (int(x) for x in rng.integers(1, 5, 3))
        L = np.round(rng.normal(size=(N, mT, mE)), 1)  # ties
        L[rng.random(L.shape) < 0.2] = -np.inf
        ml = rng.random((N, mT * mE))
        p_min = float(rng.choice([0.0, 0.3, 0.9, 2.0]))
        ok = (ml >= p_min).reshape(N, mT, mE)
        Lc = np.where(ok, L, -np.inf)
        lam = Lc.max(axis=2).sum(0)
        if not np.isfinite(lam).any():
            Lc, lam = L, L.max(axis=2).sum(0)
        t = int(np.argmax(lam))
        want = t * mE + np.argmax(Lc[:, t, :], axis=1)
        got = np.empty(N, dtype=np.int64)
        K._stable_mle(L, ml, p_min, N, mT, mE, np.empty((N, mT, mE)), np.empty((N, mT)),
                      np.empty(mT), got)
        assert np.array_equal(got, want)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 16, 17, 128, 129, 200, 1000, 4099])
def test_pairwise_sum_is_numpys(n):
    rng = np.random.default_rng(n)
    a = rng.normal(size=3 * n) * 10.0 ** rng.integers(-6, 6, 3 * n)
    assert K._np_sum(a, 0, n, 1) == np.sum(a[:n])
    if n:
        assert K._np_sum(a, 1, n, 3) == np.sum(a[1::3].copy())


def test_overridden_steps_and_other_truths_run_stepwise(fam):
    cls = fam.with_tasks(2)
    t, e, R = _instance(cls, 1)
    ag = UMTPSR(cls, R)
    rng = np.random.default_rng(0)
    laws = type("L", (), {"P": cls.P[t, e], "R": R})
    assert ag._compiled_run(laws, rng, 10, lambda a: True, True, False) is None
    assert ag._compiled_run(laws, rng, 10, None, None, False) is not None

    class Greedy(UMTPSR):
        def _plan(self):
            super()._plan()

    g = Greedy(cls, R)
    assert g._compiled_run(laws, rng, 10, None, None, False) is None
    # a callable truth other than ContainsTruth: the step-wise loop evaluates it
    seen = []
    run = run_pomdp(UMTPSR(cls, R, eps=0.2), cls.P[t, e], R, np.random.default_rng(0),
                    truth=lambda a: seen.append(a.k) or True)
    assert seen == list(range(run.iterations + 1))


def test_contains_truth_validates_and_calls_contains(fam):
    cls = fam.with_tasks(2)
    ag = UMTPSR(cls, np.zeros((2, cls.F)))
    assert ContainsTruth(3, [1, 2])(ag) == ag.contains(3, np.array([1, 2]))
    with pytest.raises(ValueError, match="e must be"):
        ContainsTruth(0, [0.5, 1])
    with pytest.raises(ValueError, match="t"):
        ContainsTruth(-1, [0, 1])
