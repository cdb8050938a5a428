"""Benchmark: trajectory log-likelihoods of a batch for a whole model class.

Compares the numba forward kernel (``theoryrl.models._pomdp_kernels.forward_loglik``,
``@njit(cache=True)``) with its plain-numpy twin (vectorised over models and
trajectories), in the same process, on the default shared-transition class (64 POMDPs, S=2, O=3,
A=2) with a batch of trajectories. Also times the trajectory-tensor route
(counts . log P, one mat-vec for the class) that the agents use, and whole
learning runs (UMT-PSR and the independent learners to their certified stop)
through the compiled loop against the step-wise ``policy``/``update`` loop,
checked bit-identical in the same process.
"""

from __future__ import annotations

import time

import numpy as np


def _best(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _one(H: int, B: int, repeat: int) -> dict:
    from theoryrl.envs.pomdp_families import shared_transition_family
    from theoryrl.models._pomdp_kernels import tensor_loglik
    from theoryrl.models.pomdp import decode_trajectories, trajectory_loglik

    cls = shared_transition_family(1, H)
    models = [m for row in cls.models for m in row]
    rng = np.random.default_rng(0)
    idx = rng.integers(0, cls.F, size=B)
    obs, act = decode_trajectories(idx, cls.O, cls.A, H)
    trajectory_loglik(models, obs[:2], act[:2], "numba")  # compile / load cache
    a = trajectory_loglik(models, obs, act, "numba")
    b = trajectory_loglik(models, obs, act, "numpy")
    if not np.allclose(a, b, atol=1e-10):
        raise AssertionError("numba and numpy log-likelihoods differ")
    t_nb = _best(lambda: trajectory_loglik(models, obs, act, "numba"), repeat)
    t_np = _best(lambda: trajectory_loglik(models, obs, act, "numpy"), repeat)
    out = np.empty(cls.M)
    tensor_loglik(cls.logP, idx, out)
    t_tk = _best(lambda: tensor_loglik(cls.logP, idx, out), repeat)
    t_tn = _best(lambda: cls.logP[:, idx].sum(axis=1), repeat)
    row = dict(bench="class_loglik_forward", H=H, models=cls.M, batch=B,
               numba_s=t_nb, numpy_s=t_np, ratio=t_np / t_nb,
               tensor_numba_s=t_tk, tensor_numpy_s=t_tn, tensor_ratio=t_tn / t_tk)
    return row


def _runs(N: int, repeat: int) -> list[dict]:
    from theoryrl.agents.umt_psr import UMTPSR, IndependentPSR
    from theoryrl.envs.pomdp_families import (
        random_task_rewards,
        sample_truth,
        shared_transition_family,
    )
    from theoryrl.experiment.pomdp_driver import run_pomdp

    cls = shared_transition_family(N, 3)
    cls.dmax()
    rng = np.random.default_rng(N)
    t, e = sample_truth(cls, rng)
    R = random_task_rewards(N, cls.O, cls.A, cls.H, rng)
    rows = []
    for agent in (UMTPSR, IndependentPSR):
        step = type("Step" + agent.__name__, (agent,), {"_compiled_run": None})

        def one(k=agent):
            ag = k(cls, R)
            return ag, run_pomdp(ag, cls.P[t, e], R, np.random.default_rng(1),
                                 record_values=False)

        a, ra = one()  # compile / load cache
        b, rb = one(step)
        if ra.iterations != rb.iterations or not np.array_equal(a.L, b.L):
            raise AssertionError("compiled and step-wise runs differ")
        t_c = _best(one, repeat)
        t_s = _best(lambda s=step: one(s), max(1, repeat // 2))
        rows.append(dict(bench="run_to_certified_stop", agent=agent.name, N=N,
                         iterations=ra.iterations, compiled_s=t_c, stepwise_s=t_s,
                         ratio=t_s / t_c))
    return rows


def main(quick: bool = False) -> list[dict]:
    """Time numba vs numpy; print and return one dict per configuration."""
    rows = []
    configs = [(3, 2_000), (4, 2_000)] if quick else [(3, 2_000), (4, 10_000), (6, 10_000)]
    repeat = 3 if quick else 5
    for H, B in configs:
        row = _one(H, B, repeat)
        rows.append(row)
        print(f"H={H} M={row['models']} B={B}: forward numba {row['numba_s'] * 1e3:.2f} ms, "
              f"numpy {row['numpy_s'] * 1e3:.2f} ms, ratio {row['ratio']:.1f}x | tensor "
              f"gather numba {row['tensor_numba_s'] * 1e3:.2f} ms, numpy "
              f"{row['tensor_numpy_s'] * 1e3:.2f} ms, ratio {row['tensor_ratio']:.1f}x")
    for N in (2,) if quick else (2, 8):
        for row in _runs(N, repeat):
            rows.append(row)
            print(f"{row['agent']} N={N}: run to the certified stop ({row['iterations']} "
                  f"iterations) compiled {row['compiled_s'] * 1e3:.1f} ms, step-wise "
                  f"{row['stepwise_s'] * 1e3:.1f} ms, ratio {row['ratio']:.1f}x")
    return rows


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    main(quick=p.parse_args().quick)
