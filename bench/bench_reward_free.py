"""Speed of HF-UCRL-RFE++ exploration.

1. One episode, compiled kernels vs plain NumPy: random linear mixture, d=8,
   S=50, A=5, H=32, M = ceil(log2(7 K H)) moment levels (K = 1000), the default
   reward-candidate family (64 candidates). Both versions run in the same
   process on the same state; the NumPy twin vectorises over (s, a) and is
   checked equal to the kernels before timing.
2. A whole run, :meth:`HFUCRLRFEpp.explore` (one compiled loop) vs the
   per-episode loop ``policy`` / ``sample`` / ``update`` it replaces, on the
   hard instance of the proof checks (d=3, H=4, Delta=0.05, scaling radius
   c_beta=0.3, coverage ratio monitored); the two runs must agree bit for bit.
"""

from __future__ import annotations

import time

import numpy as np

from theoryrl.agents.reward_free import HFUCRLRFEpp
from theoryrl.envs.linear_mixture import random_linear_mixture
from theoryrl.experiment import EpisodeSimulator


def _select_numpy(Phi, s1, beta, th0, Sd0, Rc):
    C, H, S, A = Rc.shape
    best, out = -np.inf, None
    for c in range(C):
        Vh = np.zeros((H + 1, S))
        Vt = np.zeros((H + 1, S))
        pi = np.zeros((H, S), dtype=np.int64)
        raw0 = 0.0
        for h in range(H - 1, -1, -1):
            pt = np.einsum("satd,t->sad", Phi, Vt[h + 1])
            ph = np.einsum("satd,t->sad", Phi, Vh[h + 1])
            qt = np.maximum(np.einsum("sai,ij,saj->sa", pt, Sd0[1], pt), 0)
            qh = np.maximum(np.einsum("sai,ij,saj->sa", ph, Sd0[0], ph), 0)
            sc = np.minimum(1, beta * np.sqrt(qt)) + 3 * beta * np.sqrt(qh) + ph @ th0[0]
            pi[h] = sc.argmax(axis=1)
            bs = sc.max(axis=1)
            Vh[h] = np.clip(bs, 0, 1)
            idx = np.arange(S)
            Vt[h] = np.clip(Rc[c, h, idx, pi[h]] + pt[idx, pi[h]] @ th0[1], 0, 1)
            if h == 0:
                raw0 = bs[s1]
        if raw0 > best:
            best, out = raw0, (pi, np.stack([Vh, Vt]))
    return out


def _update_numpy(Phi, states, actions, V, alpha, gamma, beta_k, th, Sdot_inv, Srun_inv, G, b):
    H = actions.shape[0]
    M = th.shape[1]
    for h in range(H):
        s, a, s2 = states[h], actions[h], states[h + 1]
        for c in range(2):
            v = V[c, h + 1].copy()
            phis, ys = [], []
            for _ in range(M):
                phis.append(Phi[s, a].T @ v)
                ys.append(v[s2])
                v = v * v
            phis = np.array(phis)
            sq = lambda Mx, x: np.sqrt(max(float(x @ Mx @ x), 0.0))  # noqa: E731
            sig2 = np.empty(M)
            for m in range(M - 1):
                p0 = np.clip(phis[m] @ th[c, m], 0, 1)
                p1 = np.clip(phis[m + 1] @ th[c, m + 1], 0, 1)
                e = min(1, 2 * beta_k * sq(Sdot_inv[c, m], phis[m])) + \
                    min(1, beta_k * sq(Sdot_inv[c, m + 1], phis[m + 1]))
                sig2[m] = max(gamma ** 2 * sq(Srun_inv[c, m], phis[m]), p1 - p0 ** 2 + e,
                              alpha ** 2)
            sig2[M - 1] = max(gamma ** 2 * sq(Srun_inv[c, M - 1], phis[M - 1]), 1, alpha ** 2)
            for m in range(M):
                w, x = 1 / sig2[m], phis[m]
                u = Srun_inv[c, m] @ x
                Srun_inv[c, m] -= w / (1 + w * x @ u) * np.outer(u, u)
                G[c, m] += w * np.outer(x, x)
                b[c, m] += w * x * ys[m]


def main(quick: bool = False) -> list[dict]:
    """Time one exploration episode (selection + update), compiled vs NumPy."""
    d, S, A, H, K = 8, 50, 5, 32, 1000
    inst = random_linear_mixture(S, A, d, H, seed=0)
    ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, K)
    rng = np.random.default_rng(0)
    ag.reset(rng)
    sim = EpisodeSimulator(inst.mdp.to_tabular())
    for _ in range(2 if quick else 5):  # warm-up (compiles) and a non-trivial state
        ag.update(sim.sample(ag.policy(), rng))
    th0 = np.ascontiguousarray(ag._th[:, 0])
    Sd0 = np.ascontiguousarray(ag._Sdot_inv[:, 0])
    beta, beta_k = float(ag.radius(K)), float(ag.radius(ag.episode))
    reps = 1 if quick else 3
    # compiled
    t = time.perf_counter()
    for _ in range(reps):
        state = [x.copy() for x in (ag._Srun_inv, ag._G, ag._b)]
        pi = ag.policy()
        traj = sim.sample(pi, np.random.default_rng(1))
        V = ag._V.copy()
        ag._Srun_inv, ag._G, ag._b = state[0].copy(), state[1].copy(), state[2].copy()
        from theoryrl.agents import _reward_free_kernels as _k
        rec = np.zeros((4, 2, H, ag.M))
        _k.update(ag._phi, traj.states, traj.actions, V, ag.alpha, ag.gamma, beta_k, True, True,
                  ag._th, ag._Sdot_inv, ag._Srun_inv, ag._G, ag._b, np.zeros((2, H, ag.M, d)),
                  rec[0], rec[1], rec[2], rec[3], np.zeros(S), np.zeros(d))
    t_c = (time.perf_counter() - t) / reps
    Sr_c = ag._Srun_inv.copy()
    # plain numpy on the same state
    t = time.perf_counter()
    for _ in range(reps):
        pi_n, V_n = _select_numpy(ag._phi, ag.s1, beta, th0, Sd0, ag._Rc)
        Srun, G, b = state[0].copy(), state[1].copy(), state[2].copy()
        _update_numpy(ag._phi, traj.states, traj.actions, V_n, ag.alpha, ag.gamma, beta_k,
                      ag._th, ag._Sdot_inv, Srun, G, b)
    t_n = (time.perf_counter() - t) / reps
    same = bool(np.allclose(V_n, V, atol=1e-9) and np.allclose(Srun, Sr_c, atol=1e-9))
    row = {"bench": "reward_free_episode", "d": d, "S": S, "A": A, "H": H, "M": ag.M,
           "candidates": int(ag._Rc.shape[0]), "compiled_s": t_c, "numpy_s": t_n,
           "ratio": t_n / t_c, "equal": same}
    print(f"HF-UCRL-RFE++ episode d={d} S={S} A={A} H={H} M={ag.M} "
          f"C={row['candidates']}: compiled {t_c * 1e3:.1f} ms, numpy {t_n * 1e3:.1f} ms, "
          f"ratio {row['ratio']:.1f}x (equal: {same})")
    return [row, _whole_run(quick)]


def _whole_run(quick: bool) -> dict:
    from theoryrl.envs.linear_mixture import hard_linear_mixture

    K = 500 if quick else 5000
    inst = hard_linear_mixture(3, 4, 0.05, seed=0)
    sim = EpisodeSimulator(inst.mdp.to_tabular())

    def fresh():
        ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, K, c_beta=0.3)
        ag.reset(np.random.default_rng(0))
        return ag, np.random.default_rng(1)

    ag, rng = fresh()
    ag.explore(sim, 3, rng, theta_star=inst.theta)  # compiles (or loads the cache)
    ag, rng = fresh()
    t = time.perf_counter()
    v_c, w_c = ag.explore(sim, K, rng, theta_star=inst.theta)
    t_c = time.perf_counter() - t
    ref, rng = fresh()
    v_l, w_l = np.empty(K), -np.inf
    t = time.perf_counter()
    for k in range(K):
        pi = ref.policy()
        v_l[k] = ref.info()["vhat"]
        traj = sim.sample(pi, rng)
        w_l = max(w_l, float(ref.coverage_ratios(inst.theta).max()))
        ref.update(traj)
    t_l = time.perf_counter() - t
    same = bool(np.array_equal(v_c, v_l) and w_c == w_l and np.array_equal(ag._th, ref._th))
    row = {"bench": "reward_free_run", "d": 3, "S": 3, "A": 4, "H": 4, "M": ag.M,
           "episodes": K, "compiled_s": t_c, "per_episode_s": t_l, "ratio": t_l / t_c,
           "bit_identical": same}
    print(f"HF-UCRL-RFE++ run of {K} episodes (hard d=3, H=4): compiled {t_c:.2f} s, "
          f"per-episode loop {t_l:.2f} s, ratio {row['ratio']:.1f}x (bit-identical: {same})")
    return row


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    main(quick=p.parse_args().quick)
