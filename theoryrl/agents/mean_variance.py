r"""Mean-variance portfolio control learners behind PG's Tables 1-2 (Jia & Zhou, JMLR 23(275)).

Two actor-critic learners for the exploratory mean-variance problem of Wang &
Zhou (2020) ("WZ"), in PG Section 5.1's setting [S]:
wealth :math:`dx=u(\mu\,dt+\sigma\,dW)` (risk-free rate 0, dollar amount
:math:`u` in the stock), :math:`x_0=1`, target :math:`z=1.4`, :math:`T=1`,
:math:`\Delta t=1/252`, temperature :math:`\lambda=0.1`, all parameters
(the multiplier :math:`w` included) initialised at 0, learning rates
:math:`\alpha\,j^{-0.51}` over iterations :math:`j` [S], training data a
20-year simulated return series from which every iteration draws 128 one-year
windows [S]. The Lagrange multiplier is updated every ``w_every=10``
iterations (PG's batch :math:`m=10` [S]) by
:math:`w\leftarrow w-\alpha_w(\bar x_T-z)`, :math:`\bar x_T` the mean terminal
wealth of the windows played since the previous update, with a *constant*
:math:`\alpha_w=0.05` as in WZ's Algorithm 1 [R] (PG's "same decay" is
read as applying to :math:`\alpha_\theta,\alpha_\phi` only;
``MVSetting(w_decay=0.51)`` gives the other reading).

Both work in WZ's cost form: minimise
:math:`E[(x_T-w)^2+\lambda\int_0^T\!\int\pi\log\pi\,du\,dt]-(w-z)^2`, whose
optimum over :math:`w` is the pre-committed mean-variance policy with
:math:`E x_T=z`. WZ's solution [S of WZ]:
:math:`\pi^*=N\big(-\frac{\mu}{\sigma^2}(x-w),\ \frac{\lambda}{2\sigma^2}e^{\rho^2(T-t)}\big)`,
:math:`\rho=\mu/\sigma`, :math:`w^*=(ze^{\rho^2T}-x_0)/(e^{\rho^2T}-1)`
(:func:`oracle_policy`). Out-of-sample evaluation:
:func:`theoryrl.evaluation.mean_variance.evaluate_policy`; PG's tables and
multi-run replication: :mod:`theoryrl.experiment.mean_variance`.

* :func:`emv_wang_zhou` -- WZ's EMV algorithm (PG Table 1): policy evaluation
  *and* the actor update by gradient descent on the mean-square TD error
  :math:`C=\frac12\sum_k(\dot V_k-\lambda H_k)^2\Delta t`,
  :math:`\dot V_k=(V_{k+1}-V_k)/\Delta t` (PG footnote 8 [S]: WZ used MSTDE).
  Parametrisation: WZ's published EMV one [R] (PG does not state it):
  :math:`V^\theta=(x-w)^2e^{-\theta_3(T-t)}+\theta_2t^2+\theta_1t+\theta_0`,
  :math:`\theta_3=2\phi_2`, :math:`\theta_0` pinned by :math:`V(T,x)=(x-w)^2-(w-z)^2`;
  :math:`\pi^\phi=N\big(-s\sqrt{2\phi_2/(\lambda\pi)}\,e^{(2\phi_1-1)/2}(x-w),\
  \tfrac1{2\pi}e^{2\phi_2(T-t)+2\phi_1-1}\big)`, entropy :math:`\phi_1+\phi_2(T-t)`.
  At WZ's optimum :math:`2\phi_2=\rho^2`, so the published coefficient
  (:math:`s=1`) is :math:`|\rho|/\sigma\ge0`: with :math:`\mu<0` the target
  could then only be met by :math:`w<x_0` (a short position that grows with
  :math:`|x-w|`), whose terminal variance is :math:`e^{2\rho^2T}` times the
  optimum's. We set :math:`s` to the sign of the training series' sample
  mean return (data, not the truth) [D]; :math:`\phi_2` is kept
  :math:`\ge0` (square root) [D]. Observed behaviour [N]: the MSTDE
  gradient sees :math:`\phi_1` only through :math:`\theta_1-\lambda\phi_1`, so
  :math:`\phi_1` stays near 0 (WZ's optimum:
  :math:`\frac12\log(\pi\lambda/\sigma^2)+\frac12`) and :math:`\phi_2` alone
  carries the coefficient; the :math:`\phi_2`-gradient has a bias of order
  :math:`(x-w)^2` per step (product of two :math:`O(\Delta t^{-1/2})` noises
  [R]) that pushes :math:`\phi_2` up, and where :math:`w` must travel far
  (small :math:`|\rho|`, :math:`\mu=0`) the run diverges within
  :math:`2\cdot10^4` iterations (``MVFit.diverged``).
* :func:`pg_offline_ac` -- PG's offline actor-critic (Algorithm 4 [S skeleton];
  PG Table 2): critic TD(0), i.e. the martingale orthogonality condition with
  test function :math:`\xi=\partial_\theta V^\theta` [S]; actor the policy
  gradient of PG Theorem 2 (score times the martingale increment, plus the
  regulariser's own derivative) [R form]. Parametrisation [R]:
  :math:`V^\theta=(x-w)^2e^{-\theta_3(T-t)}+\theta_2(t^2-T^2)+\theta_1(t-T)-(w-z)^2`,
  :math:`\pi^\phi=N(-\phi_1(x-w),\,e^{\phi_2+\phi_3(T-t)})` -- WZ's family with
  :math:`\theta_3` and the mean coefficient free (sign included); at WZ's
  optimum :math:`\phi_1=\mu/\sigma^2`, :math:`\phi_3=\theta_3=\rho^2`,
  :math:`\phi_2=\log(\lambda/2\sigma^2)`.

Neither learner gets near the oracle's coefficient :math:`\mu/\sigma^2` in
:math:`2\cdot10^4` iterations where :math:`|\rho|` is large (the gradient in
the coefficient shrinks like :math:`(x_0-w)^2e^{-2c\mu T}`); PG's tables show
the same: within the family :math:`u=-c(x-w)` with :math:`Ex_T=z` the
Sharpe ratio is :math:`(e^{c\mu T}-1)/\sqrt{e^{c^2\sigma^2T}-1}` (continuous
time), and PG's 7.35-8.15 at :math:`(\pm0.5, 0.1)` means :math:`|c|\approx1.5`-1.9,
where the oracle's :math:`c=50` gives a Sharpe ratio of order :math:`10^{11}`.

Compiled loops in ``_mean_variance_kernels``. Randomness [D]: three
children of ``numpy.random.SeedSequence(seed)`` give the training series,
the window starts and the action normals, each from its own generator and
drawn in chunks of iterations, so a seed fixes the run whatever ``chunk`` is.

References
----------
.. [1] Y. Jia and X. Y. Zhou, "Policy gradient and actor-critic learning in
   continuous time and space: theory and algorithms", JMLR 23(275), 2022 (PG).
.. [2] H. Wang and X. Y. Zhou, "Continuous-time mean-variance portfolio
   selection: a reinforcement learning framework", Mathematical Finance
   30(4), 2020 (WZ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int, check_positive, check_real, check_rng
from ._mean_variance_kernels import _pg_offline, _wz_emv

__all__ = [
    "MVFit",
    "MVSetting",
    "check_market",
    "check_setting",
    "emv_wang_zhou",
    "oracle_policy",
    "pg_offline_ac",
    "simulate_returns",
]


# ---------------------------------------------------------------------------
# setting, data
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MVSetting:
    """PG Section 5.1's fixed quantities ([S] unless tagged).

    Attributes
    ----------
    x0, z, T, dt : float
        Initial wealth 1, target 1.4, horizon 1, step 1/252 [S]; ``T / dt``
        must be an integer ``K`` (steps per episode).
    gamma : float
        Temperature :math:`\\lambda = 0.1` [S].
    years : int
        Length of the training return series, 20 years of ``K`` steps [S].
    batch : int
        One-year windows per iteration, 128 [S].
    w_every : int
        Iterations between multiplier updates, 10 [S: PG's batch ``m``; R: per iteration].
    decay : float
        ``alpha_j = alpha_0 j^{-decay}`` for critic and actor, 0.51 [S].
    w_decay : float
        The same for ``alpha_w`` (``j`` the update index); 0, constant as in
        WZ's Algorithm 1 [R].
    """

    x0: float = 1.0
    z: float = 1.4
    T: float = 1.0
    dt: float = 1 / 252
    gamma: float = 0.1
    years: int = 20
    batch: int = 128
    w_every: int = 10
    decay: float = 0.51
    w_decay: float = 0.0

    def __post_init__(self) -> None:
        check_real(self.x0, "x0")
        check_real(self.z, "z")
        check_positive(self.T, "T")
        check_positive(self.dt, "dt")
        check_positive(self.gamma, "gamma")
        check_positive(self.decay, "decay", allow_zero=True)
        check_positive(self.w_decay, "w_decay", allow_zero=True)
        check_int(self.years, "years", 1)
        check_int(self.batch, "batch", 1)
        check_int(self.w_every, "w_every", 1)
        K = self.T / self.dt
        if K < 1.0 - 1e-9:
            raise ValueError(f"dt must be at most T ({self.T}), got {self.dt}")
        if abs(K - round(K)) > 1e-6 * K:
            raise ValueError(f"T / dt must be an integer, got T={self.T}, dt={self.dt} "
                             f"(ratio {K:.9g})")

    @property
    def K(self) -> int:
        """Steps per episode, ``round(T / dt)``."""
        return int(round(self.T / self.dt))


def check_setting(setting) -> MVSetting:
    if setting is None:
        return MVSetting()
    if not isinstance(setting, MVSetting):
        raise TypeError(f"setting must be an MVSetting or None, got {type(setting).__name__}")
    return setting


def check_market(mu, sigma) -> tuple[float, float]:
    return check_real(mu, "mu"), check_positive(sigma, "sigma")


def simulate_returns(mu: float, sigma: float, shape: int | tuple[int, ...], dt: float,
                     rng: np.random.Generator) -> np.ndarray:
    r"""Exact GBM simple returns over steps of length ``dt`` [D].

    .. math::

        R = \exp\big((\mu-\tfrac12\sigma^2)\Delta t+\sigma\sqrt{\Delta t}\,Z\big)-1,
        \qquad Z\sim N(0,1)\ \text{i.i.d.}

    Parameters
    ----------
    mu : float
        Drift (annual, risk-free rate 0).
    sigma : float
        Volatility, > 0.
    shape : int or tuple of int
        Shape of the output; every entry >= 0.
    dt : float
        Step length, > 0.
    rng : numpy.random.Generator
        Source of the normals ``Z``.

    Returns
    -------
    ndarray, shape ``shape``
        Simple returns, each > -1.

    Examples
    --------
    >>> simulate_returns(0.1, 0.2, (2, 3), 1 / 252, np.random.default_rng(0)).shape
    (2, 3)
    """
    mu, sigma = check_market(mu, sigma)
    dt = check_positive(dt, "dt")
    rng = check_rng(rng)
    dims = (shape,) if not isinstance(shape, tuple) else shape
    shape = tuple(check_int(n, "shape", 0) for n in dims)
    Zs = rng.standard_normal(shape)
    return np.expm1((mu - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * Zs)


def oracle_policy(mu: float, sigma: float, setting: MVSetting | None = None
                  ) -> tuple[float, float]:
    r"""WZ's optimal mean policy ``(c, w)``, :math:`u = -c\,(x - w)` [S of WZ].

    .. math::

        c = \frac{\mu}{\sigma^2}, \qquad
        w = \frac{z e^{\rho^2 T} - x_0}{e^{\rho^2 T} - 1}, \qquad \rho = \mu/\sigma,

    the mean of WZ's optimal exploratory policy (it does not depend on the
    temperature). At :math:`\mu=0` no policy moves :math:`E x_T` and we return
    ``(0, z)``; for :math:`\rho^2T>700` the limit :math:`w=z`.

    Parameters
    ----------
    mu : float
        Drift.
    sigma : float
        Volatility, > 0.
    setting : MVSetting, optional
        ``x0``, ``z``, ``T`` (default PG's).

    Returns
    -------
    (float, float)
        The coefficient ``c`` and the multiplier ``w``.

    Examples
    --------
    >>> c, w = oracle_policy(0.5, 0.1)
    >>> round(c, 6), round(w, 6)
    (50.0, 1.4)
    """
    mu, sigma = check_market(mu, sigma)
    s = check_setting(setting)
    rho2T = (mu / sigma) ** 2 * s.T
    if rho2T == 0.0:
        return 0.0, s.z
    if rho2T > 700:
        return mu / sigma ** 2, s.z
    return mu / sigma ** 2, (s.z * math.exp(rho2T) - s.x0) / math.expm1(rho2T)


# ---------------------------------------------------------------------------
# learners
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MVFit:
    """A learned mean-variance policy.

    Attributes
    ----------
    algorithm : str
        ``"emv_wang_zhou"`` or ``"pg_offline_ac"``.
    mu, sigma : float
        The market it was trained on.
    theta, phi : ndarray
        Final critic and actor parameters (layouts in the learners' docstrings).
    w : float
        Final Lagrange multiplier.
    coef : float
        Mean coefficient: the policy's mean is ``u = -coef (x - w)``.
    xT_mean : ndarray (iterations,)
        Average training terminal wealth at each iteration (NaN after a divergence).
    w_path : ndarray (iterations,)
        Multiplier after each iteration.
    diverged : bool
        A parameter became non-finite (training stopped at that chunk).
    meta : dict
        Learning rates, iterations, seed, setting (and WZ's data sign).
    """

    algorithm: str
    mu: float
    sigma: float
    theta: np.ndarray
    phi: np.ndarray
    w: float
    coef: float
    xT_mean: np.ndarray
    w_path: np.ndarray
    diverged: bool = False
    meta: dict = field(default_factory=dict)


def _lr(alpha0: float, j0: int, n: int, decay: float) -> np.ndarray:
    return alpha0 * np.arange(j0 + 1, j0 + n + 1, dtype=float) ** (-decay)


def _train(kind, mu, sigma, iterations, lr_theta, lr_phi, lr_w, setting, seed,
           chunk) -> MVFit:
    mu, sigma = check_market(mu, sigma)
    s = check_setting(setting)
    iterations = check_int(iterations, "iterations", 1)
    lr_theta = check_positive(lr_theta, "lr_theta", allow_zero=True)
    lr_phi = check_positive(lr_phi, "lr_phi", allow_zero=True)
    lr_w = check_positive(lr_w, "lr_w", allow_zero=True)
    seed = check_int(seed, "seed", 0)
    chunk = check_int(chunk, "chunk", 1)
    K, m = s.K, s.batch
    n_days = s.years * K
    n_windows = n_days - K + 1
    ss_data, ss_starts, ss_normals = np.random.SeedSequence(seed).spawn(3)
    R = simulate_returns(mu, sigma, n_days, s.dt, np.random.default_rng(ss_data))
    rng_starts = np.random.default_rng(ss_starts)
    rng_normals = np.random.default_rng(ss_normals)
    state = np.zeros(5)      # [w, x_T sum, count, iteration, w-update index]
    xT = np.full(iterations, np.nan)
    wp = np.full(iterations, np.nan)
    if kind == "pg":
        theta, phi, g = np.zeros(3), np.zeros(3), np.zeros(6)
        sign = 1.0
    else:
        theta, phi, g = np.zeros(2), np.zeros(2), np.zeros(4)
        sign = 1.0 if R.mean() >= 0 else -1.0
    diverged = False
    Zbuf = np.empty((min(chunk, iterations), m, K))
    for j0 in range(0, iterations, chunk):
        n = min(chunk, iterations - j0)
        # uniforms, not Generator.integers: the bounded-integer sampler buffers
        # 32-bit halves per call, so its stream would depend on the chunking
        starts = np.minimum((rng_starts.random((n, m)) * n_windows).astype(np.int64),
                            n_windows - 1)
        Z = Zbuf[:n]
        rng_normals.standard_normal(out=Z)
        a_th = _lr(lr_theta, j0, n, s.decay)
        a_ph = _lr(lr_phi, j0, n, s.decay)
        args = (R, starts, Z, s.dt, s.T, s.gamma, s.z, s.x0, a_th, a_ph, lr_w, s.w_decay,
                s.w_every)
        out = (state, xT[j0:j0 + n], wp[j0:j0 + n], g)
        if kind == "pg":
            _pg_offline(*args, theta, phi, *out)
        else:
            _wz_emv(*args, sign, theta, phi, *out)
        if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(phi))
                and math.isfinite(state[0])):
            diverged = True
            break
    w = float(state[0])
    meta = dict(iterations=iterations, lr_theta=lr_theta, lr_phi=lr_phi, lr_w=lr_w,
                seed=seed, setting=s)
    if kind == "pg":
        coef = float(phi[0])
        name = "pg_offline_ac"
    else:
        coef = float(sign * math.sqrt(2 * max(phi[1], 0.0) / (s.gamma * math.pi))
                     * math.exp(phi[0] - 0.5))
        name = "emv_wang_zhou"
        meta["sign"] = sign
    return MVFit(name, mu, sigma, theta, phi, w, coef, xT, wp, diverged, meta)


def emv_wang_zhou(mu: float, sigma: float, *, iterations: int = 20_000,
                  lr_theta: float = 5e-4, lr_phi: float = 5e-4, lr_w: float = 0.05,
                  setting: MVSetting | None = None, seed: int = 0,
                  chunk: int = 64) -> MVFit:
    r"""Wang & Zhou (2020)'s EMV actor-critic, MSTDE-based (PG Table 1's learner).

    Per iteration, with :math:`\theta,\phi,w` frozen over the windows, every
    parameter :math:`p\in\{\theta_1,\theta_2,\phi_1,\phi_2\}` does
    :math:`p\leftarrow p-\alpha_p\,\mathrm{mean}_n\,\partial_pC` with
    :math:`C=\frac12\sum_k(\dot V_k-\lambda(\phi_1+\phi_2(T-t_k)))^2\Delta t`
    (WZ's Algorithm 1 [R]; PG footnote 8 [S]). ``theta = [theta_1, theta_2]``,
    ``phi = [phi_1, phi_2]``; :math:`\theta_3=2\phi_2`. Defaults are PG's
    settings for it [S]: :math:`\alpha_\theta=\alpha_\phi=5\cdot10^{-4}`,
    :math:`\alpha_w=0.05`, decay :math:`j^{-0.51}`. The sign of the mean comes
    from the training data [D] (module docstring).

    Parameters
    ----------
    mu : float
        Drift of the simulated stock.
    sigma : float
        Volatility, > 0.
    iterations : int
        Iterations ``N`` (PG: :math:`2\cdot10^4` [S]); each plays ``setting.batch``
        one-year windows of the run's own ``setting.years``-year series.
    lr_theta, lr_phi, lr_w : float
        Initial learning rates (>= 0) of critic, actor and multiplier.
    setting : MVSetting, optional
        Fixed quantities (default PG's).
    seed : int
        Fixes the training series, the windows and the actions.
    chunk : int
        Iterations whose normals are drawn at once (memory only: the result
        does not depend on it).

    Returns
    -------
    MVFit
        The learned mean policy ``u = -coef (x - w)`` and the training traces.

    Examples
    --------
    >>> fit = emv_wang_zhou(0.5, 0.1, iterations=20, seed=1)
    >>> fit.coef > 0
    True
    """
    return _train("wz", mu, sigma, iterations, lr_theta, lr_phi, lr_w, setting, seed, chunk)


def pg_offline_ac(mu: float, sigma: float, *, iterations: int = 20_000,
                  lr_theta: float = 0.1, lr_phi: float = 0.1, lr_w: float = 0.05,
                  setting: MVSetting | None = None, seed: int = 0,
                  chunk: int = 64) -> MVFit:
    r"""PG's offline actor-critic (Algorithm 4; PG Table 2's learner), TD(0) critic.

    Per iteration, with :math:`\theta,\phi,w` frozen over the windows, the
    martingale increment (cost form) is
    :math:`\delta_k=V_{k+1}-V_k+\lambda\log\pi(a_k)\Delta t`; the critic does
    :math:`\theta\leftarrow\theta+\alpha_\theta\,\mathrm{mean}_n
    \sum_k\partial_\theta V_k\,\delta_k` (orthogonality with
    :math:`\xi=\partial_\theta V^\theta` [S]) and the actor
    :math:`\phi\leftarrow\phi-\alpha_\phi\,\mathrm{mean}_n
    \sum_k\partial_\phi\log\pi_k\,(\delta_k+\lambda\Delta t)` (PG Theorem 2 [R form]).
    ``theta = [theta_1, theta_2, theta_3]``, ``phi = [phi_1, phi_2, phi_3]``
    (parametrisation [R], module docstring). Defaults are PG's [S]:
    0.1, 0.1, 0.05, decay :math:`j^{-0.51}`.

    Parameters
    ----------
    mu : float
        Drift of the simulated stock.
    sigma : float
        Volatility, > 0.
    iterations : int
        Iterations ``N`` (PG: :math:`2\cdot10^4` [S]); each plays ``setting.batch``
        one-year windows of the run's own ``setting.years``-year series.
    lr_theta, lr_phi, lr_w : float
        Initial learning rates (>= 0) of critic, actor and multiplier.
    setting : MVSetting, optional
        Fixed quantities (default PG's).
    seed : int
        Fixes the training series, the windows and the actions.
    chunk : int
        Iterations whose normals are drawn at once (memory only: the result
        does not depend on it).

    Returns
    -------
    MVFit
        The learned mean policy ``u = -coef (x - w)`` and the training traces.

    Examples
    --------
    >>> fit = pg_offline_ac(-0.5, 0.1, iterations=20, seed=1)
    >>> fit.coef < 0
    True
    """
    return _train("pg", mu, sigma, iterations, lr_theta, lr_phi, lr_w, setting, seed, chunk)


# ---------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------
