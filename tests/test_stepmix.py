"""Unit and property tests of StepMix / EpsMix (docs/theory/stepmix.md)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import theoryrl as trl
from theoryrl.agents import CUCBVI, UCBVI, BaselineOnly, BudgetConservative, DOPESwitch, Mixture
from theoryrl.agents import _stepmix_kernels as K
from theoryrl.agents.base import Trajectory
from theoryrl.agents.conservative import (
    cumulative_violations,
    regret_bound_budget,
    regret_bound_cucbvi,
    regret_bound_dope,
)
from theoryrl.agents.stepmix import (
    EpsMix,
    StepMix,
    conservative_episodes_order,
    constraint_violations,
    from_offline,
    offline_certificate,
    regret_bound_epsmix,
    regret_bound_stepmix,
    regret_order,
)
from theoryrl.envs import (
    collect_dataset,
    conservative_random_mdp,
    conservative_random_mdp_baseline,
    conservative_trap,
    conservative_trap_baseline,
    riverswim_safe,
    riverswim_safe_baseline,
)
from theoryrl.models import TabularMDP

SETTINGS = settings(derandomize=True, deadline=None, max_examples=30)


def _mdp(seed: int, S: int, A: int, H: int) -> TabularMDP:
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    P[rng.random((S, A, S)) < 0.3] = 0.0
    P[..., 0] += 1e-3
    P /= P.sum(-1, keepdims=True)
    return TabularMDP(P, rng.random((S, A)), horizon=H)


def _feed(agent, mdp, pi, n_episodes, rng):
    if n_episodes == 0:
        return
    st_, ac, _ = collect_dataset(mdp, pi, n_episodes, rng)
    for s, a in zip(st_, ac):
        agent._add(s, a)


def _on_event(agent, mdp) -> bool:
    n = agent._n
    Phat = agent._N / np.maximum(n, 1)[..., None]
    l1 = np.abs(Phat - mdp.P).sum(-1)
    return bool(np.all((n == 0) | (l1 <= agent._eps)))


def _pes_reference(agent, pi_f, sign=-1):
    """Slow NumPy twin of PES-EVAL / OPT-EVAL with the L1 width (docs/theory/stepmix.md)."""
    H, S, A = pi_f.shape
    R = agent._R[0]
    n = agent._n
    Phat = agent._N / np.maximum(n, 1)[..., None]
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        sp = V[h + 1].max() - V[h + 1].min()
        with np.errstate(invalid="ignore"):
            b = 0.5 * sp * np.where(n > 0, agent._eps, 0.0) * agent.bonus_scale
        pv = Phat @ V[h + 1]
        if sign < 0:
            Q = np.where(n > 0, R + np.maximum(0.0, pv - b), R)
        else:
            Q = np.where(n > 0, np.minimum(H - h, R + pv + b), H - h)
        V[h] = (pi_f[h] * Q).sum(-1)
    return V


@SETTINGS
@given(seed=st.integers(0, 10_000), S=st.integers(2, 4), A=st.integers(1, 3),
       H=st.integers(1, 4), n_ep=st.integers(0, 60), bern=st.booleans())
def test_pessimistic_value_below_true_value_on_event(seed, S, A, H, n_ep, bern):
    mdp = _mdp(seed, S, A, H)
    rng = np.random.default_rng(seed + 1)
    pib = rng.integers(0, A, size=(H, S))
    agent = EpsMix(mdp.spec, 100, baseline=pib, bonus="bernstein" if bern else "l1")
    agent.reset(rng)
    _feed(agent, mdp, rng.dirichlet(np.ones(A), size=(H, S)), n_ep, rng)
    pi = rng.dirichlet(np.ones(A), size=(H, S))
    lo = agent.evaluate_bound(pi, pessimistic=True)
    hi = agent.evaluate_bound(pi, pessimistic=False)
    true = np.vstack([mdp.evaluate(pi), np.zeros((1, S))])
    if not bern:
        np.testing.assert_allclose(lo, _pes_reference(agent, pi), rtol=0, atol=1e-12)
        np.testing.assert_allclose(hi, _pes_reference(agent, pi, +1), rtol=0, atol=1e-12)
    if _on_event(agent, mdp):  # Lemma 2.1 [D]
        assert np.all(lo <= true + 1e-10)
        assert np.all(hi >= true - 1e-10)


@SETTINGS
@given(seed=st.integers(0, 10_000), n_ep=st.integers(0, 80),
       alpha=st.sampled_from([0.05, 0.1, 0.3, 0.7]), order=st.sampled_from(
           ["baseline_first", "optimistic_first"]), select=st.sampled_from(["max_t", "max_ub"]))
def test_mixture_weight_keeps_certified_bound_above_threshold(seed, n_ep, alpha, order, select):
    mdp = _mdp(seed, 3, 2, 3)
    rng = np.random.default_rng(seed)
    pib = rng.integers(0, 2, size=(3, 3))
    Vb = mdp.initial_value(pib)
    thr = (1 - alpha) * Vb
    eps = EpsMix(mdp.spec, 100, baseline=pib, alpha=alpha, baseline_value=Vb)
    stp = StepMix(mdp.spec, 100, baseline=pib, alpha=alpha, baseline_value=Vb, order=order,
                  select=select)
    for ag in (eps, stp):
        ag.reset(np.random.default_rng(0))
        _feed(ag, mdp, pib, n_ep, np.random.default_rng(seed + 7))
        ag.policy()
        info = ag.info()
        assert info["lower_bound"] >= thr - 1e-12
    rho, L = eps.info()["rho"], eps.info()["pessimistic_value"]
    assert rho >= alpha * (1 - 1e-9)  # exploration floor (C5)
    if rho < 1:  # tight: the largest feasible weight (C4)
        assert rho * L + (1 - rho) * Vb == pytest.approx(thr, abs=1e-9)
    # the certified bound of the played policy is a bound of its exact value on the event
    if _on_event(stp, mdp):
        pol = stp.policy()
        assert mdp.initial_value(pol) >= stp.info()["lower_bound"] - 1e-10


@SETTINGS
@given(seed=st.integers(0, 10_000), t=st.floats(0, 3), order=st.sampled_from(
    ["baseline_first", "optimistic_first"]))
def test_lemma_4_1_value_affine_between_knots(seed, t, order):
    """C4 [D]: V^{mu(t)} = (1 - f) V^{mu(j)} + f V^{mu(j+1)} exactly."""
    mdp = _mdp(seed, 3, 3, 3)
    rng = np.random.default_rng(seed)
    pib = rng.integers(0, 3, size=(3, 3))
    ag = StepMix(mdp.spec, 10, baseline=pib, order=order)
    ag.reset(rng)
    ag._pik[:] = rng.integers(0, 3, size=(3, 3))
    pik_f = np.eye(3)[ag._pik]
    j = min(int(np.floor(t)), 2)
    f = t - j
    v = mdp.initial_value(ag._build(t, pik_f))
    vj = mdp.initial_value(ag._build(float(j), pik_f))
    vj1 = mdp.initial_value(ag._build(float(j + 1), pik_f))
    assert v == pytest.approx((1 - f) * vj + f * vj1, abs=1e-10)


def test_lemma_4_1_broken_shift_fails():
    """C4 negative control: shifting the mixing step by one breaks the affine identity."""
    mdp = _mdp(3, 3, 3, 3)
    rng = np.random.default_rng(0)
    ag = StepMix(mdp.spec, 10, baseline=rng.integers(0, 3, size=(3, 3)))
    ag.reset(rng)
    ag._pik[:] = rng.integers(0, 3, size=(3, 3))
    pik_f = np.eye(3)[ag._pik]
    mu = ag._build(0.5, pik_f)
    bad = mu.copy()
    bad[[1, 2]] = bad[[2, 1]]  # mixture moved to step H-2
    bad[2] = pik_f[2] * 0.0 + ag._pib_f[2]
    target = 0.5 * mdp.initial_value(ag._build(0.0, pik_f)) + 0.5 * mdp.initial_value(
        ag._build(1.0, pik_f))
    assert mdp.initial_value(mu) == pytest.approx(target, abs=1e-10)
    assert abs(mdp.initial_value(bad) - target) > 1e-6


def test_kernels_are_compiled():
    for fn in (K.refresh_widths, K.evaluate_bound, K.stepmix_knots):
        assert isinstance(fn, numba.core.registry.CPUDispatcher)
    mdp = conservative_random_mdp()
    ag = StepMix(mdp.spec, 10, baseline=conservative_random_mdp_baseline(mdp), alpha=0.1,
                 baseline_value=1.0)
    trl.run(ag, mdp, episodes=3, seeds=1)
    # Each kernel asserted on is called here, so the test does not depend on
    # which other tests compiled it first in the same worker.
    ag.reset(np.random.default_rng(0))
    ag.evaluate_bound(conservative_random_mdp_baseline(mdp))
    assert K.refresh_widths.signatures
    assert K.evaluate_bound.signatures and K.stepmix_knots.signatures


def test_envs_values():
    trap = conservative_trap()
    assert trap.optimal_value() == pytest.approx(3.2)  # 0.8 * 4, instance E3
    assert trap.initial_value(conservative_trap_baseline(trap)) == pytest.approx(2.5)
    q = conservative_random_mdp()
    assert q.initial_value(conservative_random_mdp_baseline(q, quality=1.0)) == pytest.approx(
        q.optimal_value())
    rs = riverswim_safe()
    assert rs.initial_value(riverswim_safe_baseline(rs)) == pytest.approx(20 * 5e-4)


def test_agents_constructible_as_cli():
    mdp = conservative_trap()
    pib = conservative_trap_baseline(mdp)
    for cls in (EpsMix, StepMix, CUCBVI, DOPESwitch, BudgetConservative, BaselineOnly):
        res = trl.run(cls(mdp.spec, episodes=20, baseline=pib), mdp, episodes=20, seeds=1)
        assert res.values.shape == (1, 20)
        # unknown V_b mode: every episode is still safe (the baseline is played first)
        assert not constraint_violations(res.values, 2.5, 0.1).any()


def test_epsmix_returns_mixture_and_driver_records_components():
    mdp = conservative_trap()
    pib = conservative_trap_baseline(mdp)
    ag = EpsMix(mdp.spec, 50, baseline=pib, alpha=0.1, baseline_value=2.5)
    ag.reset(np.random.default_rng(0))
    assert isinstance(ag.policy(), Mixture)
    res = trl.run(ag, mdp, episodes=50, seeds=2)
    assert "component_values" in res.extras
    rho = res.extras["rho"]
    exact = rho * res.extras["component_values"]  # consistency of the recorded mixture value
    assert np.all(res.values >= 0.9 * 2.5 - 1e-9)
    assert exact.shape == res.values.shape


def test_reduces_to_ucbvi_at_alpha_one():
    mdp = conservative_random_mdp()
    pib = conservative_random_mdp_baseline(mdp)
    ref = trl.run(UCBVI(mdp.spec, 200, 0.05, bonus="l1"), mdp, episodes=200, seeds=1)
    for cls in (EpsMix, StepMix):
        r = trl.run(cls(mdp.spec, 200, baseline=pib, alpha=1.0, baseline_value=1.0), mdp,
                    episodes=200, seeds=1)
        np.testing.assert_array_equal(r.regret, ref.regret)


def test_near_optimal_baseline_costs_nothing():
    """C9 [D]: Delta_b = 0 (baseline = pi*): EpsMix's regret <= UCBVI's + 3 sd."""
    mdp = conservative_random_mdp()
    pib = conservative_random_mdp_baseline(mdp, quality=1.0)
    K = 1000
    e = trl.run(EpsMix(mdp.spec, K, baseline=pib, alpha=0.1,
                       baseline_value=mdp.initial_value(pib)), mdp, episodes=K, seeds=4)
    u = trl.run(UCBVI(mdp.spec, K, 0.05, bonus="l1"), mdp, episodes=K, seeds=4)
    d = e.final_regret() - u.final_regret()
    assert d.mean() <= 3 * u.final_regret().std(ddof=1) + 1e-9


def test_offline_certification():
    mdp = conservative_random_mdp()
    pib = conservative_random_mdp_baseline(mdp)
    small = collect_dataset(mdp, pib, 50, np.random.default_rng(0))
    with pytest.raises(ValueError, match="dataset: offline dataset too small"):
        from_offline(mdp.spec, small, 0.1, 0.05, episodes=100)
    big = collect_dataset(mdp, pib, 20_000, np.random.default_rng(1))
    rep = offline_certificate(mdp.spec, big, 0.1, 0.05, 100)
    assert rep["certified"] and rep["U_beta"] >= mdp.initial_value(pib)
    ag = from_offline(mdp.spec, big, 0.1, 0.05, episodes=100, learner=StepMix)
    res = trl.run(ag, mdp, episodes=100, seeds=1)
    assert not constraint_violations(res.values, mdp.initial_value(pib), 0.1).any()


def test_cumulative_metric_and_baselines_safe_on_event():
    mdp = conservative_trap()
    pib = conservative_trap_baseline(mdp)
    for cls in (CUCBVI, BudgetConservative):
        res = trl.run(cls(mdp.spec, 200, baseline=pib, alpha=0.1, baseline_value=2.5), mdp,
                      episodes=200, seeds=2)
        assert not cumulative_violations(res.values, 2.5, 0.1).any()
    res = trl.run(DOPESwitch(mdp.spec, 200, baseline=pib, alpha=0.1, baseline_value=2.5), mdp,
                  episodes=200, seeds=2)
    assert not constraint_violations(res.values, 2.5, 0.1).any()


@pytest.mark.parametrize("kw, match", [
    (dict(alpha=0.0), r"alpha must be in \(0, 1\]"),
    (dict(alpha=1.5), r"alpha must be in \(0, 1\]"),
    (dict(delta=1.0), r"delta must be in \(0, 1\)"),
    (dict(baseline_value=-1.0), r"baseline_value must be >= 0"),
    (dict(baseline_value=9.0), r"baseline_value must be in \[0, H=3\]"),
    (dict(bonus="hoeffding"), r"bonus must be one of"),
    (dict(optimistic_bonus="x"), r"optimistic_bonus must be one of"),
    (dict(bonus_scale=-1.0), r"bonus_scale must be >= 0"),
    (dict(baseline=np.zeros((3, 2), dtype=int)), r"baseline \(deterministic\) must have shape"),
    (dict(baseline=np.full((3, 3), 5)), r"baseline\[0, 0\] must be an action"),
    (dict(baseline=None), r"baseline is required"),
])
def test_validation_names_the_argument(kw, match):
    mdp = conservative_random_mdp()
    args = dict(baseline=conservative_random_mdp_baseline(mdp))
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        EpsMix(mdp.spec, 10, **args)


def test_stepmix_validation():
    mdp = conservative_random_mdp()
    pib = conservative_random_mdp_baseline(mdp)
    with pytest.raises(ValueError, match="order must be"):
        StepMix(mdp.spec, 10, baseline=pib, order="middle")
    with pytest.raises(ValueError, match="select must be"):
        StepMix(mdp.spec, 10, baseline=pib, select="best")
    with pytest.raises(ValueError, match=r"dataset must hold states"):
        from_offline(mdp.spec, (np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((2, 3))))
    with pytest.raises(ValueError, match="n_episodes must be >= 1"):
        collect_dataset(mdp, pib, 0, np.random.default_rng(0))


def test_bound_functions_properties():
    args = (3, 2, 3)
    r1, r4 = regret_order(*args, 1000, 0.05), regret_order(*args, 4000, 0.05)
    assert 2.0 <= r4 / r1 <= 2.5  # sqrt(K) doubles, up to the log
    c = [conservative_episodes_order(*args, a, 1.4, 1.2, 0.05) for a in (0.05, 0.1, 0.2)]
    assert c[0] > c[1] > c[2] and 1.5 < c[0] / c[1] < 2.5  # ~ 1/alpha when kappa << Delta_b
    for f in (regret_bound_epsmix, regret_bound_stepmix, regret_bound_cucbvi,
              regret_bound_budget):
        assert f(*args, 4000, 0.05, 0.1, 1.4, 1.2) > f(*args, 1000, 0.05, 0.1, 1.4, 1.2)
    assert regret_bound_dope(*args, 4000, 0.05, 0.05, 1.4) > regret_bound_dope(
        *args, 4000, 0.05, 0.2, 1.4)
    with pytest.raises(ValueError, match="alpha must be in"):
        conservative_episodes_order(*args, 0.0, 1.4, 1.2, 0.05)


def test_update_sees_only_trajectory():
    mdp = conservative_trap()
    ag = EpsMix(mdp.spec, 10, baseline=conservative_trap_baseline(mdp), baseline_value=2.5)
    ag.reset(np.random.default_rng(0))
    ag.policy()
    ag.update(Trajectory(np.zeros(6, dtype=np.int64), np.zeros(5, dtype=np.int64), np.zeros(5),
                         0))
    assert ag._n[0, 0] == 5 and ag._nnz[0, 0] == 1
