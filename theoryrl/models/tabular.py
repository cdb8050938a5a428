"""Exact tabular MDPs: episodic, discounted and average-reward."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (
    ATOL,
    as_float_array,
    check_discount,
    check_distribution,
    check_distribution_rows,
    check_int,
    check_kernel,
    check_real_dtype,
    check_rng,
)

__all__ = ["MDPSpec", "TabularMDP", "check_policy"]


@dataclass(frozen=True, eq=False)
class MDPSpec:
    """What a learner may know about an MDP: sizes, criterion, rewards, init.

    Never the transition kernel. ``R`` and ``init`` are read-only arrays.

    Parameters
    ----------
    n_states : int
        Number of states :math:`S`.
    n_actions : int
        Number of actions :math:`A`.
    horizon : int or None
        Episode length :math:`H` (episodic criterion), else None.
    gamma : float or None
        Discount factor (discounted criterion), else None; both None: average reward.
    R : numpy.ndarray, shape (S, A) or (H, S, A)
        Mean rewards in [0, 1].
    init : numpy.ndarray, shape (S,)
        Initial-state distribution.

    Examples
    --------
    >>> from theoryrl.envs import riverswim
    >>> spec = riverswim(4, horizon=5).spec
    >>> spec.n_states, spec.n_actions, spec.criterion, hasattr(spec, "P")
    (4, 2, 'episodic', False)
    """

    n_states: int
    n_actions: int
    horizon: int | None
    gamma: float | None
    R: np.ndarray
    init: np.ndarray

    @property
    def criterion(self) -> str:
        """``"episodic"``, ``"discounted"`` or ``"average"``."""
        return _criterion(self.horizon, self.gamma)


def _criterion(horizon, gamma) -> str:
    if horizon is not None:
        return "episodic"
    return "discounted" if gamma is not None else "average"


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def check_policy(policy, n_states: int, n_actions: int, horizon: int | None,
                 name: str = "policy") -> np.ndarray:
    """Validate a Markov policy and return it with a leading stage axis if episodic.

    Accepted: int (S,) / (H, S) deterministic, float (S, A) / (H, S, A)
    stochastic (rows distributions within 1e-9). A stationary policy of an
    episodic MDP is broadcast over the H stages.

    Parameters
    ----------
    policy : array_like
        Deterministic (int) or stochastic (float) policy.
    n_states : int
        Number of states :math:`S`.
    n_actions : int
        Number of actions :math:`A`.
    horizon : int or None
        Episode length :math:`H`, or None for a stationary criterion.
    name : str, default "policy"
        Name used in error messages.

    Returns
    -------
    numpy.ndarray
        int64 (H, S) or float64 (H, S, A) for episodic MDPs, and (S,) or (S, A)
        otherwise.

    Raises
    ------
    ValueError
        Naming ``name`` and the offending index.

    Examples
    --------
    >>> check_policy([0, 1], n_states=2, n_actions=2, horizon=3)
    array([[0, 1],
           [0, 1],
           [0, 1]])
    """
    a = np.asarray(policy)
    S, A = n_states, n_actions
    if a.dtype.kind in "iu":
        if a.shape not in ((S,),) + (((horizon, S),) if horizon else ()):
            want = f"(S,)=({S},)" + (f" or (H, S)=({horizon}, {S})" if horizon else "")
            raise ValueError(f"{name} (deterministic) must have shape {want}, got {a.shape}")
        bad = (a < 0) | (a >= A)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            raise ValueError(f"{name}{list(i)} must be an action in [0, {A}), got {a[i]}")
        a = a.astype(np.int64)
        if horizon:
            a = np.ascontiguousarray(np.broadcast_to(a, (horizon, S)))
        return a
    if a.dtype.kind == "f":
        if a.shape not in ((S, A),) + (((horizon, S, A),) if horizon else ()):
            want = f"(S, A)=({S}, {A})" + (f" or (H, S, A)=({horizon}, {S}, {A})"
                                           if horizon else "")
            raise ValueError(f"{name} (stochastic) must have shape {want}, got {a.shape}")
        a = check_distribution_rows(as_float_array(a, name), name)
        if horizon:
            a = np.ascontiguousarray(np.broadcast_to(a, (horizon, S, A)))
        return a
    raise TypeError(f"{name} must be an int (deterministic) or float (stochastic) array, "
                    f"got dtype {a.dtype}")


def _rewards(R) -> np.ndarray:
    """``R`` as float64, where ``-inf`` is allowed (an infeasible action)."""
    try:
        raw = np.asarray(R)
    except (TypeError, ValueError) as e:  # ragged nested sequences and the like
        raise TypeError(f"R must be a numeric array, got {type(R).__name__}") from e
    check_real_dtype(raw, "R")  # complex, strings, objects: a TypeError, never a cast
    try:
        R = np.array(raw, dtype=np.float64, order="C")
    except (TypeError, ValueError, OverflowError) as e:
        raise TypeError(f"R must be a numeric array, got {type(R).__name__}") from e
    bad = np.isnan(R) | (R == np.inf)
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise ValueError(f"R{list(i)} is not finite ({R[i]}); only -inf is allowed, for an "
                         "infeasible action")
    return R


def _feasible_mask(R: np.ndarray, feasible) -> np.ndarray:
    """The feasibility mask (shape of ``R``); writes ``-inf`` into ``R`` where infeasible."""
    mask = np.isfinite(R)
    if feasible is not None:
        f = np.asarray(feasible)
        if f.dtype != np.bool_:
            raise TypeError(f"feasible must be a bool array, got dtype {f.dtype}")
        if f.shape not in (R.shape, R.shape[-2:]):
            raise ValueError(f"feasible must have the shape of R {R.shape} or (S, A)="
                             f"{R.shape[-2:]}, got {f.shape}")
        mask &= f
    none = ~mask.any(axis=-1)
    if none.any():
        i = tuple(int(j) for j in np.argwhere(none)[0])
        raise ValueError(f"state {list(i)} has no feasible action (every R there is -inf "
                         "or masked by feasible)")
    R[~mask] = -np.inf
    return mask


def _check_feasible_policy(pi: np.ndarray, feasible: np.ndarray) -> None:
    """Reject a (validated) policy that plays an infeasible action."""
    if pi.ndim in (1, 2) and pi.dtype.kind in "iu":
        F = feasible if feasible.ndim == pi.ndim + 1 else np.broadcast_to(
            feasible, pi.shape + feasible.shape[-1:])
        bad = ~np.take_along_axis(F, pi[..., None], axis=-1)[..., 0]
    else:
        bad = (pi > 0) & ~feasible
        bad = bad.any(axis=-1)
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise ValueError(f"policy plays an infeasible action at {list(i)}")


class TabularMDP:
    r"""A finite MDP with known, exact dynamics.

    Exactly one criterion applies: episodic (``horizon=H``), discounted
    (``gamma``) or average reward (neither).

    Parameters
    ----------
    P : array_like, shape (S, A, S) or (H, S, A, S)
        ``P[s, a, s']`` (or ``P[h, s, a, s']``): each row a distribution within
        1e-9 and without negative entries. Stage-dependent kernels need
        ``horizon == H``.
    R : array_like, shape (S, A) or (H, S, A)
        Mean rewards: any finite reals, or ``-inf`` where an action is
        infeasible (QuantEcon's convention). The exact solvers take any
        finite rewards; the learning agents check the range their guarantees
        assume (usually [0, 1]) and :func:`~theoryrl.models.rescale_rewards`
        maps a model onto it.
    horizon : int, optional
        Episode length H >= 1.
    gamma : float, optional
        Discount factor in [0, 1).
    init : array_like, shape (S,), optional
        Initial-state distribution; all mass on state 0 by default.
    feasible : array_like of bool, shape of ``R`` or (S, A), optional
        False where an action is infeasible in a state (at a stage). Such
        entries of ``R`` are stored as ``-inf``; the rows of ``P`` there must
        still be distributions but are never used. Every state (at every
        stage) needs a feasible action. All actions are feasible by default.

    Raises
    ------
    ValueError
        Naming the argument and the offending index, for any malformed input.
        Nothing is clipped or renormalised.

    Examples
    --------
    >>> import numpy as np
    >>> mdp = TabularMDP(np.ones((1, 1, 1)), np.full((1, 1), 0.5), horizon=4)
    >>> mdp.initial_value(np.zeros(1, dtype=int))
    2.0
    """

    def __init__(self, P, R, horizon: int | None = None, gamma: float | None = None,
                 init=None, *, feasible=None) -> None:
        if horizon is not None and gamma is not None:
            raise ValueError("give at most one of horizon (episodic) and gamma "
                             f"(discounted), got horizon={horizon}, gamma={gamma}")
        if horizon is not None:
            horizon = check_int(horizon, "horizon", low=1)
        if gamma is not None:
            gamma = check_discount(gamma)
        P = check_kernel(P, "P", ATOL)
        R = _rewards(R)
        S, A = P.shape[-3], P.shape[-2]
        if P.ndim == 4 and horizon != P.shape[0]:
            raise ValueError(f"P has {P.shape[0]} stages (shape {P.shape}), so horizon must "
                             f"be {P.shape[0]}, got {horizon}")
        if R.ndim == 3 and horizon != R.shape[0]:
            raise ValueError(f"R has {R.shape[0]} stages (shape {R.shape}), so horizon must "
                             f"be {R.shape[0]}, got {horizon}")
        if R.shape[-2:] != (S, A) or R.ndim not in (2, 3):
            raise ValueError(f"R must be (S, A)=({S}, {A}) or (H, S, A), got shape {R.shape}")
        feasible = _feasible_mask(R, feasible)
        if init is None:
            init = np.zeros(S)
            init[0] = 1.0
        init = check_distribution(init, "init", S)
        self._P = _readonly(P)
        self._R = _readonly(R)
        self._init = _readonly(init)
        self._feasible = _readonly(feasible)
        self._horizon = horizon
        self._gamma = gamma
        self._spec = MDPSpec(S, A, horizon, gamma, self._R, self._init)
        self._solution = None

    # -- read-only views -------------------------------------------------
    P = property(lambda self: self._P, doc="Transition kernel (read-only).")
    R = property(lambda self: self._R, doc="Mean rewards (read-only).")
    init = property(lambda self: self._init, doc="Initial distribution (read-only).")
    horizon = property(lambda self: self._horizon, doc="H, or None.")
    gamma = property(lambda self: self._gamma, doc="Discount, or None.")
    spec = property(lambda self: self._spec, doc="What a learner may know (no P).")
    feasible = property(lambda self: self._feasible,
                        doc="Bool mask of feasible actions, shaped like ``R`` (read-only).")
    n_states = property(lambda self: self._P.shape[-3])
    n_actions = property(lambda self: self._P.shape[-2])

    @property
    def criterion(self) -> str:
        """``"episodic"``, ``"discounted"`` or ``"average"``."""
        return _criterion(self._horizon, self._gamma)

    def __repr__(self) -> str:
        extra = {"episodic": f"horizon={self._horizon}", "discounted": f"gamma={self._gamma}",
                 "average": "average-reward"}[self.criterion]
        return f"TabularMDP(S={self.n_states}, A={self.n_actions}, {extra})"

    # -- exact quantities ------------------------------------------------
    def solve(self):
        """The exact solution (cached): see :func:`theoryrl.planning.solve`."""
        if self._solution is None:
            from ..planning import solve

            self._solution = solve(self)
        return self._solution

    def check_policy(self, policy, name: str = "policy") -> np.ndarray:
        """Validate ``policy`` for this MDP (see :func:`check_policy`)."""
        return check_policy(policy, self.n_states, self.n_actions, self._horizon, name)

    def evaluate(self, policy) -> np.ndarray:
        r"""Exact value of a Markov policy.

        Episodic: :math:`V^\pi_h(s)`, shape (H, S). Discounted:
        :math:`V^\pi(s)`, shape (S,). Average reward: the gain
        :math:`g^\pi(s)`, shape (S,) (state-dependent for multichain policies),
        from the exact class structure of the chain (which moves are possible,
        however small their probability) and Grassmann-Taksar-Heyman
        elimination, which never subtracts: a leak of 1e-12 out of a state
        makes it transient, as it is.

        Raises
        ------
        ValueError
            If ``policy`` is not a valid policy of this MDP, or (average
            reward) if a possible transition of the chain it induces has a
            probability below the double-precision range, so that no exact
            gain can be computed.
        """
        pi = self.check_policy(policy)
        R = self._R
        if not self._feasible.all():
            _check_feasible_policy(pi, self._feasible)
            R = np.where(self._feasible, R, 0.0)  # never weighted: 0 * -inf would be nan
        if self.criterion == "episodic":
            from ..planning.episodic import _evaluate_policy

            return _evaluate_policy(self._P, R, pi)
        if self.criterion == "discounted":
            from ..planning.discounted import _evaluate_discounted

            return _evaluate_discounted(self._P, R, self._gamma, pi)
        from ._chain import ChainPrecisionError, chain_gain

        S = self.n_states
        if pi.ndim == 1:
            P_pi, r_pi = self._P[np.arange(S), pi], R[np.arange(S), pi]
            adj = P_pi > 0
        else:
            P_pi = np.einsum("sa,sat->st", pi, self._P)
            r_pi = np.einsum("sa,sa->s", pi, R)
            adj = np.einsum("sa,sat->st", (pi > 0).astype(np.int64),
                            (self._P > 0).astype(np.int64)) > 0
        try:
            return chain_gain(P_pi, r_pi, adj)
        except ChainPrecisionError as e:
            raise ValueError(f"policy: the gain of its chain cannot be computed exactly in "
                             f"double precision ({e})") from None

    def initial_value(self, policy) -> float:
        """``init @ V[0]`` (episodic), ``init @ V`` (discounted) or ``init @ g``."""
        V = self.evaluate(policy)
        return float(self._init @ (V[0] if V.ndim == 2 else V))

    def optimal_value(self) -> float:
        """``init @ V*[0]``, ``init @ V*`` or the optimal gain."""
        sol = self.solve()
        if self.criterion == "average":
            return float(sol.gain)
        return float(self._init @ (sol.V[0] if sol.V.ndim == 2 else sol.V))

    # -- sampling ----------------------------------------------------------
    def sample_init(self, rng: np.random.Generator) -> int:
        """Draw ``s_0 ~ init``."""
        check_rng(rng)
        return int(np.searchsorted(np.cumsum(self._init), rng.random(), side="right")
                   .clip(max=self.n_states - 1))

    def step(self, s: int, a: int, rng: np.random.Generator, h: int = 0) -> tuple[int, float]:
        """Draw ``s' ~ P_h(. | s, a)``; returns ``(s', R_h(s, a))``."""
        check_rng(rng)
        S, A = self.n_states, self.n_actions
        s = check_int(s, "s", 0)
        a = check_int(a, "a", 0)
        if s >= S:
            raise ValueError(f"s must be in [0, {S}), got {s}")
        if a >= A:
            raise ValueError(f"a must be in [0, {A}), got {a}")
        Ph = self._P[h] if self._P.ndim == 4 else self._P
        Rh = self._R[h] if self._R.ndim == 3 else self._R
        if Rh[s, a] == -np.inf:
            raise ValueError(f"a = {a} is infeasible in state {s}")
        row = np.cumsum(Ph[s, a])
        nxt = int(min(np.searchsorted(row, rng.random() * row[-1], side="right"), S - 1))
        return nxt, float(Rh[s, a])
