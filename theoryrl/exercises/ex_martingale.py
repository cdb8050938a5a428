r"""Exercise on continuous-time policy evaluation: the martingale loss against the
mean-square TD error on Brownian motion (the B2 counterexample of Jia & Zhou).

The grader compares with :func:`theoryrl.evaluation.martingale_td.ml_fit` and
:func:`~theoryrl.evaluation.martingale_td.mstde_fit` on
:class:`~theoryrl.models.diffusion.BrownianQuadratic` paths with its realizable
features :math:`(x^2, T - t)`, and checks the lesson against
:func:`~theoryrl.evaluation.martingale_td.mstde_brownian_limit`.
"""

from __future__ import annotations

import numpy as np

from ._framework import Call, Example, Exercise, Failure, compare, draws, fmt, properties, returned

__all__ = ["EXERCISES"]


MTD_STATEMENT = r"""
Policy evaluation in continuous time (Jia & Zhou, JMLR 2022). Let
$dX_t = \sigma\, dW_t$, $X_0 = 0$, with no running reward, terminal payoff
$h(x) = x^2$ at time $T$ and no discounting. The value function is
$J(t, x) = \mathbb{E}[X_T^2 \mid X_t = x] = x^2 + \sigma^2 (T - t)$, so in the linear family

$$
J^\theta(t, x) = \theta_1 x^2 + \theta_2 (T - t) = \theta^\top \phi(t, x),
\qquad \phi(t, x) = (x^2,\; T - t),
$$

the truth is $\theta^* = (1, \sigma^2)$. We observe $N$ paths on the grid
$t_k = k \Delta t$, $\Delta t = T / K$: an array `X` of shape `(N, K+1)`, `X[n, k]` $= X^n_{t_k}$.

**Martingale loss (ML).** $M_t = J(t, X_t)$ is a martingale, equivalently
$J(t_k, X_k) = \mathbb{E}[G_k \mid X_k]$ with the return-to-go $G_k = h(X_K)$. ML fits
$J^\theta$ to the returns by least squares:

$$
\hat\theta_{\mathrm{ML}} = \arg\min_\theta \sum_{n} \sum_{k=0}^{K-1}
    \big(G^n_k - \theta^\top \phi(t_k, X^n_k)\big)^2 .
$$

**Mean-square TD error (MSTDE).** With the TD errors (terminal value substituted
by the payoff at the last step)

$$
\delta_k(\theta) = J^\theta(t_{k+1}, X_{k+1}) - J^\theta(t_k, X_k) \quad (k < K-1),
\qquad
\delta_{K-1}(\theta) = h(X_K) - J^\theta(t_{K-1}, X_{K-1}),
$$

$\hat\theta_{\mathrm{MSTDE}} = \arg\min_\theta \sum_n \sum_{k=0}^{K-1} \delta^n_k(\theta)^2$,
again linear least squares ($\delta_k = c_k^\top \theta + d_k$).

The lesson: ML is consistent, $\hat\theta_{\mathrm{ML}} \to (1, \sigma^2)$, but MSTDE
converges to $\big(\tfrac{3K-2}{5K-4}, \sigma^2\big) \to (3/5, \sigma^2)$: it minimises
the quadratic variation of $J^\theta(t, X_t)$, not the value error, so it flattens
$J^\theta$ in $x$ (PE's verdict on the mean-square TD error).

Implement `ml_fit(X, T)` and `mstde_fit(X, T)`, each returning $\hat\theta$ of shape `(2,)`.
"""

MTD_STUB = r'''
import numpy as np


def ml_fit(X, T):
    """Martingale-loss fit of J_theta(t, x) = theta_1 x^2 + theta_2 (T - t).

    X : ndarray, shape (N, K + 1), paths on t_k = k T / K; terminal payoff X_K^2.
    Returns theta, shape (2,).
    """
    raise NotImplementedError


def mstde_fit(X, T):
    """Minimiser of the mean-square TD error (terminal value substituted), shape (2,)."""
    raise NotImplementedError
'''


def _mtd_inputs(draw):
    from hypothesis import strategies as st

    from ._strategies import seeds

    n = draw(st.integers(3, 60))
    K = draw(st.integers(2, 12))
    sigma = draw(st.sampled_from([0.3, 0.7, 1.0, 1.5]))
    T = draw(st.sampled_from([0.5, 1.0, 2.0]))
    return n, K, sigma, T, draw(seeds())


def _fit_examples() -> dict[str, list[Example]]:
    from ..evaluation.martingale_td import Paths, ml_fit, mstde_fit
    from ..models.diffusion import BrownianQuadratic

    ml_ex, ms_ex = [], []
    for n, K, sigma, T, seed in draws(_mtd_inputs, 25):
        m = BrownianQuadratic(sigma=sigma, T=T)
        X = m.sample_paths(n, K, rng=np.random.default_rng(seed))
        p, f = Paths.from_model(m, X), m.features()
        ml_ex.append(Example((Call("ml_fit", (X, T)),),
                             {"want": ml_fit(p, f), "X": X, "T": T}))
        ms_ex.append(Example((Call("mstde_fit", (X, T)),),
                             {"want": mstde_fit(p, f), "X": X, "T": T}))
    return {"ml": ml_ex, "mstde": ms_ex}


def _lesson_examples() -> dict[str, list[Example]]:
    """The lesson, on many paths: ML finds the truth, MSTDE its biased limit."""
    from ..evaluation.martingale_td import mstde_brownian_limit
    from ..models.diffusion import BrownianQuadratic

    lesson = []
    for K, sigma, seed in ((10, 0.7, 1), (40, 1.0, 2)):
        m = BrownianQuadratic(sigma=sigma, T=2.0)
        X = m.sample_paths(6000, K, rng=np.random.default_rng(seed))
        lesson.append(Example((Call("ml_fit", (X, 2.0)), Call("mstde_fit", (X, 2.0))),
                              {"ml": (1.0, sigma ** 2),
                               "ms": (mstde_brownian_limit(K), sigma ** 2), "K": K}))
    return {"lesson": lesson}


def _features(X, T):
    K = X.shape[1] - 1
    t = np.arange(K + 1) * (T / K)
    return np.stack([X ** 2, np.broadcast_to(T - t, X.shape)], axis=-1)


def _lsq(F, y):
    return np.linalg.lstsq(F.reshape(-1, 2), y.ravel(), rcond=None)[0]


def _ml_hint(got, X, T) -> str:
    phi = _features(X, T)
    G = np.broadcast_to(X[:, -1:] ** 2, X.shape)
    if np.allclose(got, _lsq(phi, G), atol=1e-6):
        return "sum over k = 0..K-1 only: at k = K there is no return left to predict"
    if np.allclose(got, _lsq(phi[:, :-1], X[:, :-1] ** 2), atol=1e-6):
        return "the return-to-go G_k is the terminal payoff X_K^2, not X_k^2"
    return "regress G_k = X_K^2 on phi(t_k, X_k) = (X_k^2, T - t_k) for k < K"


def _ms_hint(got, X, T) -> str:
    phi = _features(X, T)
    c = phi[:, 1:] - phi[:, :-1]
    if np.allclose(got, 0.0, atol=1e-8):
        return ("substitute the payoff at the last step: delta_{K-1} = X_K^2 - J(t_{K-1}, "
                "X_{K-1}); with J(T, .) itself every TD error is 0 at theta = 0")
    c2 = c.copy()
    c2[:, -1] = -phi[:, -2]
    d = np.zeros(c.shape[:2])
    d[:, -1] = X[:, -1] ** 2
    if np.allclose(got, _lsq(c2, d), atol=1e-6):
        return "wrong sign: delta = c^T theta + d, so theta = -(sum c c^T)^{-1} sum c d"
    return ("delta_k = theta^T (phi_{k+1} - phi_k) for k < K-1 and "
            "X_K^2 - theta^T phi_{K-1} at k = K-1; least squares in theta")


def _check_fit(ex, outs, hint_of) -> Failure | None:
    (th,) = returned(outs[0], ("theta",))
    d = ex.data
    msg = compare(th, d["want"], "theta", atol=1e-7, rtol=1e-7)
    if msg is None:
        return None
    got = np.asarray(th, dtype=float).ravel()
    hint = hint_of(got, d["X"], d["T"]) if got.shape == (2,) else "return theta of shape (2,)"
    return Failure(fmt(d["want"]), f"{fmt(th)}\n          ({msg})", hint)


def _check_ml_fit(ex, outs):
    return _check_fit(ex, outs, _ml_hint)


def _check_mstde_fit(ex, outs):
    return _check_fit(ex, outs, _ms_hint)


def _check_lesson(ex, outs):
    (ml,) = returned(outs[0], ("theta",))
    (ms,) = returned(outs[1], ("theta",))
    ml = np.asarray(ml, dtype=float).ravel()
    ms = np.asarray(ms, dtype=float).ravel()
    d = ex.data
    ok_ml = ml.shape == (2,) and np.allclose(ml, d["ml"], atol=0.06 * max(1, d["ml"][1]))
    ok_ms = ms.shape == (2,) and np.allclose(ms, d["ms"], atol=0.06 * max(1, d["ms"][1]))
    if ok_ml and ok_ms:
        return None
    return Failure(f"ML ~ {fmt(np.array(d['ml']))} (the truth) and MSTDE ~ "
                   f"{fmt(np.array(d['ms']))} ((3K-2)/(5K-4), K = {d['K']}), within 0.06",
                   f"ML = {fmt(ml)}, MSTDE = {fmt(ms)}",
                   "on 6000 paths the two fits must show the population behaviour; "
                   "check the two exact-match properties first")


_MTD_PROPERTIES = (
    ("ml_fit equals theoryrl.evaluation.martingale_td.ml_fit", ("ml",), _check_ml_fit),
    ("mstde_fit equals theoryrl.evaluation.martingale_td.mstde_fit", ("mstde",),
     _check_mstde_fit),
    ("lesson: ML recovers (1, sigma^2), MSTDE drifts to ((3K-2)/(5K-4), sigma^2)",
     ("lesson",), _check_lesson),
)


EXERCISES = [
    Exercise("martingale_loss", "Martingale loss against the mean-square TD error on "
             "Brownian motion", MTD_STATEMENT, MTD_STUB,
             {"ml_fit": ("X", "T"), "mstde_fit": ("X", "T")},
             "theoryrl.evaluation.martingale_td.ml_fit / mstde_fit",
             properties(_MTD_PROPERTIES, _fit_examples, _lesson_examples),
             "continuous time"),
]
