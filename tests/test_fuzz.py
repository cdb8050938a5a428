"""Fuzz tests of every public model constructor and of ``evaluate``, ``solve`` and ``run``.

Contract under test: any input either works or raises a ``ValueError`` or
``TypeError`` whose message names an argument; never another exception, and
never silent acceptance of invalid data. Each target pairs a ``hypothesis``
strategy with an *oracle*, an independent statement of which inputs are valid,
written from the documented rules (not from the implementation). An attempt
is classified as

* ``ok``: valid input, accepted (and, where an independent exact answer
  exists, the returned numbers agree with it);
* ``clean``: invalid input, refused with a ValueError/TypeError naming an argument;
* ``silent``: invalid input accepted, or a wrong number returned;
* ``unnamed``: refused with a ValueError/TypeError that names no argument;
* ``rejected_valid``: valid input refused (reported, not a contract breach);
* ``other``: any other exception.

The suite runs each target on a modest, derandomized set of inputs. For a
large run (counts per target and outcome, first examples of each failure)::

    python tests/test_fuzz.py 25000
"""

from __future__ import annotations

import math
import re
import sys
import traceback
from collections import Counter
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theoryrl.models import POMDP, LinearMixtureMDP, TabularMDP
from theoryrl.models import diffusion as D

SUITE = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))
ATOL = 1e-9


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def names_one_of(message: str, names) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", message)
               for n in names)


def attempt(call, valid: bool, names, check=None) -> tuple[str, str]:
    """Run ``call()``; classify against the oracle's verdict ``valid``."""
    try:
        out = call()
    except (ValueError, TypeError) as e:
        if not names_one_of(str(e), names):
            return "unnamed", f"{type(e).__name__}: {e}"
        return ("clean", "") if not valid else ("rejected_valid", f"{type(e).__name__}: {e}")
    except Exception as e:  # the contract allows no other exception
        return "other", f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=-3)}"
    if not valid:
        return "silent", "accepted"
    if check is not None:
        bad = check(out)
        if bad:
            return "silent", f"wrong result: {bad}"
    return "ok", ""


# ---------------------------------------------------------------------------
# value strategies
# ---------------------------------------------------------------------------

WEIRD = st.sampled_from([None, True, False, "1", b"1", 1j, Fraction(1, 2), [], {}, object()])
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(-2, 2), st.sampled_from([0.0, 1.0, 1e-300, 1e300, -0.0]))
SCALARS = st.one_of(FLOATS, st.integers(-10, 10), st.integers(-2**70, 2**70), WEIRD,
                    st.builds(np.float64, st.floats(-2, 2)),
                    st.builds(np.int64, st.integers(-5, 5)),
                    st.builds(np.array, st.floats(0, 1)))


def is_int(x) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def is_real(x) -> bool:
    import numbers
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_)


def real_array(a) -> np.ndarray | None:
    """The oracle's reading of an array argument: a finite real array, or None."""
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError):
        return None
    if arr.dtype.kind not in "biuf":
        return None
    arr = arr.astype(np.float64)
    return arr if np.all(np.isfinite(arr)) else None


def rewards_array(a) -> np.ndarray | None:
    """Rewards: any finite reals, or -inf for an infeasible action (planning models)."""
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError):
        return None
    if arr.dtype.kind not in "biuf":
        return None
    arr = arr.astype(np.float64)
    return arr if not (np.isnan(arr).any() or (arr == np.inf).any()) else None


def is_distribution_rows(a: np.ndarray) -> bool:
    return a.size > 0 and bool(np.all(a >= 0)) and bool(
        np.all(np.abs(a.sum(axis=-1) - 1) <= ATOL))


@st.composite
def messy_array(draw, shape, kind="stochastic"):  # noqa: C901 - one branch per corruption
    """An array near ``shape``: mostly valid, often corrupted in one way."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = list(shape)
    if draw(st.integers(0, 9)) == 0 and shape:  # wrong shape
        how = draw(st.sampled_from(["drop", "add", "resize"]))
        if how == "drop":
            shape.pop(draw(st.integers(0, len(shape) - 1)))
        elif how == "add":
            shape.insert(draw(st.integers(0, len(shape))), draw(st.integers(0, 3)))
        else:
            shape[draw(st.integers(0, len(shape) - 1))] = draw(st.integers(0, 4))
    shape = tuple(shape)
    if kind == "stochastic":
        a = rng.random(shape) * (rng.random(shape) < 0.7)
        if a.size and a.ndim:
            a[..., 0] += 1e-3
            a = a / a.sum(axis=-1, keepdims=True)
    elif kind == "unit":
        a = rng.random(shape)
    else:
        a = rng.normal(size=shape)
    a = np.asarray(a, dtype=np.float64)
    corrupt = draw(st.integers(0, 14))
    if a.size and corrupt < 8:
        idx = tuple(int(rng.integers(0, n)) for n in a.shape)
        a = a.astype(np.float64)
        a[idx] = draw(st.sampled_from(
            [np.nan, np.inf, -np.inf, -1e-3, 1.5, 1e-12, -1e-300, 1e300, 0.0, 1.0]))
    elif a.size and a.ndim and corrupt == 8 and kind == "stochastic":  # a tiny leak, still valid
        a = a.astype(np.float64)
        a[..., 0] *= 1 - 1e-12
        a[..., -1] += 1e-12 * a[..., 0]
    dtype = draw(st.sampled_from(["f8"] * 8 + ["f4", "i8", "b", "c16", "U", "O", "list"]))
    if dtype == "f4":
        return a.astype(np.float32)
    if dtype == "i8":
        return np.round(a).astype(np.int64) if np.all(np.abs(a) < 2.0**62) else a
    if dtype == "b":
        return a > 0.5
    if dtype == "c16":
        return a + (1j if draw(st.booleans()) else 0j)
    if dtype == "U":
        return a.astype(str)
    if dtype == "O":
        return a.astype(object)
    if dtype == "list":
        return a.tolist()
    return a


# ---------------------------------------------------------------------------
# targets: TabularMDP
# ---------------------------------------------------------------------------

def oracle_tabular(P, R, horizon, gamma, init) -> bool:
    if horizon is not None and gamma is not None:
        return False
    if horizon is not None and not (is_int(horizon) and horizon >= 1):
        return False
    if isinstance(gamma, np.ndarray) and gamma.ndim == 0 and gamma.dtype.kind in "iuf":
        gamma = gamma.item()  # a 0-d numeric array is a number (documented)
    if gamma is not None and not (is_real(gamma) and 0 <= float(gamma) < 1):
        return False
    P, R = real_array(P), rewards_array(R)
    if P is None or R is None or P.ndim not in (3, 4) or P.shape[-1] != P.shape[-3]:
        return False
    if not is_distribution_rows(P):
        return False
    S, A = P.shape[-3], P.shape[-2]
    if P.ndim == 4 and horizon != P.shape[0]:
        return False
    if R.ndim not in (2, 3) or R.shape[-2:] != (S, A) or (R.ndim == 3 and horizon != R.shape[0]):
        return False
    if np.isneginf(R).all(axis=-1).any():  # a state without a feasible action
        return False
    if init is not None:
        i = real_array(init)
        if i is None or i.shape != (S,) or not is_distribution_rows(i):
            return False
    return True


@st.composite
def tabular_inputs(draw):
    S, A = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    crit = draw(st.sampled_from(["episodic", "discounted", "average", "both", "messy"]))
    H = draw(st.integers(1, 4))
    stages = crit == "episodic" and draw(st.booleans())
    P = draw(messy_array(((H,) if stages else ()) + (S, A, S)))
    R = draw(messy_array(((H,) if stages and draw(st.booleans()) else ()) + (S, A), "unit"))
    horizon = gamma = None
    if crit in ("episodic", "both"):
        horizon = draw(st.one_of(st.just(H), st.integers(-2, 5), SCALARS))
    if crit in ("discounted", "both"):
        gamma = draw(st.one_of(st.floats(0, 0.999), SCALARS))
    if crit == "messy":
        horizon = draw(st.one_of(st.none(), SCALARS))
    init = draw(st.one_of(st.none(), messy_array((S,))))
    return P, R, horizon, gamma, init


def tabular_attempt(args):
    P, R, horizon, gamma, init = args
    return attempt(lambda: TabularMDP(P, R, horizon=horizon, gamma=gamma, init=init),
                   oracle_tabular(P, R, horizon, gamma, init),
                   ["P", "R", "horizon", "gamma", "init"])


# ---------------------------------------------------------------------------
# targets: LinearMixtureMDP
# ---------------------------------------------------------------------------

@st.composite
def linear_mixture_inputs(draw):
    S, A, d = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    # phi[..., i] a kernel for every i and theta a distribution: a valid mixture
    phi = draw(messy_array((S, A, d, S)))
    if isinstance(phi, np.ndarray) and phi.ndim == 4:
        phi = np.moveaxis(phi, 2, 3)
    theta = draw(messy_array((d,)))
    R = draw(messy_array((S, A), "unit"))
    horizon = draw(st.one_of(st.none(), st.integers(0, 3), SCALARS))
    return phi, theta, R, horizon


def linear_mixture_attempt(args):
    phi, theta, R, horizon = args
    p, t = real_array(phi), real_array(theta)
    valid = (p is not None and t is not None and p.ndim == 4 and p.shape[0] == p.shape[2]
             and t.shape == (p.shape[3],))
    if valid:
        with np.errstate(all="ignore"):
            P = p @ t
        valid = bool(np.all(np.isfinite(P))) and oracle_tabular(P, R, horizon, None, None)
    return attempt(lambda: LinearMixtureMDP(phi, theta, R, horizon=horizon), valid,
                   ["phi", "theta", "phi @ theta", "R", "horizon", "P"])


# ---------------------------------------------------------------------------
# targets: POMDP
# ---------------------------------------------------------------------------

@st.composite
def pomdp_inputs(draw):
    S, O, A, H = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2)),
                  draw(st.integers(1, 3)))
    T = draw(messy_array(((H - 1,) if draw(st.booleans()) else ()) + (A, S, S)))
    E = draw(messy_array(((H,) if draw(st.booleans()) else ()) + (S, O)))
    horizon = draw(st.one_of(st.just(H), st.just(H), st.integers(-1, 4), SCALARS))
    mu = draw(st.one_of(st.none(), messy_array((S,))))
    max_entries = draw(st.one_of(st.just(10**6), st.integers(-1, 10**7), SCALARS))
    return T, E, horizon, mu, max_entries


def oracle_pomdp(T, E, horizon, mu, max_entries) -> bool:
    if not (is_int(horizon) and horizon >= 1) or not (is_int(max_entries) and max_entries >= 1):
        return False
    H = int(horizon)
    T, E = real_array(T), real_array(E)
    if T is None or E is None:
        return False
    if E.ndim == 3 and E.shape[0] != H or E.ndim not in (2, 3):
        return False
    S = E.shape[-2]
    if T.ndim == 4 and T.shape[0] != H - 1 or T.ndim not in (3, 4):
        return False
    if T.shape[-2:] != (S, S) or T.shape[-3] < 1:
        return False
    if T.size and not is_distribution_rows(T):
        return False
    if not is_distribution_rows(E):
        return False
    if mu is not None:
        m = real_array(mu)
        if m is None or m.shape != (S,) or not is_distribution_rows(m):
            return False
    return True


def pomdp_attempt(args):
    T, E, horizon, mu, max_entries = args
    return attempt(lambda: POMDP(T, E, horizon, mu=mu, max_entries=max_entries),
                   oracle_pomdp(*args), ["T", "E", "horizon", "mu", "max_entries"])


# ---------------------------------------------------------------------------
# targets: diffusion models
# ---------------------------------------------------------------------------

DIFFUSIONS = {
    "OUQuadratic": (D.OUQuadratic, ["kappa", "sigma", "q", "p", "T", "beta", "m0", "s0"]),
    "BrownianQuadratic": (D.BrownianQuadratic, ["sigma", "T", "m0", "s0"]),
    "OUDiscounted": (D.OUDiscounted, ["kappa", "sigma", "q", "beta"]),
    "ErgodicLQ": (D.ErgodicLQ, ["phi1", "phi2", "phi3", "A", "D", "M", "R", "N", "P", "Q",
                                "gamma"]),
    "MeanVarianceGaussian": (D.MeanVarianceGaussian, ["mu", "sigma", "phi1", "v", "w", "z",
                                                      "gamma", "T", "x0"]),
    "Diffusion1D": (D.Diffusion1D, ["b0", "b1", "c0", "c1", "c2", "T", "beta", "m0", "s0",
                                    "reward_terms", "terminal_terms"]),
}
POWERS = st.one_of(st.integers(0, 4), st.integers(-3, 8), st.sampled_from([1.5, 2.0, math.nan]),
                   WEIRD)
TERMS = st.lists(st.tuples(POWERS, st.one_of(st.floats(-3, 3), FLOATS, WEIRD)), max_size=3)


@st.composite
def diffusion_inputs(draw):
    name = draw(st.sampled_from(sorted(DIFFUSIONS)))
    cls, params = DIFFUSIONS[name]
    kw = {}
    for p in params:
        if p in ("reward_terms", "terminal_terms"):
            if draw(st.booleans()):
                kw[p] = draw(st.one_of(TERMS, WEIRD))
        elif name == "Diffusion1D" and p in ("b0", "b1", "c0") or draw(st.booleans()):
            kw[p] = draw(st.one_of(st.floats(-3, 3), SCALARS))
    return name, kw


def diffusion_attempt(args):
    name, kw = args
    cls, params = DIFFUSIONS[name]
    # directly invalid: a non-real or non-finite number, a bad polynomial term
    invalid = False
    for k, v in kw.items():
        if k in ("reward_terms", "terminal_terms"):
            try:
                terms = list(v)
            except TypeError:
                invalid = True
                continue
            for t in terms:
                if not (isinstance(t, tuple) and len(t) == 2):
                    invalid = True
                    continue
                p, c = t
                if not (is_real(p) and math.isfinite(float(p)) and float(p).is_integer()
                        and 0 <= p <= 4) or not (is_real(c) and math.isfinite(float(c))):
                    invalid = True
        elif v is None and name == "MeanVarianceGaussian" and k == "phi1":
            continue  # documented default: mu / sigma^2
        elif not (is_real(v) and math.isfinite(float(v))):
            invalid = True
    if not invalid:  # valid-looking: either works or a clean named error
        outcome, detail = attempt(lambda: cls(**kw), True, params)
        return ("ok", "") if outcome == "rejected_valid" else (outcome, detail)
    return attempt(lambda: cls(**kw), False, params)


# ---------------------------------------------------------------------------
# targets: evaluate, solve, run
# ---------------------------------------------------------------------------

@st.composite
def valid_mdp(draw, criterion=None):
    S, A = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    P = rng.random((S, A, S)) * (rng.random((S, A, S)) < 0.6)
    P[..., 0] += 1e-3
    if draw(st.booleans()):  # tiny leaks
        P[..., -1] += draw(st.sampled_from([1e-12, 1e-15, 1e-300])) * P[..., 0]
    P /= P.sum(axis=-1, keepdims=True)
    R = np.round(rng.random((S, A)), 3)
    crit = criterion or draw(st.sampled_from(["episodic", "discounted", "average"]))
    if crit == "episodic":
        return TabularMDP(P, R, horizon=draw(st.integers(1, 5)))
    if crit == "discounted":
        return TabularMDP(P, R, gamma=draw(st.sampled_from([0.0, 0.5, 0.9, 0.99])))
    return TabularMDP(P, R)


def reference_value(mdp, pi) -> np.ndarray:
    """Independent exact values of a validated policy (episodic and discounted)."""
    S, A = mdp.n_states, mdp.n_actions
    if pi.dtype.kind in "iu":
        pi = np.eye(A)[pi]
    if mdp.criterion == "episodic":
        H = mdp.horizon
        pis = np.broadcast_to(pi, (H, S, A))
        V = np.zeros((H + 1, S))
        for h in range(H - 1, -1, -1):
            V[h] = (pis[h] * (mdp.R + mdp.P @ V[h + 1])).sum(axis=1)
        return V[:H]
    Ppi = np.einsum("sa,sat->st", pi, mdp.P)
    return np.linalg.solve(np.eye(S) - mdp.gamma * Ppi, (pi * mdp.R).sum(axis=1))


@st.composite
def evaluate_inputs(draw):
    mdp = draw(valid_mdp())
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon or 2
    kind = draw(st.sampled_from(["det", "stoch", "stage_det", "stage_stoch", "weird"]))
    if kind == "det":
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        low = -1 if draw(st.integers(0, 5)) == 0 else 0  # sometimes out of range
        high = A + 1 if draw(st.integers(0, 5)) == 0 else A
        pol = rng.integers(low, high, S)
    elif kind == "stage_det":
        pol = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, A, (H, S))
    elif kind == "stoch":
        pol = draw(messy_array((S, A)))
    elif kind == "stage_stoch":
        pol = draw(messy_array((H, S, A)))
    else:
        pol = draw(SCALARS)
    return mdp, pol


def evaluate_valid(mdp, pol) -> bool:
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    try:
        a = np.asarray(pol)
    except Exception:
        return False
    if a.dtype.kind in "iu":
        return (a.shape == (S,) or (H is not None and a.shape == (H, S))) and bool(
            np.all((a >= 0) & (a < A)))
    if a.dtype.kind == "f":
        if not (a.shape == (S, A) or (H is not None and a.shape == (H, S, A))):
            return False
        # the rows' exact sums (in float64), not float32's rounding of them
        a = a.astype(np.float64)
        return bool(np.all(np.isfinite(a))) and is_distribution_rows(a)
    return False


def evaluate_attempt(args):
    mdp, pol = args
    valid = evaluate_valid(mdp, pol)

    def check(V):
        if mdp.criterion == "average":
            ok = V.shape == (mdp.n_states,) and np.all(np.isfinite(V))
            return "" if ok else f"gain {V}"
        ref = reference_value(mdp, mdp.check_policy(pol))
        if V.shape != ref.shape or not np.allclose(V, ref, atol=1e-8):
            return f"values {V} != {ref}"
        return ""

    return attempt(lambda: mdp.evaluate(pol), valid, ["policy"], check if valid else None)


@st.composite
def solve_inputs(draw):
    mdp = draw(st.one_of(valid_mdp(), WEIRD))
    method = draw(st.sampled_from([None, None, "pi", "vi", "bogus", 3]))
    epsilon = draw(st.one_of(st.just(1e-10), st.just(1e-6), FLOATS, WEIRD))
    return mdp, method, epsilon


def solve_attempt(args):
    from theoryrl.planning import solve

    mdp, method, epsilon = args
    # epsilon=None is the documented default (each criterion picks its accuracy)
    valid = isinstance(mdp, TabularMDP) and (
        epsilon is None or (is_real(epsilon) and 0 < float(epsilon) < math.inf))
    if valid:
        allowed = {"discounted": (None, "pi", "mpi", "vi")}.get(mdp.criterion, (None,))
        valid = method in allowed

    def check(sol):
        if mdp.criterion == "average":
            return ""
        V = reference_value(mdp, mdp.check_policy(sol.policy))
        err = max(float(getattr(sol, "error", 0.0)), 1e-8) + float(epsilon or 0.0)
        return "" if np.allclose(V, sol.V, atol=err) else f"policy value {V} != V {sol.V}"

    return attempt(lambda: solve(mdp, method=method, epsilon=epsilon), valid,
                   ["mdp", "method", "epsilon"], check)


@st.composite
def run_inputs(draw):
    mdp = draw(valid_mdp("episodic"))
    other = draw(st.one_of(st.none(), valid_mdp("episodic"), WEIRD))
    episodes = draw(st.one_of(st.integers(1, 3), st.integers(-1, 3), SCALARS))
    seeds = draw(st.one_of(st.integers(1, 2), st.lists(st.integers(-1, 3), max_size=3),
                           SCALARS))
    base_seed = draw(st.one_of(st.just(0), st.integers(-1, 2**64), SCALARS))
    return mdp, other, episodes, seeds, base_seed


def run_attempt(args):
    from theoryrl.agents.ucbvi import UCBVI
    from theoryrl.experiment import run

    mdp, other, episodes, seeds, base_seed = args
    target = other if other is not None else mdp
    agent = UCBVI(mdp.spec, episodes=4)
    sp = getattr(target, "spec", None)
    valid = (isinstance(target, TabularMDP) and sp.n_states == mdp.n_states
             and sp.n_actions == mdp.n_actions and sp.horizon == mdp.horizon
             and np.array_equal(sp.R, mdp.spec.R) and np.array_equal(sp.init, mdp.spec.init))
    valid = valid and is_int(episodes) and 1 <= episodes
    if is_int(seeds):
        valid = valid and seeds >= 1
    elif isinstance(seeds, list):
        valid = valid and len(seeds) >= 1 and len(set(seeds)) == len(seeds) and all(
            is_int(s) and s >= 0 for s in seeds)
    else:
        valid = False
    valid = valid and (base_seed is None or (is_int(base_seed) and 0 <= base_seed < 2**63))
    return attempt(lambda: run(agent, target, episodes=episodes, seeds=seeds,
                               base_seed=base_seed, progress=False), valid,
                   ["agent", "mdp", "episodes", "seeds", "base_seed", "spec"])


TARGETS = {
    "TabularMDP": (tabular_inputs(), tabular_attempt),
    "LinearMixtureMDP": (linear_mixture_inputs(), linear_mixture_attempt),
    "POMDP": (pomdp_inputs(), pomdp_attempt),
    "diffusion": (diffusion_inputs(), diffusion_attempt),
    "evaluate": (evaluate_inputs(), evaluate_attempt),
    "solve": (solve_inputs(), solve_attempt),
    "run": (run_inputs(), run_attempt),
}
BREACHES = ("silent", "unnamed", "other")


# ---------------------------------------------------------------------------
# the suite
# ---------------------------------------------------------------------------

def _suite_test(target: str):
    strategy, fn = TARGETS[target]

    @SUITE
    @given(strategy)
    def test(args):
        outcome, detail = fn(args)
        assert outcome not in BREACHES, f"{outcome}: {detail}\ninput: {args!r}"

    return test


test_fuzz_tabular_mdp = _suite_test("TabularMDP")
test_fuzz_linear_mixture_mdp = _suite_test("LinearMixtureMDP")
test_fuzz_pomdp = _suite_test("POMDP")
test_fuzz_diffusion_models = _suite_test("diffusion")
test_fuzz_evaluate = _suite_test("evaluate")
test_fuzz_solve = _suite_test("solve")
test_fuzz_run = _suite_test("run")


def test_classifier_can_fail():
    # the oracle and the classifier see a silent acceptance and a foreign exception
    assert attempt(lambda: 1, False, ["x"])[0] == "silent"
    assert attempt(lambda: 1 / 0, True, ["x"])[0] == "other"
    assert attempt(lambda: int("x"), False, ["y"])[0] == "unnamed"
    assert not oracle_tabular(np.full((1, 1, 1), 1 + 1j), np.zeros((1, 1)), 1, None, None)


# ---------------------------------------------------------------------------
# large run (out of the suite)
# ---------------------------------------------------------------------------

def _collect(name: str, n: int) -> tuple[Counter, dict]:
    from hypothesis import Phase

    strategy, fn = TARGETS[name]
    counts: Counter = Counter()
    examples: dict = {}

    @settings(max_examples=n, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(strategy)
    def collect(args):
        outcome, detail = fn(args)
        counts[outcome] += 1
        if outcome not in ("ok", "clean") and len(examples.get(outcome, [])) < 5:
            examples.setdefault(outcome, []).append((detail[:400], repr(args)[:600]))

    collect()
    return counts, examples


if __name__ == "__main__":  # pragma: no cover - the large run
    import warnings

    warnings.simplefilter("ignore")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    only = sys.argv[2].split(",") if len(sys.argv) > 2 else None
    total: Counter = Counter()
    for name in only or TARGETS:
        counts, examples = _collect(name, n)
        total.update(counts)
        print(f"{name}: {sum(counts.values())} inputs, " +
              ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), flush=True)
        for outcome, exs in examples.items():
            for detail, args in exs:
                print(f"  [{outcome}] {detail}\n      input: {args}", flush=True)
    print(f"TOTAL: {sum(total.values())} inputs, " +
          ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
