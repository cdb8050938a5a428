"""LOOP, UCRL2, UCRL2B and the average-reward step driver."""

import math

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

import theoryrl as trl
from theoryrl.agents import LOOP, UCRL2, UCRL2B
from theoryrl.agents import _average_kernels as AK
from theoryrl.agents import _loop_kernels as LK
from theoryrl.agents import _optimistic_q_kernels as QK
from theoryrl.agents.average import AverageAgent
from theoryrl.agents.loop import regret_bound, switch_bound
from theoryrl.agents.ucrl2 import episode_bound
from theoryrl.agents.ucrl2 import regret_bound as ucrl2_bound
from theoryrl.envs import riverswim
from theoryrl.envs.average import (
    random_linear_mixture_amdp,
    riverswim_average,
    two_state_gadget,
    wzg_hard_linear_mixture,
)
from theoryrl.experiment.average import run_one


def test_step_kernels_compiled():
    for k in (AK.fixed_segment, AK.count_segment, LK.loop_segment, QK.qlearn_segment):
        assert isinstance(k, CPUDispatcher)


@pytest.mark.parametrize("make", [
    lambda s: UCRL2(s), lambda s: UCRL2B(s), lambda s: LOOP(s, span_bound=2.5),
    lambda s: LOOP(s, span_bound=2.5, switching="det"),
    lambda s: LOOP(s, span_bound=2.5, confidence="l1", switching="count", reward="learned"),
])
def test_run_shapes_and_determinism(make):
    env = two_state_gadget()
    ag = make(env.spec)
    r1 = trl.run(ag, env, steps=2 ** 12, seeds=2)
    r2 = trl.run(ag, env, steps=2 ** 12, seeds=2)
    assert r1.regret.shape == (2, 13) and r1.x[-1] == 2 ** 12
    np.testing.assert_array_equal(r1.regret, r2.regret)
    assert np.all(np.diff(r1.regret, axis=1) >= -1e-6)   # advantage regret is monotone
    assert {"raw_regret", "switches", "policy_changes"} <= set(r1.extras)
    assert np.all(r1.extras["switches"] >= 1)


def test_n_jobs_invariance():
    env = two_state_gadget()
    ag = LOOP(env.spec, span_bound=2.5)
    a = trl.run(ag, env, steps=2 ** 10, seeds=2, n_jobs=1)
    b = trl.run(ag, env, steps=2 ** 10, seeds=2, n_jobs=2, backend="threading")
    np.testing.assert_array_equal(a.regret, b.regret)


def test_regret_identity_raw_vs_advantage():
    """Reg(T) - Reg^Delta(T) = M_T + h(s_{T+1}) - h(s_1): bounded by sp (1 + Azuma) [D]."""
    env = riverswim_average(6)
    f = trl.planning.average_facts(env)
    r = run_one(UCRL2(env.spec), env, 2 ** 12, np.random.SeedSequence(3), f)
    s, a = r["states"], r["actions"]
    P, R, h = np.asarray(env.P), np.asarray(env.R), f.bias
    M = np.sum((P @ h)[s[:-1], a] - h[s[1:]])
    adv = np.sum(f.gaps[s[:-1], a])
    raw = np.sum(f.gain - R[s[:-1], a])
    assert raw == pytest.approx(adv + M + h[s[-1]] - h[s[0]], abs=1e-7)


def test_count_rule_switch_bound_holds():
    env = riverswim_average(6)
    res = trl.run(UCRL2(env.spec), env, steps=2 ** 13, seeds=2)
    for j, t in enumerate(res.x):
        if t >= 12:
            assert np.all(res.extras["switches"][:, j] <= episode_bound(6, 2, int(t)))


def test_linear_mixture_runs_and_monitor():
    lm = wzg_hard_linear_mixture(d=3, delta_s=0.2, Delta=0.05, seed=0)
    ag = LOOP(lm.spec, model="linear_mixture", span_bound=3.0, features=lm.phi,
              theta_norm=float(np.linalg.norm(lm.theta)) + 1e-9)
    res = trl.run(ag, lm, steps=2 ** 11, seeds=2, monitor=True)
    assert res.extras["conf_violation"].sum() == 0
    rl = random_linear_mixture_amdp(4, 2, 3, seed=1)
    assert np.allclose(rl.P.sum(-1), 1)
    ag2 = LOOP(rl.spec, model="linear_mixture", span_bound=2.0, features=rl.phi,
               theta_norm=1.0)
    assert trl.run(ag2, rl, steps=2 ** 10, seeds=1).regret.shape == (1, 11)


def test_wzg_instance_is_valid_and_hard():
    lm = wzg_hard_linear_mixture(d=4, delta_s=0.2, Delta=0.06, seed=2)
    f = trl.envs.facts(lm)
    assert lm.P.shape == (2, 8, 2)
    np.testing.assert_allclose(f.gain, (0.2 + 0.06) / (0.4 + 0.06), rtol=1e-8)
    with pytest.raises(ValueError, match="Delta must satisfy"):
        wzg_hard_linear_mixture(d=4, delta_s=0.2, Delta=0.1)


def test_validation_errors_name_argument():
    spec = two_state_gadget().spec
    with pytest.raises(ValueError, match="span_bound must be positive"):
        LOOP(spec, span_bound=0.0)
    with pytest.raises(ValueError, match="delta must be in"):
        LOOP(spec, delta=1.5)
    with pytest.raises(ValueError, match="c_sw must be > 1"):
        LOOP(spec, c_sw=1.0)
    with pytest.raises(ValueError, match="switching must be"):
        LOOP(spec, switching="often")
    with pytest.raises(ValueError, match="features"):
        LOOP(spec, model="linear_mixture")
    with pytest.raises(ValueError, match="spec must describe an average-reward MDP"):
        UCRL2(riverswim(4, horizon=3).spec)
    with pytest.raises(ValueError, match="reward must be"):
        UCRL2(spec, reward="maybe")
    with pytest.raises(ValueError, match="n_actions must be"):
        two_state_gadget(n_actions=0)
    with pytest.raises(ValueError, match="steps= needs an average-reward mdp"):
        trl.run(UCRL2(spec), riverswim(4, gamma=0.9), steps=10)


class _BadAgent(AverageAgent):
    def reset(self, rng):
        pass

    def policy(self):
        return np.array([0, 5], dtype=np.int64)

    def update(self, seg):
        pass


def test_driver_rejects_bad_policy():
    env = two_state_gadget()
    with pytest.raises(ValueError, match=r"agent.policy\(\)\[1\] must be an action"):
        trl.run(_BadAgent(env.spec), env, steps=4)


def test_bounds_are_data():
    # sqrt(T) bounds double (up to logs) when T -> 4T; switch bounds are logarithmic
    b1 = regret_bound(4, 4, 2.0, 10 ** 4, 3.0, 0.05)
    b4 = regret_bound(4, 4, 2.0, 4 * 10 ** 4, 3.0, 0.05)
    assert 2.0 <= b4 / b1 <= 2.2
    assert ucrl2_bound(5, 5, 2, 4 * 10 ** 4, 0.05) > ucrl2_bound(5, 5, 2, 10 ** 4, 0.05)
    s1 = switch_bound("det", T=2 ** 10, d=4, L=1.0)
    s2 = switch_bound("det", T=2 ** 20, d=4, L=1.0)
    assert s2 < 2.5 * s1
    assert switch_bound("loop", logdet_gain=np.array([math.log(2.25) * 3])) == \
        pytest.approx(4.0)
    with pytest.raises(ValueError, match="rule must be"):
        switch_bound("weekly")


def test_optimistic_q_runs_and_matches_python_loop():
    from theoryrl.agents import OptimisticQ

    env = two_state_gadget()
    T = 2 ** 10
    ag = OptimisticQ(env.spec, steps=T, span_bound=2.5)
    r = run_one(ag, env, T, np.random.SeedSequence(5))
    # plain-python reference of the same update (Wei et al. 2020), same uniforms
    seq = np.random.SeedSequence(5)
    rng = np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(0,)))
    s = int(np.searchsorted(np.cumsum(env.init), rng.random(), side="right"))
    u = rng.random(T)
    P, R = np.asarray(env.P), np.asarray(env.R)
    H, c = float(ag.H), ag.bonus_scale
    Q, Qh, Vh, n = np.full((2, 2), H), np.full((2, 2), H), np.full(2, H), np.zeros((2, 2))
    for t in range(T):
        a = int(np.argmax(Qh[s]))
        assert a == r["actions"][t]
        s2 = int(np.searchsorted(np.cumsum(P[s, a]), u[t], side="right"))
        n[s, a] += 1
        al = (H + 1) / (H + n[s, a])
        Q[s, a] = (1 - al) * Q[s, a] + al * (R[s, a] + (1 - 1 / H) * Vh[s2]
                                            + c * np.sqrt(H / n[s, a]))
        Qh[s, a] = min(Qh[s, a], Q[s, a])
        Vh[s] = Qh[s].max()
        s = s2
