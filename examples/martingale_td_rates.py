"""Error against dt and against sample size for ML, TD(lambda)/LSTD, GTD and MSTDE (B1).

Left: population errors ||J^theta - J||_occ (exact Gaussian moments, check C2)
against dt for ML, LSTD(0), LSTD(0.5), GTD2 (overidentified, test functions
[realizable, x, x^4]) and the MSTDE minimiser; plus offline TD(0) by
stochastic approximation at a few dt (Monte Carlo). Right: RMSE of the Monte
Carlo estimators against their own population (discretised) solution against
the number of paths N (check C4). Writes ``martingale_td_rates.png``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from theoryrl.evaluation.martingale_td import (
    population_statistics,
    td_lambda_sa,
    td_statistics,
    value_error,
)
from theoryrl.experiment import save_figure
from theoryrl.models.diffusion import OUQuadratic, PolyFeatures


def _test_features(f: PolyFeatures) -> PolyFeatures:
    def one(t):
        return (np.ones_like(np.asarray(t, dtype=float)))
    return PolyFeatures(f.powers + (1, 4), f.time_fns + (one, one), f.names + ("x", "x^4"))


def main(out: str = "out", quick: bool = False) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    model = OUQuadratic()
    f = model.realizable_features()
    tf = _test_features(f)
    Ks = [4, 8, 16, 32, 64] if quick else [4, 8, 16, 32, 64, 128, 256]
    err = {k: [] for k in ("ML", "LSTD(0)", "LSTD(0.5)", "GTD2 (overid.)", "MSTDE")}
    for K in Ks:
        st = population_statistics(model, f, K, lams=(0.0, 0.5))
        sg = population_statistics(model, f, K, test_features=tf)
        for name, th in (("ML", st.ml()), ("LSTD(0)", st.lstd(0.0)),
                         ("LSTD(0.5)", st.lstd(0.5)), ("GTD2 (overid.)", sg.gtd(A="inv_gram")),
                         ("MSTDE", st.mstde())):
            err[name].append(value_error(model, f, th))
    K_sa = [4, 8, 16]
    sa = [value_error(model, f, td_lambda_sa(model, f, K=K, iterations=400 if quick else 2000,
                                            batch=32, rng=np.random.default_rng(K)).theta)
          for K in K_sa]
    # sample size
    K = 16
    Ns = [500, 2000, 8000] if quick else [500, 2000, 8000, 32000]
    R = 6 if quick else 16
    pop = population_statistics(model, f, K, lams=(0.0, 0.5))
    targets = {"ML": pop.ml(), "LSTD(0)": pop.lstd(0.0), "LSTD(0.5)": pop.lstd(0.5),
               "MSTDE": pop.mstde()}
    rmse = {k: [] for k in targets}
    for N in Ns:
        sq = {k: [] for k in targets}
        for r in range(R):
            s = td_statistics(model, f, lams=(0.0, 0.5), n_paths=N, K=K, seed=1000 * r + N)
            for k, th in (("ML", s.ml()), ("LSTD(0)", s.lstd(0.0)), ("LSTD(0.5)", s.lstd(0.5)),
                          ("MSTDE", s.mstde())):
                d = th - targets[k]
                sq[k].append(d @ pop.Gm @ d)
        for k in targets:
            rmse[k].append(float(np.sqrt(np.mean(sq[k]))))
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2))
    dts = 1.0 / np.array(Ks)
    for k, v in err.items():
        ax[0].loglog(dts, v, "o-", label=k)
    ax[0].loglog(1.0 / np.array(K_sa), sa, "k^--", label="offline TD(0), SA (MC)")
    ax[0].loglog(dts, 0.13 * dts, ":", color="gray", label="slope 1")
    ax[0].set(xlabel="dt", ylabel="||J^theta - J||_occ", title="error against dt (B1)")
    ax[0].legend(fontsize=7)
    for k, v in rmse.items():
        ax[1].loglog(Ns, v, "o-", label=k)
    ax[1].loglog(Ns, rmse["LSTD(0)"][0] * np.sqrt(Ns[0] / np.array(Ns)), ":", color="gray",
                 label="N^-1/2")
    ax[1].set(xlabel="paths N", ylabel="RMSE vs population theta_dt (Gram norm)",
              title=f"error against N (K={K}, {R} replicates)")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "martingale_td_rates.png"))
    plt.close(fig)
    return {"K": Ks, "err": err, "sa": sa, "N": Ns, "rmse": rmse}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="out")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    main(out=a.out, quick=a.quick)
