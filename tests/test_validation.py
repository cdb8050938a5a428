"""Every malformed input is rejected with an error naming the argument and index."""

from __future__ import annotations

import numpy as np
import pytest

from theoryrl import _validation as v
from theoryrl.models import TabularMDP, check_policy


def _good(S=3, A=2):
    P = np.full((S, A, S), 1.0 / S)
    R = np.full((S, A), 0.5)
    return P, R


# -- P ------------------------------------------------------------------------

def test_p_row_not_a_distribution_names_index():
    P, R = _good()
    P[2, 1] = [0.5, 0.3, 0.1]
    with pytest.raises(ValueError, match=r"P\[2, 1\] is not a distribution \(sum 0\.9\)"):
        TabularMDP(P, R, horizon=2)


def test_p_negative_entry_names_index():
    P, R = _good()
    P[1, 0] = [1.2, -0.2, 0.0]
    with pytest.raises(ValueError, match=r"P\[1, 0\] is not a distribution \(entry 1 is neg"):
        TabularMDP(P, R, horizon=2)


def test_p_stage_dependent_bad_row():
    P, R = _good()
    P4 = np.repeat(P[None], 3, axis=0)
    P4[2, 0, 1, 0] += 0.1
    with pytest.raises(ValueError, match=r"P\[2, 0, 1\] is not a distribution"):
        TabularMDP(P4, R, horizon=3)


@pytest.mark.parametrize("shape", [(3, 2), (3, 2, 4), (2, 3, 2, 3, 1)])
def test_p_bad_shape(shape):
    with pytest.raises(ValueError, match=r"P must be \(S, A, S\) or \(H, S, A, S\)"):
        TabularMDP(np.ones(shape), np.zeros((3, 2)), horizon=1)


def test_p_not_finite_and_not_numeric():
    P, R = _good()
    P[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match=r"P\[0, 1, 2\] is not finite"):
        TabularMDP(P, R, horizon=1)
    with pytest.raises(TypeError, match=r"P must be a numeric array"):
        TabularMDP([["a"]], R, horizon=1)


def test_p_empty():
    with pytest.raises(ValueError, match=r"P must not be empty"):
        TabularMDP(np.zeros((0, 1, 0)), np.zeros((0, 1)), horizon=1)


def test_p_stage_count_must_match_horizon():
    P, R = _good()
    with pytest.raises(ValueError, match=r"P has 3 stages .* horizon must be 3, got 2"):
        TabularMDP(np.repeat(P[None], 3, axis=0), R, horizon=2)
    with pytest.raises(ValueError, match=r"horizon must be 3, got None"):
        TabularMDP(np.repeat(P[None], 3, axis=0), R)


def test_kernel_nothing_renormalised():
    P, _ = _good()
    P[0, 0] = [0.5, 0.5, 1e-12]  # within 1e-9: accepted as is, not renormalised
    out = v.check_kernel(P)
    assert out[0, 0, 2] == 1e-12 and out.sum(axis=-1)[0, 0] != 1.0


# -- R ------------------------------------------------------------------------

def test_r_out_of_range_is_for_learners_to_reject():
    from theoryrl.agents import UCBVI

    P, R = _good()
    R[1, 1] = 1.5
    spec = TabularMDP(P, R, horizon=1).spec  # exact models take any finite reward
    with pytest.raises(ValueError, match=r"R\[1, 1\] = 1\.5"):
        UCBVI(spec, episodes=1)
    R[1, 1] = -0.1
    with pytest.raises(ValueError, match=r"assumes rewards in \[0, 1\].*R\[1, 1\]"):
        UCBVI(TabularMDP(P, R, horizon=1).spec, episodes=1)


@pytest.mark.parametrize("shape", [(3,), (2, 2), (3, 3), (4, 3, 2)])
def test_r_bad_shape(shape):
    P, _ = _good()
    with pytest.raises(ValueError, match=r"R (must be|has)"):
        TabularMDP(P, np.zeros(shape), horizon=2)


def test_r_stage_count_and_nan():
    P, R = _good()
    with pytest.raises(ValueError, match=r"R has 4 stages"):
        TabularMDP(P, np.repeat(R[None], 4, axis=0), horizon=2)
    R[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"R\[0, 0\] is not finite"):
        TabularMDP(P, R, horizon=2)


# -- init -----------------------------------------------------------------------

def test_init_errors():
    P, R = _good()
    with pytest.raises(ValueError, match=r"init must have shape \(3,\), got \(2,\)"):
        TabularMDP(P, R, horizon=1, init=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"init is not a distribution \(sum 0\.9"):
        TabularMDP(P, R, horizon=1, init=[0.5, 0.2, 0.2])
    with pytest.raises(ValueError, match=r"init is not a distribution \(entry 1 is negative"):
        TabularMDP(P, R, horizon=1, init=[1.1, -0.1, 0.0])
    with pytest.raises(TypeError, match=r"init must be a numeric array"):
        TabularMDP(P, R, horizon=1, init="abc")


def test_init_default_is_state_zero():
    P, R = _good()
    assert TabularMDP(P, R, horizon=1).init.tolist() == [1.0, 0.0, 0.0]


# -- horizon, gamma ------------------------------------------------------------

@pytest.mark.parametrize("bad, err, msg", [
    (0, ValueError, r"horizon must be >= 1, got 0"),
    (-3, ValueError, r"horizon must be >= 1, got -3"),
    (2.0, TypeError, r"horizon must be an integer, got float"),
    (True, TypeError, r"horizon must be an integer, got bool"),
    ("5", TypeError, r"horizon must be an integer, got str"),
])
def test_horizon_errors(bad, err, msg):
    P, R = _good()
    with pytest.raises(err, match=msg):
        TabularMDP(P, R, horizon=bad)


@pytest.mark.parametrize("bad, err, msg", [
    (1.0, ValueError, r"gamma must be in \[0, 1\), got 1\.0"),
    (-0.1, ValueError, r"gamma must be in \[0, 1\), got -0\.1"),
    ("0.9", TypeError, r"gamma must be a real number, got str"),
    (True, TypeError, r"gamma must be a real number, got bool"),
])
def test_gamma_errors(bad, err, msg):
    P, R = _good()
    with pytest.raises(err, match=msg):
        TabularMDP(P, R, gamma=bad)


def test_horizon_and_gamma_exclusive():
    P, R = _good()
    with pytest.raises(ValueError, match=r"give at most one of horizon .* and gamma"):
        TabularMDP(P, R, horizon=3, gamma=0.9)


# -- policy ---------------------------------------------------------------------

def test_policy_errors():
    P, R = _good()
    mdp = TabularMDP(P, R, horizon=4)
    pi = np.zeros((4, 3), dtype=int)
    pi[2, 1] = 2
    with pytest.raises(ValueError, match=r"policy\[2, 1\] must be an action in \[0, 2\), got 2"):
        mdp.evaluate(pi)
    with pytest.raises(ValueError, match=r"policy\[0\] must be an action in \[0, 2\), got -1"):
        mdp.evaluate(np.array([-1, 0, 0]))
    with pytest.raises(ValueError, match=r"policy \(deterministic\) must have shape"):
        mdp.evaluate(np.zeros((3, 3), dtype=int))
    with pytest.raises(ValueError, match=r"policy \(stochastic\) must have shape"):
        mdp.evaluate(np.full((4, 3, 3), 1 / 3))
    sto = np.full((4, 3, 2), 0.5)
    sto[1, 2] = [0.6, 0.6]
    with pytest.raises(ValueError, match=r"policy\[1, 2\] is not a distribution \(sum 1\.2\)"):
        mdp.evaluate(sto)
    with pytest.raises(TypeError, match=r"policy must be an int .* or float .* got dtype"):
        mdp.evaluate(np.zeros((4, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"pi\[0\] must be an action"):
        check_policy(np.array([5, 0, 0]), 3, 2, None, name="pi")


def test_policy_broadcast_and_types():
    P, R = _good()
    mdp = TabularMDP(P, R, horizon=4)
    out = mdp.check_policy(np.array([1, 0, 1], dtype=np.int32))
    assert out.shape == (4, 3) and out.dtype == np.int64
    out = mdp.check_policy(np.full((3, 2), 0.5))
    assert out.shape == (4, 3, 2)


# -- the validators themselves --------------------------------------------------

def test_scalar_validators():
    assert v.check_int(np.int64(3), "k", 1) == 3
    with pytest.raises(ValueError, match=r"k must be >= 1, got 0"):
        v.check_int(0, "k", 1)
    assert v.check_open_unit(0.5, "delta") == 0.5
    for bad in (0.0, 1.0, -1):
        with pytest.raises(ValueError, match=r"delta must be in \(0, 1\)"):
            v.check_open_unit(bad, "delta")
    with pytest.raises(TypeError, match=r"delta must be a real number"):
        v.check_open_unit("x", "delta")
    assert v.check_positive(0.0, "c", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match=r"c must be positive and finite"):
        v.check_positive(0.0, "c")
    with pytest.raises(ValueError, match=r"c must be >= 0 and finite, got inf"):
        v.check_positive(np.inf, "c", allow_zero=True)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        v.check_rng(np.random.RandomState(0))
    with pytest.raises(ValueError, match=r"x\[1\] must be in \[0, 1\]"):
        v.check_in_range(np.array([0.5, 2.0]), "x", 0.0, 1.0)


@pytest.mark.parametrize("bad, err, msg", [
    (True, TypeError, "x must be a real number, got bool"),
    ("1", TypeError, "x must be a real number, got str"),
    (np.nan, ValueError, "x must be finite, got nan"),
    (-np.inf, ValueError, "x must be finite, got -inf"),
])
def test_check_real_errors(bad, err, msg):
    with pytest.raises(err, match=msg):
        v.check_real(bad, "x")


def test_check_real_accepts_numpy_scalars():
    assert v.check_real(np.int64(3), "x") == 3.0 and v.check_real(np.float32(-0.5), "x") == -0.5


def test_check_choice_names_the_argument_and_the_options():
    from theoryrl._validation import check_choice

    assert check_choice("b", "mode", ("a", "b")) == "b"
    with pytest.raises(ValueError, match=r"mode must be one of \['a', 'b'\], got 'c'"):
        check_choice("c", "mode", ("a", "b"))
    # no truthiness of arrays, no bool-for-int, no unhashable surprises
    with pytest.raises(ValueError, match=r"mode must be one of \['a'\], got array"):
        check_choice(np.array(["a", "a"]), "mode", ("a",))
    with pytest.raises(ValueError, match=r"k must be one of \[1, 2\], got True"):
        check_choice(True, "k", (1, 2))
    with pytest.raises(ValueError, match=r"mode must be one of \['a'\], got \['a'\]"):
        check_choice(["a"], "mode", ("a",))
    assert check_choice(np.str_("a"), "mode", ("a",)) == "a"
