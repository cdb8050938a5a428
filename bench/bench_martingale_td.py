"""Speed: simulate exact OU paths and fit LSTD(0), compiled + chunked vs plain numpy.

Full tier: 10^5 paths x 10^3 steps (4 realizable features, B1). Both sides
use chunks of the same size (plain numpy with an (N, K) array at this size
would need 0.8 GB per array); the reference is the array-API twin run on
numpy with a numpy sampler, timed in the same process.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from theoryrl.evaluation._martingale_td_xp import td_statistics_xp
from theoryrl.evaluation.martingale_td import Paths, TDStatistics, _coeffs, _weights, td_statistics
from theoryrl.models.diffusion import OUQuadratic


def _numpy_reference(model, f, n, K, seed, chunk):
    a, c, s = model.transition(model.T / K)
    tot = None
    for ss in np.random.SeedSequence(seed).spawn(-(-n // chunk)):
        rng = np.random.default_rng(ss)
        m = chunk
        X = np.empty((m, K + 1))
        X[:, 0] = model.sample_initial(m, rng)
        Z = rng.standard_normal((m, K))
        for k in range(K):
            X[:, k + 1] = a * X[:, k] + c + s * Z[:, k]
        p = Paths.from_model(model, X)
        an, ac, dg = _coeffs(p.dt, model.beta, "euler")
        mlw, om = _weights(p.t, model.beta)
        phi = f(p.t, p.X)
        res = td_statistics_xp(phi, phi, p.r, p.h, p.dt, an, ac, dg, True, mlw, om, [0.0],
                               xp=np)
        tot = res if tot is None else {k: tot[k] + v for k, v in res.items()}
    st = TDStatistics(**tot, n=float(n), lams=(0.0,), dt=model.T / K, beta=model.beta,
                      discount="euler")
    return st.lstd(0.0)


def main(quick: bool = False) -> list[dict]:
    n, K = (10_000, 200) if quick else (100_000, 1000)
    chunk = 2000 if quick else 5000
    model = OUQuadratic()
    f = model.realizable_features()
    td_statistics(model, f, n_paths=50, K=10, seed=0)          # compile outside the timing
    t0 = time.perf_counter()
    th_fast = td_statistics(model, f, n_paths=n, K=K, seed=1, chunk=chunk).lstd(0.0)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    th_ref = _numpy_reference(model, f, n, K, 1, chunk)
    t_ref = time.perf_counter() - t0
    row = {"bench": "martingale_td.simulate+lstd", "paths": n, "steps": K,
           "numba_s": t_fast, "numpy_s": t_ref, "ratio": t_ref / t_fast,
           "max_theta_diff": float(np.abs(th_fast - th_ref).max())}
    print(f"simulate + LSTD(0), {n} paths x {K} steps: numba+chunks {t_fast:.2f}s, "
          f"numpy {t_ref:.2f}s, ratio {row['ratio']:.1f}x (same theta to "
          f"{row['max_theta_diff']:.1e})")
    return [row]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    main(quick=ap.parse_args().quick)
