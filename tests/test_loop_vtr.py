"""C10 (regression test): UCRL2-VTR as a configuration of LOOP's code path equals an
independent plain-numpy implementation (Wu, Zhou, Gu, AISTATS 2022)."""

import math

import numpy as np

from theoryrl.agents import UCRL2VTR
from theoryrl.envs.average import facts, random_linear_mixture_amdp
from theoryrl.experiment.average import run_one


def _support(theta, Linv, a, sb, F):
    """max <x, F> over {||x - theta||_Lambda <= sb, <a, x> = 1} (closed form)."""
    ga = a @ Linv.T
    aga = np.sum(a * ga, axis=-1)
    c = 1.0 - a @ theta
    cen = theta + (c / aga)[..., None] * ga
    bp = np.maximum(sb ** 2 - c ** 2 / aga, 0.0)
    quad = np.einsum("sai,ij,saj->sa", F, Linv, F) - np.sum(ga * F, -1) ** 2 / aga
    return np.sum(cen * F, -1) + np.sqrt(bp) * np.sqrt(np.maximum(quad, 0.0))


def _evi(phi, R, theta, Linv, sb, u, eps):
    a = phi.sum(axis=2)
    for tau, budget in ((0.5, 2000), (0.1, 2000), (0.02, 96000)):
        for _ in range(budget):
            m = 0.5 * (u.max() + u.min())
            w = u - m
            F = np.einsum("satd,t->sad", phi, w)
            ev = np.clip(_support(theta, Linv, a, sb, F), w.min(), w.max())
            Q = R + m + ev
            un = (1 - tau) * u + tau * Q.max(axis=1)
            dlt = un - u
            u = un - un.min()
            if dlt.max() - dlt.min() < 2 * tau * eps:
                return np.argmax(Q, axis=1), u
    return np.argmax(Q, axis=1), u


def reference_ucrl2_vtr(lm, D, C, delta, lam, T, seq):
    """Plain-numpy UCRL2-VTR (Wu, Zhou, Gu 2022) with the same conventions."""
    phi, R = np.asarray(lm.phi), np.asarray(lm.R)
    S, A, _, d = phi.shape
    rng_env = np.random.default_rng(np.random.SeedSequence(seq.entropy,
                                                           spawn_key=(*seq.spawn_key, 0)))
    s = int(np.searchsorted(np.cumsum(lm.init), rng_env.random(), side="right"))
    us = rng_env.random(T)
    Pc = np.cumsum(np.asarray(lm.P), axis=-1)
    Lam, b = lam * np.eye(d), np.zeros(d)
    u = np.zeros(S)
    t, policies = 0, []
    while t < T:
        Linv = np.linalg.inv(Lam)
        theta = Linv @ b
        logdet = np.linalg.slogdet(Lam)[1]
        sb = D / 2 * math.sqrt(2 * math.log(1 / delta) + logdet - d * math.log(lam)) \
            + math.sqrt(lam) * C
        pi, u = _evi(phi, R, theta, Linv, sb, u, 1 / math.sqrt(t + 1))
        policies.append(pi)
        w = u - 0.5 * (u.max() + u.min())
        X = np.einsum("satd,t->sad", phi, w)
        ld0 = logdet
        while t < T:
            a = pi[s]
            s2 = int(np.argmax(us[t] < Pc[s, a])) if us[t] < Pc[s, a, -1] else S - 1
            x = X[s, a]
            Lam = Lam + np.outer(x, x)
            b = b + w[s2] * x
            t += 1
            s = s2
            if np.linalg.slogdet(Lam)[1] - ld0 > math.log(2):
                break
    return policies


def test_ucrl2_vtr_matches_numpy_reference():
    for k in range(3):
        # an asymmetric instance (the WZG instance has exactly tied actions at t = 1)
        lm = random_linear_mixture_amdp(4, 2, 3, seed=k)
        D = facts(lm).diameter
        C = float(np.linalg.norm(lm.theta)) * 1.01
        seq = np.random.SeedSequence(7, spawn_key=(k,))
        T = 2 ** 12
        ag = UCRL2VTR(lm.spec, lm.phi, D, C, delta=0.05)
        r = run_one(ag, lm, T, seq)
        ours = [h["pi"] for h in r["agent"].history]
        ref = reference_ucrl2_vtr(lm, D, C, 0.05, 1.0, T, seq)
        assert len(ours) == len(ref) >= 3
        for p, q in zip(ours, ref, strict=True):
            np.testing.assert_array_equal(p, q)
