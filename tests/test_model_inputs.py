"""Model constructors refuse data they would otherwise misread.

Complex arrays lost their imaginary part with only a warning, strings were
parsed as numbers, a one-stage POMDP never looked at its transitions, and the
diffusion models truncated fractional powers, kept NaN coefficients and let
extreme parameters escape as OverflowError or ZeroDivisionError.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from theoryrl.models import POMDP, LinearMixtureMDP, TabularMDP
from theoryrl.models import diffusion as D


def _tab():
    P = np.full((2, 2, 2), 0.5)
    R = np.full((2, 2), 0.5)
    return P, R


def _bad_dtypes(a):
    return {"complex": a + 0j, "complex (nonzero imaginary part)": a + 1j,
            "string": a.astype(str), "object": a.astype(object)}


@pytest.mark.parametrize("kind", ["complex", "complex (nonzero imaginary part)", "string",
                                  "object"])
def test_tabular_rejects_non_real_dtypes(kind):
    P, R = _tab()
    init = np.array([1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way to the TypeError
        with pytest.raises(TypeError, match=r"^P must be a numeric array of real numbers"):
            TabularMDP(_bad_dtypes(P)[kind], R, horizon=2)
        with pytest.raises(TypeError, match=r"^R must be a numeric array of real numbers"):
            TabularMDP(P, _bad_dtypes(R)[kind], horizon=2)
        with pytest.raises(TypeError, match=r"^init must be a numeric array of real numbers"):
            TabularMDP(P, R, horizon=2, init=_bad_dtypes(init)[kind])


@pytest.mark.parametrize("kind", ["complex", "string", "object"])
def test_linear_mixture_and_pomdp_reject_non_real_dtypes(kind):
    phi = np.zeros((2, 1, 2, 2))
    phi[:, :, 0, 0] = 1
    phi[:, :, 1, 1] = 1
    theta = np.array([0.3, 0.7])
    R = np.zeros((2, 1))
    LinearMixtureMDP(phi, theta, R, horizon=2)
    with pytest.raises(TypeError, match=r"^phi must be a numeric array of real numbers"):
        LinearMixtureMDP(_bad_dtypes(phi)[kind], theta, R, horizon=2)
    with pytest.raises(TypeError, match=r"^theta must be a numeric array of real numbers"):
        LinearMixtureMDP(phi, _bad_dtypes(theta)[kind], R, horizon=2)
    T, E = np.full((1, 2, 2), 0.5), np.eye(2)
    POMDP(T, E, horizon=2)
    with pytest.raises(TypeError, match=r"^T must be a numeric array of real numbers"):
        POMDP(_bad_dtypes(T)[kind], E, horizon=2)
    with pytest.raises(TypeError, match=r"^E must be a numeric array of real numbers"):
        POMDP(T, _bad_dtypes(E)[kind], horizon=2)


def test_real_dtypes_still_accepted():
    P, R = _tab()
    for conv in (np.float32, np.int64, bool):
        m = TabularMDP(P.astype(np.float64), R.astype(conv) if conv is not bool
                       else (R > 1), horizon=2)
        assert m.R.dtype == np.float64
    TabularMDP(P.tolist(), R.tolist(), horizon=2, init=[1, 0])


def test_one_stage_pomdp_still_validates_T():
    E = np.eye(2)
    with pytest.raises(ValueError, match=r"^T\[0, 1\] is not a distribution"):
        POMDP(np.array([[[0.5, 0.5], [0.9, 0.9]]]), E, horizon=1)
    with pytest.raises(ValueError, match=r"^T\[0, 0\] is not a distribution"):
        POMDP(np.array([[[-1.0, 2.0], [0.5, 0.5]]]), E, horizon=1)
    with pytest.raises(ValueError, match=r"^T\[0, 0, 1\] is not finite"):
        POMDP(np.array([[[0.5, np.nan], [0.5, 0.5]]]), E, horizon=1)
    POMDP(np.array([[[0.5, 0.5], [0.1, 0.9]]]), E, horizon=1)


@pytest.mark.parametrize("power", [1.5, -1, 5, math.nan, "2", True])
def test_diffusion_rejects_bad_powers(power):
    kw = dict(b0=0.0, b1=-1.0, c0=1.0)
    with pytest.raises((ValueError, TypeError), match=r"^reward_terms\[0\] power"):
        D.Diffusion1D(**kw, reward_terms=((power, 1.0),))
    with pytest.raises((ValueError, TypeError), match=r"^terminal_terms\[0\] power"):
        D.Diffusion1D(**kw, terminal_terms=((power, 1.0),))
    with pytest.raises((ValueError, TypeError), match=r"^powers\[1\]"):
        D.PolyFeatures((2, power), (math.cos, math.cos), ("a", "b"))
    assert D.Diffusion1D(**kw, reward_terms=((2.0, 1.0),)).reward_terms == ((2, 1.0),)


@pytest.mark.parametrize("coef", [math.nan, math.inf, "1", None])
def test_diffusion_rejects_bad_coefficients(coef):
    with pytest.raises((ValueError, TypeError), match=r"^reward_terms\[0\] coef"):
        D.Diffusion1D(b0=0.0, b1=-1.0, c0=1.0, reward_terms=((2, coef),))


@pytest.mark.parametrize("make,names", [
    (lambda: D.OUQuadratic(sigma=1e300), ["sigma"]),
    (lambda: D.OUDiscounted(kappa=0.5, sigma=1e300), ["sigma"]),
    (lambda: D.BrownianQuadratic(sigma=1e300), ["sigma"]),
    (lambda: D.ErgodicLQ(phi3=1e20), ["phi3"]),
    (lambda: D.ErgodicLQ(phi1=-1e300), ["phi1"]),
    (lambda: D.MeanVarianceGaussian(sigma=1e-300), ["sigma"]),
    (lambda: D.MeanVarianceGaussian(mu=1e200), ["mu"]),
    (lambda: D.Diffusion1D(b0=1.0, b1=1.0, c0=1.0, c1=-1e300), ["c1"]),
])
def test_extreme_diffusion_parameters_are_named_value_errors(make, names):
    with pytest.raises(ValueError) as info:
        make()
    assert any(n in str(info.value) for n in names), str(info.value)
