r"""One-dimensional diffusion models with closed-form values (policy plugged in).

Every model here is an uncontrolled SDE of the *Pearson* form

.. math::

    dX_t = (b_0 + b_1 X_t)\,dt + \sqrt{c_0 + c_1 X_t + c_2 X_t^2}\;dW_t,

i.e. a controlled diffusion with its (deterministic or relaxed stochastic)
feedback policy already substituted, as in docs/theory/martingale_td.md
(PE = Jia & Zhou, JMLR 23(154), 2022; PG = Jia & Zhou, JMLR 23(275), 2022).
Rewards and terminal payoffs are polynomials in ``x`` so that every population
quantity is a Gaussian moment where the law is
Gaussian.

Criteria (``horizon``):

* ``"finite"``: :math:`J(t,x)=E[\int_t^T e^{-\beta(s-t)} r\,ds + e^{-\beta(T-t)} h(X_T)]`;
* ``"discounted"``: :math:`J(x)=E\int_0^\infty e^{-\beta s} r(X_s)\,ds`;
* ``"ergodic"``: a pair :math:`(J, V)` with :math:`J(X_t)+\int_0^t (r-V)ds` a
  martingale (PG Section 4) [S].

Models and provenance tags:

* :class:`OUQuadratic` -- benchmark B1 [R, N];
* :class:`BrownianQuadratic` -- counterexample B2 [R, N];
* :class:`OUDiscounted` -- infinite-horizon benchmark B3 [R, N];
* :class:`ErgodicLQ` -- PG Section 5.2 ergodic LQ under a fixed Gaussian policy;
  coefficient values [S], coefficient structure and our closed form [R];
* :class:`MeanVarianceGaussian` -- PG Section 5.1 / Wang-Zhou mean-variance wealth
  under a fixed Gaussian feedback policy; closed-form value ours [R].

Sampling: exact Gaussian transitions when :math:`c_1=c_2=0` (OU, Brownian
motion) and Euler-Maruyama with ``substeps`` fine steps per observation
otherwise. Normals always come from the caller's
``numpy.random.Generator``; compiled kernels live in ``_diffusion_kernels``.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_positive, check_real, check_rng
from ._diffusion_kernels import _euler_paths, _gaussian_paths

__all__ = [
    "Diffusion1D",
    "OUQuadratic",
    "BrownianQuadratic",
    "OUDiscounted",
    "ErgodicLQ",
    "MeanVarianceGaussian",
    "PolyFeatures",
]

_HORIZONS = ("finite", "discounted", "ergodic")
_MAX_POWER = 4


def _names_one_of(message: str, names) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", message)
               for n in names)


def _guarded(init):
    """Turn arithmetic failures of a constructor into a ValueError naming its arguments.

    Extreme parameters overflow (``OverflowError``), underflow into a division
    by zero (``ZeroDivisionError``) or give a derived coefficient that is not
    finite; the caller sees one ``ValueError`` that lists the arguments given.
    A subclass's error raised by the base constructor about a derived
    coefficient (``c0``, ...) is reworded in terms of the subclass's arguments.
    """
    sig = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        outer = not getattr(self, "_guard_active", False)
        if not outer:
            return init(self, *args, **kwargs)
        object.__setattr__(self, "_guard_active", True)
        params = [n for n in sig.parameters if n != "self"]
        try:
            init(self, *args, **kwargs)
            bad = sorted(k for k, v in vars(self).items()
                         if isinstance(v, float) and not math.isfinite(v) and k != "T")
            if bad:
                raise OverflowError(f"derived {', '.join(bad)} not finite")
        except (OverflowError, ZeroDivisionError, ValueError, TypeError) as e:
            if isinstance(e, ValueError | TypeError) and _names_one_of(str(e), params):
                raise
            try:
                given = sig.bind(self, *args, **kwargs).arguments
            except TypeError:
                given = kwargs
            shown = ", ".join(f"{k}={v!r}" for k, v in given.items() if k != "self")
            raise ValueError(f"{type(self).__name__}: the arguments ({shown or 'defaults'}) "
                             f"are outside what double precision can represent ({e})") from None
        finally:
            self.__dict__.pop("_guard_active", None)

    return wrapper


def _check_terms(terms, name: str) -> tuple:
    """``((power, coef), ...)``: powers integers in [0, 4], coefficients finite reals."""
    try:
        items = list(terms)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of (power, coef) pairs, "
                        f"got {type(terms).__name__}") from None
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str | bytes) or not hasattr(item, "__len__") or len(item) != 2:
            raise TypeError(f"{name}[{i}] must be a (power, coef) pair, got {item!r}")
        p, c = item
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"{name}[{i}] power must be an integer, got {type(p).__name__}")
        if not (math.isfinite(float(p)) and float(p).is_integer()
                and 0 <= p <= _MAX_POWER):
            raise ValueError(f"{name}[{i}] power must be an integer in [0, {_MAX_POWER}], "
                             f"got {p!r}")
        out.append((int(p), check_real(c, f"{name}[{i}] coef")))
    return tuple(out)


def _one_minus_exp_over(beta: float, tau):
    """``(1 - exp(-beta tau)) / beta``, equal to ``tau`` at ``beta = 0``."""
    tau = np.asarray(tau, dtype=float)
    if beta == 0.0:
        return tau
    return -np.expm1(-beta * tau) / beta


# ---------------------------------------------------------------------------
# features
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PolyFeatures:
    r"""Linear features :math:`\phi_l(t, x) = f_l(t)\, x^{p_l}`, :math:`l = 1..L`.

    Calling ``phi(t, x)`` with ``t`` of shape ``(K,)`` and ``x`` of shape
    ``(n, K)`` returns the array ``(n, K, L)`` of
    :math:`\phi_l(t_k, x_{ik})`; an optional third argument ``xp`` (an
    array-API namespace such as CuPy) evaluates it there. The product form is
    what lets :mod:`theoryrl.evaluation._martingale_td_population` compute
    exact Gaussian moments [D]: an expectation such as
    :math:`E[\phi_l(t_i,X_{t_i})\phi_m(t_j,X_{t_j})] =
    f_l(t_i) f_m(t_j) E[X_{t_i}^{p_l} X_{t_j}^{p_m}]` is a bivariate Gaussian
    moment for the Gaussian models.

    Parameters
    ----------
    powers : tuple of int
        Powers :math:`p_l \in \{0, 1, 2, 3, 4\}`, length ``L``.
    time_fns : tuple of callable
        Time factors :math:`f_l`, length ``L``; ``f_l(t)`` maps a float
        array ``t`` to an array of the same shape (a scalar is broadcast).
    names : tuple of str
        Labels for plots and reprs, length ``L``.

    Attributes
    ----------
    L : int
        Number of features.

    Raises
    ------
    ValueError
        If the three tuples differ in length or a power is not an integer in
        ``[0, 4]``.
    """

    powers: tuple
    time_fns: tuple
    names: tuple

    def __post_init__(self) -> None:
        if len(self.powers) != len(self.time_fns) or len(self.powers) != len(self.names):
            raise ValueError("powers, time_fns and names must have equal lengths, got "
                             f"{len(self.powers)}, {len(self.time_fns)}, {len(self.names)}")
        for i, p in enumerate(self.powers):
            if isinstance(p, bool) or not isinstance(p, numbers.Real):
                raise TypeError(f"powers[{i}] must be an integer, got {type(p).__name__}")
            if not (math.isfinite(float(p)) and float(p).is_integer()
                    and 0 <= p <= _MAX_POWER):
                raise ValueError(f"powers[{i}] must be an integer in [0, {_MAX_POWER}], "
                                 f"got {p!r}")
        for i, f in enumerate(self.time_fns):
            if not callable(f):
                raise TypeError(f"time_fns[{i}] must be callable, got {type(f).__name__}")

    @property
    def L(self) -> int:
        return len(self.powers)

    def time_factors(self, t) -> np.ndarray:
        """``F[l, k] = f_l(t_k)``, shape (L, K)."""
        t = np.asarray(t, dtype=float)
        return np.stack([np.broadcast_to(np.asarray(f(t), dtype=float), t.shape)
                         for f in self.time_fns])

    def __call__(self, t, x, xp: ModuleType | None = None):
        if xp is None or xp is np:
            x = np.asarray(x, dtype=float)
            F = self.time_factors(t)
            return np.stack([F[l] * x ** p for l, p in enumerate(self.powers)], axis=-1)
        F = xp.asarray(self.time_factors(np.asarray(t)))
        return xp.stack([F[l, ...] * x ** p for l, p in enumerate(self.powers)], axis=-1)


def _const(c: float):
    return lambda t: np.full(np.shape(t), c, dtype=float)


# ---------------------------------------------------------------------------
# base model
# ---------------------------------------------------------------------------

class Diffusion1D:
    r"""A Pearson diffusion :math:`dX=(b_0+b_1X)dt+\sqrt{c_0+c_1X+c_2X^2}\,dW`.

    The base class of the models of this module: rewards and terminal payoffs
    are polynomials in ``x``, the criterion is the class attribute
    ``horizon`` (module docstring), and subclasses with a closed-form value
    override :meth:`value`. All arguments are keyword-only.

    Parameters
    ----------
    b0, b1 : float
        Drift :math:`b(x) = b_0 + b_1 x`.
    c0, c1, c2 : float
        Squared volatility :math:`\sigma^2(x) = c_0 + c_1 x + c_2 x^2`; it must
        be non-negative for every real ``x`` (:math:`c_0, c_2 \ge 0` and
        :math:`c_1^2 \le 4 c_0 c_2`). ``c1 = c2 = 0`` gives a Gaussian model
        (:attr:`gaussian`).
    T : float, default 1.0
        Horizon :math:`T > 0` when ``horizon == "finite"``; ignored otherwise.
    beta : float, default 0.0
        Discount rate :math:`\beta \ge 0`.
    m0, s0 : float, default 0.0
        Initial law :math:`X_0 \sim N(m_0, s_0^2)`, :math:`s_0 \ge 0`
        (``s0 = 0``: a point mass at ``m0``).
    reward_terms, terminal_terms : tuple of (int, float), default ()
        ``(power, coef)`` pairs of :math:`r(t,x)=\sum c\,x^p` and
        :math:`h(x)=\sum c\,x^p`.

    Attributes
    ----------
    horizon : {"finite", "discounted", "ergodic"}
        The criterion (a class attribute).
    T : float
        Horizon (``inf`` for continuing tasks).
    beta : float
        Discount rate :math:`\beta \ge 0`.
    m0, s0 : float
        Initial law :math:`X_0 \sim N(m_0, s_0^2)` (``s0 = 0``: a point mass).
    reward_terms, terminal_terms : tuple of (int, float)
        :math:`r(t,x)=\sum c\,x^p` and :math:`h(x)=\sum c\,x^p`.

    Raises
    ------
    ValueError
        If :math:`c_0 + c_1 x + c_2 x^2` is negative for some ``x``, or a
        scalar is out of its range.
    """

    horizon: str = "finite"

    @_guarded
    def __init__(self, *, b0: float, b1: float, c0: float, c1: float = 0.0,
                 c2: float = 0.0, T: float = 1.0, beta: float = 0.0, m0: float = 0.0,
                 s0: float = 0.0, reward_terms: tuple = (), terminal_terms: tuple = ()):
        self.b0, self.b1 = check_real(b0, "b0"), check_real(b1, "b1")
        self.c0, self.c1, self.c2 = check_real(c0, "c0"), check_real(c1, "c1"), check_real(c2, "c2")
        disc = self.c1 * self.c1 - 4 * self.c0 * self.c2
        if not math.isfinite(disc):
            raise ValueError("c0, c1, c2 are too large: the discriminant c1^2 - 4 c0 c2 "
                             f"overflows, got c0={self.c0}, c1={self.c1}, c2={self.c2}")
        if self.c2 < 0 or self.c0 < 0 or disc > 1e-12 * max(1.0, self.c1 * self.c1):
            raise ValueError("c0 + c1 x + c2 x^2 must be a non-negative variance for all "
                                 f"x, got c0={self.c0}, c1={self.c1}, c2={self.c2}")
        if self.horizon == "finite":
            self.T = check_positive(T, "T")
        else:
            self.T = math.inf
        self.beta = check_positive(beta, "beta", allow_zero=True)
        self.m0 = check_real(m0, "m0")
        self.s0 = check_positive(s0, "s0", allow_zero=True)
        self.reward_terms = _check_terms(reward_terms, "reward_terms")
        self.terminal_terms = _check_terms(terminal_terms, "terminal_terms")

    # -- coefficients --------------------------------------------------------
    @property
    def gaussian(self) -> bool:
        """Exact Gaussian transitions exist (constant volatility)."""
        return self.c1 == 0.0 and self.c2 == 0.0

    def drift(self, t, x):
        """:math:`b(t,x) = b_0 + b_1 x`."""
        return self.b0 + self.b1 * x

    def vol(self, t, x):
        r""":math:`\sigma(t,x) = \sqrt{c_0+c_1x+c_2x^2}`."""
        return (self.c0 + self.c1 * x + self.c2 * x * x) ** 0.5

    def reward(self, t, x):
        """Running reward rate :math:`r(t, x)` (vectorised, any array namespace)."""
        out = 0.0 * x
        for p, c in self.reward_terms:
            out = out + c * x ** p
        return out

    def terminal(self, x):
        """Terminal payoff :math:`h(x)`."""
        out = 0.0 * x
        for p, c in self.terminal_terms:
            out = out + c * x ** p
        return out

    def value(self, t, x):
        """Closed-form value :math:`J(t,x)` (raises if the model has none)."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form value")

    # -- exact Gaussian law (OU / Brownian motion) ---------------------------
    def transition(self, dt: float) -> tuple[float, float, float]:
        r"""``(a, c, s)`` with :math:`X_{t+dt} = a X_t + c + s Z` exactly (Gaussian models)."""
        if not self.gaussian:
            raise ValueError(f"{type(self).__name__} has state-dependent volatility; "
                             "no exact Gaussian transition (use scheme='euler')")
        dt = check_positive(dt, "dt")
        b1 = self.b1
        if b1 == 0.0:
            return 1.0, self.b0 * dt, math.sqrt(self.c0 * dt)
        a = math.exp(b1 * dt)
        c = self.b0 * math.expm1(b1 * dt) / b1
        s = math.sqrt(self.c0 * math.expm1(2 * b1 * dt) / (2 * b1))
        return a, c, s

    def moments(self, t) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of :math:`X_t` (Gaussian models), vectorised over ``t``."""
        if not self.gaussian:
            raise ValueError(f"{type(self).__name__} is not Gaussian")
        t = np.asarray(t, dtype=float)
        b1 = self.b1
        if b1 == 0.0:
            return self.m0 + self.b0 * t, self.s0 ** 2 + self.c0 * t
        e = np.exp(b1 * t)
        m = self.m0 * e + self.b0 * np.expm1(b1 * t) / b1
        v = self.s0 ** 2 * e * e + self.c0 * np.expm1(2 * b1 * t) / (2 * b1)
        return m, v

    def covariance(self, ti, tj) -> np.ndarray:
        r""":math:`\mathrm{Cov}(X_{t_i}, X_{t_j}) = e^{b_1|t_j-t_i|} v_{\min(t_i,t_j)}`."""
        ti, tj = np.asarray(ti, dtype=float), np.asarray(tj, dtype=float)
        _, v = self.moments(np.minimum(ti, tj))
        return np.exp(self.b1 * np.abs(tj - ti)) * v

    # -- sampling --------------------------------------------------------------
    def _grid_dt(self, K: int, dt: float | None) -> float:
        if self.horizon == "finite":
            if dt is not None and abs(dt * K - self.T) > 1e-9 * self.T:
                raise ValueError(f"dt must equal T / K = {self.T / K} for a finite "
                                 f"horizon, got {dt}")
            return self.T / K
        if dt is None:
            raise ValueError(f"dt must be given for horizon={self.horizon!r}")
        return check_positive(dt, "dt")

    def grid(self, K: int, dt: float | None = None) -> np.ndarray:
        """Observation times ``t_k = k dt``, shape (K+1,)."""
        K = check_int(K, "K", 1)
        return np.arange(K + 1) * self._grid_dt(K, dt)

    def sample_initial(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws of :math:`X_0 \\sim N(m_0, s_0^2)`."""
        return self.m0 + self.s0 * rng.standard_normal(n)

    def sample_paths(self, n: int, K: int, *, rng: np.random.Generator,
                     scheme: str = "exact", substeps: int = 1,
                     dt: float | None = None) -> np.ndarray:
        """Paths observed at ``t_k = k dt``, shape (n, K+1), compiled kernel.

        Parameters
        ----------
        n, K : int
            Paths and steps.
        rng : numpy.random.Generator
            Source of every normal (the initial state first, then the increments).
        scheme : {"exact", "euler"}
            ``"exact"``: Gaussian transitions (only where :attr:`gaussian`);
            ``"euler"``: Euler-Maruyama with ``substeps`` fine steps per step.
        dt : float, optional
            Step; must be ``T / K`` (the default) for a finite horizon.
        """
        n, K = check_int(n, "n", 1), check_int(K, "K", 1)
        rng = check_rng(rng)
        step = self._grid_dt(K, dt)
        substeps = check_int(substeps, "substeps", 1)
        x0 = self.sample_initial(n, rng)
        check_choice(scheme, "scheme", ("exact", "euler"))
        out = np.empty((n, K + 1))
        if scheme == "exact":
            a, c, s = self.transition(step)
            _gaussian_paths(x0, a, c, s, rng.standard_normal((n, K)), out)
        else:
            Z = rng.standard_normal((n, K * substeps))
            _euler_paths(x0, step, self.b0, self.b1, self.c0, self.c1, self.c2, Z,
                         substeps, out)
        return out

    def iter_path_chunks(self, n: int, K: int, *, seed: int, chunk: int = 4096,
                         scheme: str = "exact", substeps: int = 1,
                         dt: float | None = None) -> Iterator[np.ndarray]:
        """Yield ``ceil(n / chunk)`` path blocks (<= chunk, K+1); memory O(chunk K).

        Block ``i`` uses the generator ``SeedSequence(seed).spawn(n_chunks)[i]``,
        so a block's numbers do not depend on how blocks are scheduled.
        """
        n, chunk = check_int(n, "n", 1), check_int(chunk, "chunk", 1)
        seed = check_int(seed, "seed", 0)
        n_chunks = -(-n // chunk)
        for i, ss in enumerate(np.random.SeedSequence(seed).spawn(n_chunks)):
            m = min(chunk, n - i * chunk)
            yield self.sample_paths(m, K, rng=np.random.default_rng(ss), scheme=scheme,
                                    substeps=substeps, dt=dt)

    def sample_paths_xp(self, n: int, K: int, *, rng: np.random.Generator, xp: ModuleType,
                        dt: float | None = None) -> Any:
        """Exact Gaussian paths (n, K+1) written against the array-API namespace ``xp``.

        The normals come from ``rng`` on the host (same numbers as
        :meth:`sample_paths` for the same generator state) and are moved to
        ``xp`` once; the recursion runs as K vectorised array operations, so on
        CuPy all paths of a chunk advance together on the device [D].
        """
        n, K = check_int(n, "n", 1), check_int(K, "K", 1)
        rng = check_rng(rng)
        a, c, s = self.transition(self._grid_dt(K, dt))
        x0 = xp.asarray(self.sample_initial(n, rng))
        Z = xp.asarray(rng.standard_normal((n, K)))
        cols = [x0]
        x = x0
        for k in range(K):
            x = a * x + c + s * Z[:, k]
            cols.append(x)
        return xp.stack(cols, axis=1)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(horizon={self.horizon!r}, T={self.T}, "
                f"beta={self.beta})")


# ---------------------------------------------------------------------------
# B1: OU with quadratic reward
# ---------------------------------------------------------------------------

class OUQuadratic(Diffusion1D):
    r"""Benchmark B1 [R, N]: :math:`dX=-\kappa X\,dt+\sigma\,dW`, :math:`r=qx^2`, :math:`h=px^2`.

    With :math:`\tau=T-t` and :math:`\gamma_\kappa = 2\kappa+\beta`,

    .. math::

        J(t,x) = a(\tau)x^2 + c(\tau),\quad
        a(\tau) = \tfrac{q}{\gamma_\kappa} + (p-\tfrac{q}{\gamma_\kappa})e^{-\gamma_\kappa\tau},

        c(\tau) = \sigma^2\Big[\tfrac{q}{\gamma_\kappa}\tfrac{1-e^{-\beta\tau}}{\beta}
                  + (p-\tfrac{q}{\gamma_\kappa})
                    \tfrac{e^{-\beta\tau}-e^{-\gamma_\kappa\tau}}{2\kappa}\Big].

    Defaults give :math:`\theta^*=(0.454545, 0.045455, 0.113636, 0.011364)`,
    :math:`J(0,1)=0.566598`, :math:`J(0,0)=0.107016`.

    Parameters
    ----------
    kappa : float, default 1.0
        Mean-reversion rate :math:`\kappa > 0`.
    sigma : float, default 0.5
        Volatility :math:`\sigma > 0`.
    q : float, default 1.0
        Running reward coefficient, :math:`r(x) = q x^2`.
    p : float, default 0.5
        Terminal payoff coefficient, :math:`h(x) = p x^2`.
    beta : float, default 0.2
        Discount rate :math:`\beta \ge 0`.
    T : float, default 1.0
        Horizon :math:`T > 0`.
    m0, s0 : float, default 0.5
        Initial law :math:`X_0 \sim N(m_0, s_0^2)`.

    Attributes
    ----------
    gk : float
        :math:`\gamma_\kappa = 2\kappa + \beta`.
    """

    @_guarded
    def __init__(self, kappa: float = 1.0, sigma: float = 0.5, q: float = 1.0,
                 p: float = 0.5, beta: float = 0.2, T: float = 1.0, m0: float = 0.5,
                 s0: float = 0.5):
        self.kappa = check_positive(kappa, "kappa")
        self.sigma = check_positive(sigma, "sigma")
        self.q, self.p = check_real(q, "q"), check_real(p, "p")
        super().__init__(b0=0.0, b1=-self.kappa, c0=self.sigma ** 2, T=T, beta=beta, m0=m0,
                         s0=s0, reward_terms=((2, self.q),), terminal_terms=((2, self.p),))
        self.gk = 2 * self.kappa + self.beta

    def value(self, t, x):
        tau = self.T - np.asarray(t, dtype=float)
        qg = self.q / self.gk
        a = qg + (self.p - qg) * np.exp(-self.gk * tau)
        c = self.sigma ** 2 * (qg * _one_minus_exp_over(self.beta, tau)
                               + (self.p - qg) * (np.exp(-self.beta * tau)
                                                  - np.exp(-self.gk * tau)) / (2 * self.kappa))
        return a * np.asarray(x, dtype=float) ** 2 + c

    @property
    def theta_star(self) -> np.ndarray:
        """Coefficients of :meth:`value` in :meth:`realizable_features`."""
        qg = self.q / self.gk
        return np.array([qg, self.p - qg, self.sigma ** 2 * qg,
                         self.sigma ** 2 * (self.p - qg)])

    def realizable_features(self) -> PolyFeatures:
        r""":math:`\phi=(x^2, x^2e^{-\gamma_\kappa\tau}, (1-e^{-\beta\tau})/\beta,
        (e^{-\beta\tau}-e^{-\gamma_\kappa\tau})/(2\kappa))`."""
        T, b, g, k = self.T, self.beta, self.gk, self.kappa
        return PolyFeatures(
            (2, 2, 0, 0),
            (_const(1.0), lambda t: np.exp(-g * (T - t)),
             lambda t: _one_minus_exp_over(b, T - t),
             lambda t: (np.exp(-b * (T - t)) - np.exp(-g * (T - t))) / (2 * k)),
            ("x^2", "x^2 e^{-g tau}", "(1-e^{-b tau})/b", "(e^{-b tau}-e^{-g tau})/2k"))

    def features(self, kind: str = "realizable") -> PolyFeatures:
        """``"realizable"`` (4 features), ``"quad"`` = [1, x^2], ``"quad_tau"`` = [1, x^2, T-t]."""
        check_choice(kind, "kind", ("realizable", "quad", "quad_tau"))
        if kind == "realizable":
            return self.realizable_features()
        T = self.T
        if kind == "quad":
            return PolyFeatures((0, 2), (_const(1.0), _const(1.0)), ("1", "x^2"))
        return PolyFeatures((0, 2, 0), (_const(1.0), _const(1.0), lambda t: T - t),
                            ("1", "x^2", "T-t"))


# ---------------------------------------------------------------------------
# B2: Brownian motion with terminal x^2
# ---------------------------------------------------------------------------

class BrownianQuadratic(Diffusion1D):
    r"""Counterexample B2 [R, N]: :math:`dX=\sigma dW`, :math:`r=0`, :math:`h=x^2`, :math:`\beta=0`.

    :math:`J(t,x)=x^2+\sigma^2(T-t)`; in the family
    :math:`J^\theta=\theta_1x^2+\theta_2(T-t)` the truth is :math:`(1,\sigma^2)`
    and the population MSTDE minimiser is :math:`((3K-2)/(5K-4), \sigma^2)`.

    Parameters
    ----------
    sigma : float, default 0.7
        Volatility :math:`\sigma > 0`.
    T : float, default 2.0
        Horizon :math:`T > 0`.
    m0, s0 : float, default 0.0
        Initial law :math:`X_0 \sim N(m_0, s_0^2)` (default: :math:`X_0 = 0`).
    """

    @_guarded
    def __init__(self, sigma: float = 0.7, T: float = 2.0, m0: float = 0.0, s0: float = 0.0):
        self.sigma = check_positive(sigma, "sigma")
        super().__init__(b0=0.0, b1=0.0, c0=self.sigma ** 2, T=T, beta=0.0, m0=m0, s0=s0,
                         terminal_terms=((2, 1.0),))

    def value(self, t, x):
        return np.asarray(x, dtype=float) ** 2 + self.sigma ** 2 * (self.T - np.asarray(t))

    @property
    def theta_star(self) -> np.ndarray:
        return np.array([1.0, self.sigma ** 2])

    def features(self, kind: str = "realizable") -> PolyFeatures:
        """``[x^2, T - t]`` (the B2 family)."""
        check_choice(kind, "kind", ("realizable",))
        T = self.T
        return PolyFeatures((2, 0), (_const(1.0), lambda t: T - t), ("x^2", "T-t"))


# ---------------------------------------------------------------------------
# B3: OU, discounted infinite horizon
# ---------------------------------------------------------------------------

class OUDiscounted(Diffusion1D):
    r"""Benchmark B3 [R, N]: OU with :math:`r=qx^2` over an infinite horizon.

    :math:`J(x) = a x^2 + c` with :math:`a=q/(2\kappa+\beta)` and
    :math:`c=\sigma^2a/\beta`; :math:`X_0` stationary, :math:`N(0,\sigma^2/2\kappa)`.

    Parameters
    ----------
    kappa : float, default 1.0
        Mean-reversion rate :math:`\kappa > 0`
        (:math:`dX = -\kappa X\,dt + \sigma\,dW`).
    sigma : float, default 0.5
        Volatility :math:`\sigma > 0`.
    q : float, default 1.0
        Reward coefficient, :math:`r(x) = q x^2`.
    beta : float, default 0.5
        Discount rate :math:`\beta > 0` (strictly: the value is infinite at 0).
    """

    horizon = "discounted"

    @_guarded
    def __init__(self, kappa: float = 1.0, sigma: float = 0.5, q: float = 1.0,
                 beta: float = 0.5):
        self.kappa = check_positive(kappa, "kappa")
        self.sigma = check_positive(sigma, "sigma")
        self.q = check_real(q, "q")
        beta = check_positive(beta, "beta")
        super().__init__(b0=0.0, b1=-self.kappa, c0=self.sigma ** 2, beta=beta, m0=0.0,
                         s0=self.sigma / math.sqrt(2 * self.kappa),
                         reward_terms=((2, self.q),))

    @property
    def theta_star(self) -> np.ndarray:
        """``(a, c)`` in the features ``[x^2, 1]``."""
        a = self.q / (2 * self.kappa + self.beta)
        return np.array([a, self.sigma ** 2 * a / self.beta])

    def value(self, t, x):
        a, c = self.theta_star
        return a * np.asarray(x, dtype=float) ** 2 + c

    def features(self, kind: str = "realizable") -> PolyFeatures:
        check_choice(kind, "kind", ("realizable",))
        return PolyFeatures((2, 0), (_const(1.0), _const(1.0)), ("x^2", "1"))


# ---------------------------------------------------------------------------
# PG Section 5.2: ergodic LQ under a fixed Gaussian policy
# ---------------------------------------------------------------------------

class ErgodicLQ(Diffusion1D):
    r"""PG Section 5.2 ergodic LQ [S values; R structure and closed form].

    Controlled dynamics :math:`dX=(AX+Ba)dt+(CX+Da)dW` with :math:`A=-1`,
    :math:`B=C=0`, :math:`D=1`; reward
    :math:`r(x,a)=-(\tfrac M2x^2+Rxa+\tfrac N2a^2+Px+Qa)` with :math:`M=N=Q=2`,
    :math:`R=P=1`, plus the entropy bonus :math:`\gamma\cdot\frac12\log(2\pi e v)`,
    :math:`\gamma=0.1`. Under the Gaussian policy
    :math:`a\sim N(\phi_1x+\phi_2, v)`, :math:`v=e^{\phi_3}`, the relaxed SDE is
    :math:`dX=AX\,dt+D\sqrt{(\phi_1x+\phi_2)^2+v}\,dW`, and with
    :math:`J=\frac12\theta_ax^2+\theta_bx` (PG's parametrisation) the ergodic
    Feynman-Kac equation :math:`AxJ'+\frac12\sigma^2J''+\bar r-V=0` gives

    .. math::

        \theta_a=-\frac{r_2}{A+D^2\phi_1^2/2},\quad
        \theta_b=-\frac{r_1+D^2\theta_a\phi_1\phi_2}{A},\quad
        V=r_0+\tfrac12 D^2\theta_a(\phi_2^2+v),

    where :math:`\bar r(x)=r_2x^2+r_1x+r_0` is the policy-averaged reward.
    :math:`X_0` is normal with the stationary mean 0 and variance
    :math:`D^2(\phi_2^2+v)/(-2A-D^2\phi_1^2)` (the stationary law itself is
    not normal when :math:`\phi_1 \ne 0`, the volatility then depending on
    :math:`x`).

    Parameters
    ----------
    phi1, phi2 : float, default 0.0
        Mean :math:`\phi_1 x + \phi_2` of the Gaussian policy; must satisfy
        :math:`2A + D^2\phi_1^2 < 0` (finite stationary variance).
    phi3 : float, default 0.0
        Log-variance of the policy, :math:`v = e^{\phi_3}`.
    A : float, default -1.0
        Drift coefficient of the state (keyword-only, as are the rest).
    D : float, default 1.0
        Volatility coefficient of the action.
    M, R, N, P, Q : float
        Reward coefficients (defaults 2, 1, 2, 1, 2, PG's values).
    gamma : float, default 0.1
        Entropy temperature :math:`\gamma \ge 0`.

    Attributes
    ----------
    v : float
        Policy variance :math:`e^{\phi_3}`.
    r2, r1, r0 : float
        Coefficients of the policy-averaged reward :math:`\bar r`, the
        entropy bonus included in :math:`r_0`.

    Raises
    ------
    ValueError
        If :math:`2A + D^2\phi_1^2 \ge 0`.
    """

    horizon = "ergodic"

    @_guarded
    def __init__(self, phi1: float = 0.0, phi2: float = 0.0, phi3: float = 0.0, *,
                 A: float = -1.0, D: float = 1.0, M: float = 2.0, R: float = 1.0,
                 N: float = 2.0, P: float = 1.0, Q: float = 2.0, gamma: float = 0.1):
        self.phi1, self.phi2, self.phi3 = (check_real(phi1, "phi1"), check_real(phi2, "phi2"),
                                           check_real(phi3, "phi3"))
        self.A, self.D = check_real(A, "A"), check_real(D, "D")
        self.M, self.R, self.N, self.P, self.Q = (check_real(M, "M"), check_real(R, "R"),
                                                  check_real(N, "N"), check_real(P, "P"),
                                                  check_real(Q, "Q"))
        self.gamma = check_positive(gamma, "gamma", allow_zero=True)
        v = math.exp(self.phi3)
        self.v = v
        D2 = self.D ** 2
        if not 2 * self.A + D2 * self.phi1 ** 2 < 0:
            raise ValueError("phi1 must satisfy 2A + D^2 phi1^2 < 0 (finite stationary "
                             f"variance), got phi1={self.phi1}, A={self.A}")
        p1, p2 = self.phi1, self.phi2
        self.r2 = -(self.M / 2 + self.R * p1 + self.N * p1 ** 2 / 2)
        self.r1 = -(self.R * p2 + self.N * p1 * p2 + self.P + self.Q * p1)
        self.r0 = (-(self.N / 2 * (p2 ** 2 + v) + self.Q * p2)
                   + self.gamma * 0.5 * math.log(2 * math.pi * math.e * v))
        s0 = math.sqrt(D2 * (p2 ** 2 + v) / (-2 * self.A - D2 * p1 ** 2))
        super().__init__(b0=0.0, b1=self.A, c0=D2 * (p2 ** 2 + v), c1=D2 * 2 * p1 * p2,
                         c2=D2 * p1 ** 2, beta=0.0, m0=0.0, s0=s0,
                         reward_terms=((2, self.r2), (1, self.r1), (0, self.r0)))

    @property
    def theta_star(self) -> np.ndarray:
        r"""``(theta_a, theta_b)`` of :math:`J=\frac12\theta_a x^2+\theta_b x`."""
        D2 = self.D ** 2
        ta = -self.r2 / (self.A + D2 * self.phi1 ** 2 / 2)
        tb = -(self.r1 + D2 * ta * self.phi1 * self.phi2) / self.A
        return np.array([ta, tb])

    @property
    def average_reward(self) -> float:
        """The long-run average reward :math:`V` of the policy."""
        ta = self.theta_star[0]
        return self.r0 + 0.5 * self.D ** 2 * ta * (self.phi2 ** 2 + self.v)

    def value(self, t, x):
        ta, tb = self.theta_star
        x = np.asarray(x, dtype=float)
        return 0.5 * ta * x ** 2 + tb * x

    def features(self, kind: str = "realizable") -> PolyFeatures:
        """``[x^2 / 2, x]`` (PG's quadratic without constant)."""
        check_choice(kind, "kind", ("realizable",))
        return PolyFeatures((2, 1), (_const(0.5), _const(1.0)), ("x^2/2", "x"))


# ---------------------------------------------------------------------------
# PG Section 5.1: mean-variance wealth under a fixed Gaussian feedback policy
# ---------------------------------------------------------------------------

class MeanVarianceGaussian(Diffusion1D):
    r"""Mean-variance wealth under :math:`u\sim N(-\phi_1(x-w), v)` [R closed form].

    Wealth (risk-free rate 0, dollar amount :math:`u` in the stock, PG Section 5.1 [S]):
    :math:`dx=\mu u\,dt+\sigma u\,dW`. The relaxed SDE has drift
    :math:`-\mu\phi_1(x-w)` and variance :math:`\sigma^2(\phi_1^2(x-w)^2+v)`.
    Objective (maximised; :math:`\beta=0`): running entropy
    :math:`\gamma\frac12\log(2\pi e v)`, terminal :math:`h(x)=-(x-w)^2+(w-z)^2`.
    With :math:`y=x-w`, :math:`k=\sigma^2\phi_1^2-2\mu\phi_1`, :math:`\tau=T-t`,

    .. math::

        J(t,x) = -e^{k\tau}y^2 - \sigma^2 v\,\frac{e^{k\tau}-1}{k}
                 + \gamma\tfrac12\log(2\pi e v)\,\tau + (w-z)^2 .

    Wang-Zhou's optimal exploratory mean is :math:`\phi_1=\mu/\sigma^2`
    (:math:`k=-\rho^2`, :math:`\rho=\mu/\sigma`); its variance is time-varying,
    which this constant-``v`` class does not model [D].

    Parameters
    ----------
    mu : float, default 0.3
        Drift :math:`\mu` of the stock (its excess return rate; the
        risk-free rate is 0).
    sigma : float, default 0.2
        Stock volatility :math:`\sigma > 0`.
    phi1 : float, optional
        Feedback gain :math:`\phi_1` of the policy mean (keyword-only, as are
        the rest); default :math:`\mu/\sigma^2`, Wang-Zhou's optimal one.
    v : float, default 0.01
        Policy variance :math:`v > 0`.
    w : float, default 1.4
        Lagrange multiplier :math:`w` of the mean constraint (the centre of
        the policy and of :math:`h`).
    z : float, default 1.4
        Target expected terminal wealth :math:`z`.
    gamma : float, default 0.1
        Entropy temperature :math:`\gamma \ge 0`.
    T : float, default 1.0
        Horizon :math:`T > 0`.
    x0 : float, default 1.0
        Initial wealth (a point mass).

    Attributes
    ----------
    k : float
        :math:`k = \sigma^2\phi_1^2 - 2\mu\phi_1`.
    entropy : float
        Entropy :math:`\frac12\log(2\pi e v)` of the policy.

    References
    ----------
    .. [1] H. Wang and X. Y. Zhou, "Continuous-time mean-variance portfolio
       selection: a reinforcement learning framework", Mathematical Finance
       30(4), 2020.
    """

    @_guarded
    def __init__(self, mu: float = 0.3, sigma: float = 0.2, *, phi1: float | None = None,
                 v: float = 0.01, w: float = 1.4, z: float = 1.4, gamma: float = 0.1,
                 T: float = 1.0, x0: float = 1.0):
        self.mu = check_real(mu, "mu")
        self.sigma = check_positive(sigma, "sigma")
        self.phi1 = self.mu / self.sigma ** 2 if phi1 is None else check_real(phi1, "phi1")
        self.v = check_positive(v, "v")
        self.w, self.z, self.x0 = check_real(w, "w"), check_real(z, "z"), check_real(x0, "x0")
        self.gamma = check_positive(gamma, "gamma", allow_zero=True)
        s2, p1, w_ = self.sigma ** 2, self.phi1, self.w
        self.k = s2 * p1 ** 2 - 2 * self.mu * p1
        self.entropy = 0.5 * math.log(2 * math.pi * math.e * self.v)
        super().__init__(b0=self.mu * p1 * w_, b1=-self.mu * p1,
                         c0=s2 * (p1 ** 2 * w_ ** 2 + self.v), c1=-2 * s2 * p1 ** 2 * w_,
                         c2=s2 * p1 ** 2, T=T, beta=0.0, m0=self.x0, s0=0.0,
                         reward_terms=((0, self.gamma * self.entropy),),
                         terminal_terms=((2, -1.0), (1, 2 * w_),
                                         (0, -w_ ** 2 + (w_ - self.z) ** 2)))

    def value(self, t, x):
        tau = self.T - np.asarray(t, dtype=float)
        y = np.asarray(x, dtype=float) - self.w
        k = self.k
        ek = np.exp(k * tau)
        grow = np.expm1(k * tau) / k if k != 0 else tau
        return (-ek * y ** 2 - self.sigma ** 2 * self.v * grow
                + self.gamma * self.entropy * tau + (self.w - self.z) ** 2)

    def terminal_moments(self) -> tuple[float, float]:
        """Exact mean and variance of :math:`X_T` under the relaxed dynamics."""
        k, T = self.k, self.T
        y0 = self.x0 - self.w
        a = -self.mu * self.phi1
        mean = self.w + y0 * math.exp(a * T)
        ey2 = math.exp(k * T) * y0 ** 2 + self.sigma ** 2 * self.v * (
            math.expm1(k * T) / k if k != 0 else T)
        return mean, ey2 - (mean - self.w) ** 2

    def features(self, kind: str = "realizable") -> PolyFeatures:
        """Realizable: ``[(x-w)^2 e^{k tau}, (e^{k tau}-1)/k, tau, 1]`` expanded in powers."""
        check_choice(kind, "kind", ("realizable",))
        T, k, w = self.T, self.k, self.w

        def ek(t):
            return np.exp(k * (T - np.asarray(t, dtype=float)))

        return PolyFeatures(
            (2, 1, 0, 0, 0, 0),
            (ek, lambda t: -2 * w * ek(t), lambda t: w * w * ek(t),
             lambda t: (np.expm1(k * (T - np.asarray(t, dtype=float))) / k if k != 0
                        else T - np.asarray(t, dtype=float)),
             lambda t: T - np.asarray(t, dtype=float), _const(1.0)),
            ("x^2 e", "x e", "e", "(e-1)/k", "tau", "1"))
