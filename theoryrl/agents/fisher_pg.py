r"""Normalised momentum policy gradient: N-PG-IGT and (N-)HARPG.

Fatkhullin, Barakat, Kireeva and He (2023), *Stochastic policy gradient
methods: improved sample complexity for Fisher-non-degenerate policies*, ICML,
arXiv:2302.01734. With step :math:`\alpha_t`, momentum :math:`\eta_t` and one
sampled gradient :math:`g` per iteration:

**N-PG-IGT** (their Algorithm 1; implicit gradient transport of Cutkosky and
Mehta 2020): :math:`\tilde\theta_t = \theta_t + \frac{1-\eta_t}{\eta_t}(\theta_t - \theta_{t-1})`,
:math:`d_t = (1-\eta_t) d_{t-1} + \eta_t g(\tau_t, \tilde\theta_t)` with
:math:`\tau_t` sampled at :math:`\tilde\theta_t`,
:math:`\theta_{t+1} = \theta_t + \alpha_t d_t / \|d_t\|`, with
:math:`\eta_t = \eta_0 (2/(t+2))^{4/5}` and :math:`\alpha_t = \alpha_0\, 2/(t+2)`.

**N-HARPG**: :math:`\hat\theta_t = q_t\theta_t + (1-q_t)\theta_{t-1}`,
:math:`q_t \sim U[0,1]`;
:math:`d_t = (1-\eta_t)\big(d_{t-1} + B(\hat\tau_t,\hat\theta_t)(\theta_t - \theta_{t-1})\big)
+ \eta_t g(\tau_t, \theta_t)` with two independent trajectories and
:math:`\eta_t = \eta_0\, 2/(t+2)`; normalised step as above. **HARPG** takes
the plain step :math:`\alpha_0 (2/(t+2))^{1/2} d_t`.

The schedules are those of the authors' code. The step size is called
:math:`\alpha` here (the paper's :math:`\gamma_t`) to keep :math:`\gamma` for
the discount. The global rates of the paper (:math:`\tilde O(\varepsilon^{-2.5})`
and :math:`\tilde O(\varepsilon^{-2})` samples) assume a Fisher-non-degenerate
policy class; the tabular softmax is degenerate, see
``docs/theory/fisher_pg.md``.

An *oracle* supplies the samples: ``dim``, ``steps`` (environment steps per
trajectory), ``grad(theta, rng)`` (one GPOMDP gradient per row of ``theta``
(R, d)), ``hvp(theta, v, rng)`` (one Hessian-vector estimate per row) and
``value(theta)`` (exact :math:`J`). :class:`TabularOracle` and
:class:`GaussianBandit` are provided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, check_int, check_positive, check_rng
from ..evaluation.policy_gradient import PolicyGradientMDP

__all__ = ["GaussianBandit", "METHODS", "PGRun", "TabularOracle", "run_pg"]

#: Names accepted by :func:`run_pg`.
METHODS = ("n_pg_igt", "n_harpg", "harpg", "nsgd", "pg")


@dataclass(frozen=True)
class TabularOracle:
    """Samples from a :class:`~theoryrl.evaluation.policy_gradient.PolicyGradientMDP`
    with trajectories truncated at ``H`` steps.

    Attributes
    ----------
    mdp : PolicyGradientMDP
        The MDP and its policy class.
    H : int
        Trajectory length.
    """

    mdp: PolicyGradientMDP
    H: int

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return self.mdp.dim

    @property
    def steps(self) -> int:
        """Environment steps per trajectory."""
        return self.H

    def grad(self, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """GPOMDP on one fresh trajectory per row of ``theta``."""
        return self.mdp.gpomdp(theta, self.mdp.sample(theta, self.H, rng))

    def hvp(self, theta: np.ndarray, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Hessian-vector estimate on one fresh trajectory per row."""
        return self.mdp.hvp(theta, self.mdp.sample(theta, self.H, rng), v)

    def value(self, theta: np.ndarray) -> np.ndarray:
        """Exact discounted return."""
        return self.mdp.value(theta)


@dataclass(frozen=True)
class GaussianBandit:
    r"""One-state bandit with a Gaussian policy :math:`a \sim N(\theta, \sigma^2)`
    and reward :math:`r(a) = e^{-a^2/2}`, a Fisher-non-degenerate toy:
    :math:`J(\theta) = e^{-\theta^2/(2(1+\sigma^2))}/\sqrt{1+\sigma^2}`,
    maximal at :math:`\theta = 0`.

    Attributes
    ----------
    sigma : float
        Standard deviation of the policy.
    """

    sigma: float = 1.0

    dim = 1
    steps = 1

    def grad(self, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """:math:`r(a)(a-\\theta)/\\sigma^2` per row."""
        a = theta + self.sigma * rng.standard_normal(theta.shape)
        return np.exp(-a ** 2 / 2) * (a - theta) / self.sigma ** 2

    def hvp(self, theta: np.ndarray, v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """:math:`r(a)\\big((a-\\theta)^2/\\sigma^4 - 1/\\sigma^2\\big) v` per row."""
        a = theta + self.sigma * rng.standard_normal(theta.shape)
        s2 = self.sigma ** 2
        return np.exp(-a ** 2 / 2) * ((a - theta) ** 2 / s2 ** 2 - 1 / s2) * v

    def value(self, theta: np.ndarray) -> np.ndarray:
        """Exact :math:`J`."""
        c = 1 + self.sigma ** 2
        return np.exp(-theta[..., 0] ** 2 / (2 * c)) / np.sqrt(c)

    def optimum(self) -> float:
        """:math:`J^* = 1/\\sqrt{1+\\sigma^2}`."""
        return 1 / np.sqrt(1 + self.sigma ** 2)


@dataclass(frozen=True)
class PGRun:
    """Outcome of :func:`run_pg`.

    Attributes
    ----------
    t : ndarray of int
        The recorded iterations.
    values : ndarray, shape (len(t), R)
        Exact :math:`J(\theta_t)` of every run.
    samples : ndarray, shape (len(t),)
        Environment steps used by then.
    theta : ndarray, shape (R, d)
        Final parameters.
    """

    t: np.ndarray
    values: np.ndarray
    samples: np.ndarray
    theta: np.ndarray


def _normalise(d: np.ndarray) -> np.ndarray:
    return d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-12)


def run_pg(method: str, oracle, theta0, iterations: int, alpha0: float, *, runs: int = 1,
           eta0: float = 1.0, seed: int | np.random.Generator = 0,
           record=None) -> PGRun:
    r"""Run ``runs`` independent copies of a policy-gradient method.

    Parameters
    ----------
    method : {"n_pg_igt", "n_harpg", "harpg", "nsgd", "pg"}
        N-PG-IGT, N-HARPG, HARPG, normalised SGD without momentum
        (:math:`\alpha_0\, 2/(t+2)`), or vanilla PG (:math:`\alpha_0 (2/(t+2))^{1/2}`).
    oracle : TabularOracle or GaussianBandit
        The sampler (module docstring).
    theta0 : array_like, shape (d,)
        Initial parameters (the same for every run).
    iterations : int
        Iterations :math:`T`.
    alpha0 : float
        Initial step size.
    runs : int, optional
        Independent runs, vectorised.
    eta0 : float, optional
        Initial momentum (1 makes :math:`d_0` the first sampled gradient).
    seed : int or numpy.random.Generator, optional
        Seed of every draw.
    record : iterable of int, optional
        Iterations at which the exact value is recorded (default: every one).

    Returns
    -------
    PGRun
        Exact values at the recorded iterations, environment steps used, and
        the final parameters.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    T = check_int(iterations, "iterations", low=1)
    alpha0 = check_positive(alpha0, "alpha0")
    eta0 = check_positive(eta0, "eta0")
    if eta0 > 1:
        raise ValueError(f"eta0 must be in (0, 1], got {eta0}")
    n = check_int(runs, "runs", low=1)
    rng = check_rng(seed) if isinstance(seed, np.random.Generator) else np.random.default_rng(
        check_int(seed, "seed", low=0))
    theta0 = as_float_array(theta0, "theta0")
    if theta0.shape != (oracle.dim,):
        raise ValueError(f"theta0 must have shape ({oracle.dim},), got {theta0.shape}")
    rec = np.arange(T + 1) if record is None else np.unique(np.asarray(record, dtype=int))
    theta = np.tile(theta0, (n, 1))
    prev = theta.copy()
    d = np.zeros_like(theta)
    values, samples, ti, used = [], [], 0, 0
    for t in range(T + 1):
        if ti < rec.size and rec[ti] == t:
            values.append(oracle.value(theta))
            samples.append(used)
            ti += 1
        if t == T:
            break
        step = alpha0 * 2.0 / (t + 2)
        if method == "n_pg_igt":
            eta = eta0 * (2.0 / (t + 2)) ** 0.8
            tilde = theta + (1 - eta) / eta * (theta - prev)
            d = (1 - eta) * d + eta * oracle.grad(tilde, rng)
            used += oracle.steps
            new = theta + step * _normalise(d)
        elif method in ("n_harpg", "harpg"):
            if t == 0:
                d = oracle.grad(theta, rng)
                used += oracle.steps
            else:
                used += 2 * oracle.steps  # two independent trajectories
                eta = eta0 * 2.0 / (t + 2)
                q = rng.random((n, 1))
                hat = q * theta + (1 - q) * prev
                v = oracle.hvp(hat, theta - prev, rng)
                d = (1 - eta) * (d + v) + eta * oracle.grad(theta, rng)
            if method == "n_harpg":
                new = theta + step * _normalise(d)
            else:
                new = theta + alpha0 * np.sqrt(2.0 / (t + 2)) * d
        elif method == "nsgd":
            used += oracle.steps
            new = theta + step * _normalise(oracle.grad(theta, rng))
        else:  # "pg"
            used += oracle.steps
            new = theta + alpha0 * np.sqrt(2.0 / (t + 2)) * oracle.grad(theta, rng)
        prev, theta = theta, new
    return PGRun(rec[:ti], np.array(values), np.array(samples), theta)
