"""HF-UCRL-RFE++: kernels, algebra (PC-ALG), certificate, planning, validation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba.core.registry import CPUDispatcher

from proofs_checks.reward_free import explore, make_instance, reward_family, suboptimality
from theoryrl.agents import _reward_free_kernels as K
from theoryrl.agents.reward_free import (
    HFUCRLRFEpp,
    n_levels,
    practical_radius,
    sample_complexity_bound,
    sample_complexity_lower_bound,
    theory_radius,
    upper_bound,
)
from theoryrl.agents.rf_baselines import (
    RFUCRL,
    UCRLRFE,
    RFExpress,
    rf_express_sample_complexity,
    ucrl_rfe_sample_complexity,
)
from theoryrl.envs import random_mdp
from theoryrl.envs.linear_mixture import hard_linear_mixture, random_linear_mixture
from theoryrl.experiment import EpisodeSimulator

SET = settings(derandomize=True, deadline=None, max_examples=30)


def test_kernels_are_compiled():
    for f in (K.phi_v, K.quad, K.sherman_morrison, K.home, K.select, K.select_gram,
              K.precompute_gram, K.update, K.estimators, K.max_coverage_ratio, K.explore,
              K.distinct_actions):
        assert isinstance(f, CPUDispatcher)


@SET
@given(d=st.integers(1, 6), seed=st.integers(0, 10_000), w=st.floats(1e-3, 1e3))
def test_sherman_morrison_equals_direct_inverse(d, seed, w):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(d, d))
    A = X @ X.T + 0.5 * np.eye(d)
    x = rng.normal(size=d)
    Ainv = np.linalg.inv(A)
    K.sherman_morrison(Ainv, x, w, np.zeros(d))
    direct = np.linalg.inv(A + w * np.outer(x, x))
    assert np.abs(Ainv - direct).max() <= 1e-8 * np.linalg.cond(A + w * np.outer(x, x))


@SET
@given(seed=st.integers(0, 10_000), M=st.integers(2, 6), d=st.integers(1, 5))
def test_home_formulas(seed, M, d):
    rng = np.random.default_rng(seed)
    phis = rng.normal(size=(M, d)) * 0.3
    th = rng.normal(size=(M, d))
    X = rng.normal(size=(M, d, d))
    Sinv = np.ascontiguousarray(np.linalg.inv(X @ X.transpose(0, 2, 1) + np.eye(d)))
    Srun = np.ascontiguousarray(Sinv * 0.5)
    alpha, gamma, beta = 0.3, d ** -0.25, 1.7
    sig2, vbar, E = np.zeros(M), np.zeros(M), np.zeros(M)
    K.home(phis, th, Sinv, Srun, beta, alpha, gamma, True, sig2, vbar, E)
    nrm = np.sqrt(np.einsum("mi,mij,mj->m", phis, Srun, phis))
    assert (sig2 >= np.maximum(alpha ** 2, gamma ** 2 * nrm) - 1e-15).all()
    assert sig2[-1] >= 1.0
    p = np.clip(np.einsum("mi,mi->m", phis, th), 0, 1)
    np.testing.assert_allclose(vbar[:-1], p[1:] - p[:-1] ** 2)  # second term squared (P5)
    e = np.sqrt(np.einsum("mi,mij,mj->m", phis, Sinv, phis))
    np.testing.assert_allclose(E[:-1], np.minimum(1, 2 * beta * e[:-1])
                               + np.minimum(1, beta * e[1:]))


@SET
@given(seed=st.integers(0, 1000))
def test_home_exact_variance_when_theta_is_true(seed):
    # with theta_m = theta* and E = 0, Vbar_m is the exact variance of V^{2^m}
    inst = random_linear_mixture(4, 2, 3, 4, seed=seed)
    rng = np.random.default_rng(seed)
    V = rng.random(4)
    M, d = 3, 3
    phis = np.array([inst.mdp.phi_V(V ** (2 ** m))[1, 0] for m in range(M)])
    th = np.tile(np.asarray(inst.theta), (M, 1))
    Sinv = np.tile(np.eye(d), (M, 1, 1))
    sig2, vbar, E = np.zeros(M), np.zeros(M), np.zeros(M)
    K.home(phis, th, Sinv, Sinv, 1.0, 0.1, 0.5, False, sig2, vbar, E)
    P = np.asarray(inst.mdp.P)[1, 0]
    for m in range(M - 1):
        W = V ** (2 ** m)
        assert np.isclose(vbar[m], P @ W ** 2 - (P @ W) ** 2)


def _run(inst, K_, seed=0, **kw):
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, K_, **kw)
    explore(ag, inst, K_, seed)
    return ag


def test_select_forms_agree_and_are_deterministic():
    inst = hard_linear_mixture(3, 6, 0.05, seed=1)
    a = _run(inst, 60, select_form="features")
    b = _run(inst, 60, select_form="gram")
    c = _run(inst, 60, select_form="gram")
    np.testing.assert_allclose(a._th, b._th, rtol=1e-9, atol=1e-12)  # round-off only
    assert np.array_equal(b._th, c._th)  # same seed, same numbers


_STATE = ("_th", "_Sdot_inv", "_Srun_inv", "_G", "_Gdot", "_b", "_pi", "_V", "_rec", "_rec_phi")


def _loop(ag, sim, n, rng, theta):
    """The per-episode reference: policy, info, sample, coverage, update."""
    v, worst = np.empty(n), -np.inf
    for i in range(n):
        pi = ag.policy()
        v[i] = ag.info()["vhat"]
        traj = sim.sample(pi, rng)
        worst = max(worst, float(ag.coverage_ratios(theta).max()))
        ag.update(traj)
    return v, worst


class _NoBar(HFUCRLRFEpp):
    _home_error_bar = False


@pytest.mark.parametrize("desc, kw, cls", [
    (("hard", 3, 4, 0.05), dict(reinvert_every=7), HFUCRLRFEpp),
    (("hard", 4, 5, 0.03), dict(anytime=True, c_beta=0.3, reinvert_every=11), HFUCRLRFEpp),
    (("random", 5, 3, 4, 6), dict(select_form="features", beta_mode="theory"), HFUCRLRFEpp),
    (("random", 3, 2, 3, 4), dict(M=3, select_form="gram"), _NoBar),
])
def test_compiled_explore_is_the_per_episode_loop_bit_for_bit(desc, kw, cls):
    inst = make_instance(desc, seed=3)
    sim = EpisodeSimulator(inst.mdp.to_tabular())
    a = cls(inst.mdp.spec, inst.phi, inst.B, 40, **kw)
    b = cls(inst.mdp.spec, inst.phi, inst.B, 40, **kw)
    a.reset(np.random.default_rng(5))
    b.reset(np.random.default_rng(5))
    ra, rb = np.random.default_rng(9), np.random.default_rng(9)
    va, wa = _loop(a, sim, 33, ra, inst.theta)
    # two calls (the second starts mid re-inversion period) = one loop
    vb1, wb1 = b.explore(inst.mdp.to_tabular(), 12, rb, theta_star=inst.theta)
    vb2, wb2 = b.explore(sim, 21, rb, theta_star=inst.theta)
    assert np.array_equal(va, np.concatenate([vb1, vb2]))
    assert wa == max(wb1, wb2)
    assert a.episode == b.episode == 34
    for name in _STATE:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert ra.random() == rb.random()  # the same uniforms were drawn
    assert np.array_equal(a.policy(), b.policy()) and a.info() == b.info()
    assert a.certificate() == b.certificate()


def test_explore_runs_an_overridden_update_per_episode():
    class Counting(HFUCRLRFEpp):
        calls = 0

        def update(self, traj):
            Counting.calls += 1
            super().update(traj)

    inst = hard_linear_mixture(3, 4, 0.05)
    ag = Counting(inst.mdp.spec, inst.phi, inst.B, 20)
    ag.reset(np.random.default_rng(0))
    v, worst = ag.explore(inst.mdp.to_tabular(), 9, np.random.default_rng(1))
    assert Counting.calls == 9 and v.shape == (9,) and math.isnan(worst)
    ref = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, 20)
    ref.reset(np.random.default_rng(0))
    assert np.array_equal(ref.explore(inst.mdp.to_tabular(), 9, np.random.default_rng(1))[0], v)


def test_explore_validation_names_the_argument():
    inst = hard_linear_mixture(3, 4, 0.05)
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, 20)
    ag.reset(np.random.default_rng(0))
    env = inst.mdp.to_tabular()
    with pytest.raises(ValueError, match="episodes"):
        ag.explore(env, -1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="theta_star"):
        ag.explore(env, 2, np.random.default_rng(0), theta_star=np.zeros(2))
    with pytest.raises(ValueError, match="env must have"):
        ag.explore(hard_linear_mixture(3, 5, 0.05).mdp.to_tabular(), 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        ag.explore(env, 2, 0)
    assert ag.explore(env, 0, np.random.default_rng(0))[0].shape == (0,)


@SET
@given(seed=st.integers(0, 10_000), M=st.integers(1, 4), d=st.integers(1, 11))
def test_estimators_are_sigma_inverse_times_b(seed, M, d):
    rng = np.random.default_rng(seed)
    Sinv, b = rng.normal(size=(2, M, d, d)), rng.normal(size=(2, M, d))
    th = np.zeros((2, M, d))
    K.estimators(Sinv, b, th)
    np.testing.assert_allclose(th, np.einsum("cmij,cmj->cmi", Sinv, b), rtol=1e-12, atol=1e-12)


def test_selection_skipping_duplicate_actions_changes_nothing():
    # the hard instance: at its two absorbing states every action has the same features
    inst = hard_linear_mixture(4, 5, 0.05, seed=2)
    ag = _run(inst, 30, c_beta=0.3)
    S, A = ag.spec.n_states, ag.spec.n_actions
    acts, n = np.zeros((S, A), dtype=np.int64), np.zeros(S, dtype=np.int64)
    K.distinct_actions(ag._phi, acts, n)
    assert n.tolist() == [A, 1, 1] and (acts[0] == np.arange(A)).all()
    everything = (np.tile(np.arange(A), (S, 1)), np.full(S, A))
    th0, Sd0 = np.ascontiguousarray(ag._th[:, 0]), np.ascontiguousarray(ag._Sdot_inv[:, 0])
    outs = []
    for a_, n_ in ((acts, n), everything):
        Km, pm = np.zeros((2, S, A, S, S)), np.zeros((2, S, A, S))
        K.precompute_gram(ag._phi, th0, Sd0, Km, pm, np.zeros((S, ag.d)), a_, n_)
        pi, V = np.zeros((5, S), dtype=np.int64), np.zeros((2, 6, S))
        c = K.select_gram(Km, pm, ag.s1, 0.7, ag._Rc, pi.copy(), V[0].copy(), V[1].copy(), pi,
                          V, a_, n_)
        outs.append((c, pi, V))
    assert outs[0][0] == outs[1][0]
    assert np.array_equal(outs[0][1], outs[1][1]) and np.array_equal(outs[0][2], outs[1][2])


def _select_gram_reference(Km, pm, s1, beta, Rc):
    """Candidate by candidate, action by action, in plain Python floats."""
    C, H, S, A = Rc.shape
    best, out = -math.inf, None
    for c in range(C):
        Vh, Vt = [[0.0] * S for _ in range(H + 1)], [[0.0] * S for _ in range(H + 1)]
        pi, raw0 = [[0] * S for _ in range(H)], 0.0
        for h in range(H - 1, -1, -1):
            vt, vh = Vt[h + 1], Vh[h + 1]
            for s in range(S):
                bs, ba = -math.inf, 0
                for a in range(A):
                    qt = qh = mh = 0.0
                    for t in range(S):
                        rt = rh = 0.0
                        for u in range(S):
                            rt += float(Km[1, s, a, t, u]) * vt[u]
                            rh += float(Km[0, s, a, t, u]) * vh[u]
                        qt += vt[t] * rt
                        qh += vh[t] * rh
                        mh += float(pm[0, s, a, t]) * vh[t]
                    sc = (min(1.0, beta * math.sqrt(max(qt, 0.0))) + 3.0 * beta
                          * math.sqrt(max(qh, 0.0)) + mh)
                    if sc > bs:
                        bs, ba = sc, a
                pi[h][s], Vh[h][s] = ba, min(max(bs, 0.0), 1.0)
                acc = 0.0
                for t in range(S):
                    acc += float(pm[1, s, ba, t]) * vt[t]
                Vt[h][s] = min(max(float(Rc[c, h, s, ba]) + acc, 0.0), 1.0)
                if h == 0 and s == s1:
                    raw0 = bs
        if raw0 > best:
            best, out = raw0, (c, np.array(pi), np.array([Vh, Vt]))
    return out


@pytest.mark.parametrize("desc", [("hard", 3, 4, 0.05), ("random", 4, 2, 3, 3),
                                  ("random", 3, 3, 2, 3)])
def test_select_gram_is_the_sequential_selection_bit_for_bit(desc):
    inst = make_instance(desc, seed=4)
    ag = _run(inst, 25)
    S, A, H = ag.spec.n_states, ag.spec.n_actions, ag.spec.horizon
    Km, pm = np.zeros((2, S, A, S, S)), np.zeros((2, S, A, S))
    acts, n = np.tile(np.arange(A), (S, 1)), np.full(S, A)
    K.precompute_gram(ag._phi, np.ascontiguousarray(ag._th[:, 0]),
                      np.ascontiguousarray(ag._Sdot_inv[:, 0]), Km, pm, np.zeros((S, ag.d)),
                      acts, n)
    pi, V = np.zeros((H, S), dtype=np.int64), np.zeros((2, H + 1, S))
    c = K.select_gram(Km, pm, ag.s1, 0.9, ag._Rc, pi.copy(), V[0].copy(), V[1].copy(), pi, V,
                      acts, n)
    c_ref, pi_ref, V_ref = _select_gram_reference(Km, pm, ag.s1, 0.9, ag._Rc)
    assert c == c_ref and np.array_equal(pi, pi_ref) and np.array_equal(V, V_ref)


def _update_reference(args, th, Sdot_inv, Srun_inv, G, b):
    """update() from the generic kernels phi_v, home, sherman_morrison, step by step."""
    Phi, states, actions, V, alpha, gamma, beta_k = args
    H, M, d = len(actions), th.shape[1], Phi.shape[3]
    for h in range(H):
        s, a, s2 = states[h], actions[h], states[h + 1]
        for c in range(2):
            v = V[c, h + 1].copy()
            phis, ys = np.zeros((M, d)), np.zeros(M)
            for m in range(M):
                K.phi_v(Phi, s, a, v, phis[m])
                ys[m] = v[s2]
                v = v * v
            sig2, vbar, E = np.zeros(M), np.zeros(M), np.zeros(M)
            K.home(phis, th[c], Sdot_inv[c], Srun_inv[c], beta_k, alpha, gamma, True, sig2,
                   vbar, E)
            for m in range(M):
                x = phis[m]
                if not x.any():
                    continue
                w = 1.0 / sig2[m]
                K.sherman_morrison(Srun_inv[c, m], x, w, np.zeros(d))
                for i in range(d):
                    b[c, m, i] += w * x[i] * ys[m]
                    for j in range(d):
                        G[c, m, i, j] += w * x[i] * x[j]


@pytest.mark.parametrize("d", [3, 4])
def test_update_kernel_is_the_generic_step_bit_for_bit(d):
    inst = hard_linear_mixture(d, 6, 0.03, seed=1)
    ag = _run(inst, 40, c_beta=0.3)
    traj = EpisodeSimulator(inst.mdp.to_tabular()).sample(ag.policy(), np.random.default_rng(2))
    H, M = 6, ag.M
    args = (ag._phi, traj.states, traj.actions, ag._V, ag.alpha, ag.gamma, 0.8)
    mine = [x.copy() for x in (ag._Srun_inv, ag._G, ag._b)]
    K.update(*args, True, True, ag._th, ag._Sdot_inv, *mine, np.zeros((2, H, M, d)),
             *np.zeros((4, 2, H, M)), np.zeros(3), np.zeros(d))
    ref = [x.copy() for x in (ag._Srun_inv, ag._G, ag._b)]
    _update_reference(args, ag._th, ag._Sdot_inv, *ref)
    assert all(np.array_equal(x, y) for x, y in zip(mine, ref))


def test_running_inverse_matches_gram():
    inst = random_linear_mixture(3, 2, 3, 5, seed=2)
    ag = _run(inst, 80, reinvert_every=10_000)
    np.testing.assert_allclose(ag._Srun_inv, np.linalg.inv(ag._G), rtol=1e-6, atol=1e-9)


@settings(derandomize=True, deadline=None, max_examples=6)
@given(seed=st.integers(0, 100), which=st.sampled_from(["hard", "random"]))
def test_certificate_dominates_suboptimality_on_the_event(seed, which):
    desc = ("hard", 3, 4, 0.05) if which == "hard" else ("random", 3, 2, 3, 4)
    inst = make_instance(desc, seed=seed)
    ag = _run(inst, 150, seed=seed)
    R = reward_family(inst, 60, seed)
    sub = suboptimality(inst, R, ag.plan(R))
    bt, bh = ag.realized_radii(inst.theta)
    assert sub.max() <= ag.certificate(bt, bh) + 1e-12
    if (ag.coverage_ratios(inst.theta)[:, 0] <= 1).all():  # practical radius covered
        assert sub.max() <= ag.certificate() + 1e-12


def test_planning_recovers_optimal_policy_hard_instance():
    inst = hard_linear_mixture(3, 4, 0.05, seed=0)
    ag = _run(inst, 400)
    R = np.broadcast_to(np.asarray(inst.mdp.R), (4, 3, 4))
    pi = ag.plan(R)
    assert pi[0, 0] == inst.meta["a_star"]
    assert pi.shape == (4, 3)


def test_validation_errors_name_the_argument():
    inst = hard_linear_mixture(3, 4, 0.05)
    spec = inst.mdp.spec
    with pytest.raises(ValueError, match=r"delta must be in"):
        HFUCRLRFEpp(spec, inst.phi, inst.B, 10, delta=1.5)
    with pytest.raises(ValueError, match=r"B must be positive"):
        HFUCRLRFEpp(spec, inst.phi, -1.0, 10)
    with pytest.raises(ValueError, match=r"episodes must be >= 1"):
        HFUCRLRFEpp(spec, inst.phi, inst.B, 0)
    with pytest.raises(ValueError, match=r"beta_mode must be"):
        HFUCRLRFEpp(spec, inst.phi, inst.B, 10, beta_mode="huge")
    with pytest.raises(ValueError, match=r"beta must be given"):
        HFUCRLRFEpp(spec, inst.phi, inst.B, 10, beta_mode="fixed")
    with pytest.raises(ValueError, match=r"M must be >= 1"):
        HFUCRLRFEpp(spec, inst.phi, inst.B, 10, M=0)
    with pytest.raises(ValueError, match=r"phi must be time-homogeneous"):
        HFUCRLRFEpp(spec, np.zeros((4, 3, 4, 3, 2)), inst.B, 10)
    with pytest.raises(ValueError, match=r"phi must have shape"):
        HFUCRLRFEpp(spec, np.zeros((2, 4, 2, 3)), inst.B, 10)
    ag = _run(inst, 5)
    with pytest.raises(ValueError, match=r"r has total reward"):
        ag.plan(np.full((4, 3, 4), 0.5))
    with pytest.raises(ValueError, match=r"r\[0, 0, 0\] must be in \[0, 1\]"):
        ag.plan(np.full((4, 3, 4), -0.1))
    with pytest.raises(ValueError, match=r"r must be"):
        ag.plan(np.zeros((5, 3, 4)))


def test_bound_functions_properties():
    d, H, B = 4, 8, 1.1
    assert n_levels(1000, 8) == int(np.ceil(np.log2(7 * 1000 * 8)))
    # the theory radius is ~1e3 (Theorem 2.6.3's parameters), the practical one a few units
    assert 1e3 < theory_radius(1000, d, H, B, 0.1, 16) < 3e3
    assert 1 < practical_radius(1000, d, H, B) < 10
    assert practical_radius(4000, d, H, B) > practical_radius(1000, d, H, B)
    # upper bound: Theorem 2.6.3 ~ 1/sqrt(K) at large K (up to logs)
    r = upper_bound(4 * 10**20, 0.1, d, H, B) / upper_bound(10**20, 0.1, d, H, B)
    assert 0.45 < r < 0.6
    # horizon-free: H only in logs; UCRL-RFE ~ H^5
    hf = sample_complexity_bound(0.1, 0.1, d, 64, B, 10**6) / sample_complexity_bound(
        0.1, 0.1, d, 8, B, 10**6)
    assert hf < 2.0
    assert ucrl_rfe_sample_complexity(0.1, 0.1, d, 16, B) / ucrl_rfe_sample_complexity(
        0.1, 0.1, d, 8, B) > 30
    assert rf_express_sample_complexity(0.1, 0.1, 3, 2, 16) / rf_express_sample_complexity(
        0.1, 0.1, 3, 2, 8) > 8.0  # H^3 times a log
    assert sample_complexity_lower_bound(0.1, 4) == pytest.approx(4 * sample_complexity_lower_bound(
        0.1, 2))


def test_baselines_run_and_certify():
    inst = hard_linear_mixture(3, 4, 0.05, seed=0)
    ub = UCRLRFE(inst.mdp.spec, inst.phi, inst.B, 50, c_beta=0.1)
    explore(ub, inst, 50, 0)
    R = reward_family(inst, 30, 0)
    pis = np.array([ub.plan(r) for r in R])
    assert suboptimality(inst, R, pis).max() <= ub.certificate() + 1e-12
    tab = random_mdp(3, 2, horizon=5, seed=0)
    for cls in (RFExpress, RFUCRL):
        ag = cls(tab.spec, bonus_scale=1e-3)
        rng = np.random.default_rng(0)
        ag.reset(rng)
        sim = EpisodeSimulator(tab)
        c0 = ag.certificate()
        for _ in range(1000):
            ag.update(sim.sample(ag.policy(), rng))
        assert ag.certificate() < c0
        assert ag.plan(np.zeros((5, 3, 2))).shape == (5, 3)


def _rf_backup_reference(N, H, kind, c, delta):
    """Plain-NumPy RF-Express / RF-UCRL exploration backup (independent of the kernel)."""
    Hc, S, A, _ = N.shape
    W = np.zeros((H + 1, S, A))
    for h in range(H - 1, -1, -1):
        Nh = N[h % Hc]
        n = Nh.sum(axis=-1)
        ph = Nh / np.maximum(n, 1)[..., None]
        nxt = ph @ W[h + 1].max(axis=-1)
        if kind == "rf_express":
            beta = math.log(3 * S * A * H / delta) + S * np.log(8 * math.e * (n + 1))
            Wh = np.minimum(H, 15 * H * H * c * beta / np.maximum(n, 1) + (1 + 1 / H) * nxt)
            cap = H
        else:
            Sm = max(S - 1, 1)
            beta = math.log(2 * S * A * H / delta) + Sm * np.log(math.e * (1 + n / Sm))
            cap = 2 * (H - h)
            Wh = np.minimum(cap, (H - h) * np.sqrt(c * beta / np.maximum(n, 1)) + nxt)
        W[h] = np.where(n == 0, cap, Wh)
    return W


@SET
@given(seed=st.integers(0, 10_000), H=st.integers(1, 6), S=st.integers(1, 4),
       A=st.integers(1, 3), stage=st.booleans(), c=st.sampled_from([1e-3, 0.01, 1.0]))
def test_tabular_rf_backups_match_numpy_reference(seed, H, S, A, stage, c):
    tab = random_mdp(S, A, horizon=H, seed=seed % 7)
    rng = np.random.default_rng(seed)
    sim = EpisodeSimulator(tab)
    for cls in (RFExpress, RFUCRL):
        ag = cls(tab.spec, bonus_scale=c, stage_dependent=stage)
        ag.reset(np.random.default_rng(seed))
        for _ in range(int(rng.integers(0, 40))):
            ag.update(sim.sample(ag.policy(), rng))
        ref = _rf_backup_reference(ag._N, H, cls.name, c, ag.delta)
        np.testing.assert_allclose(ag._W, ref, rtol=1e-12, atol=1e-12)
