"""``theoryrl._special.logsumexp``: SciPy's results, bit for bit, without its overhead."""

import numpy as np
import pytest
import scipy
from scipy.special import logsumexp as scipy_logsumexp

from theoryrl._special import logsumexp

# SciPy 1.15 takes the maxima out of the sum (log1p); earlier releases round differently
SAME_ALGORITHM = tuple(int(x) for x in scipy.__version__.split(".")[:2]) >= (1, 15)


def _cases(n=3000):
    rng = np.random.default_rng(7)
    for _ in range(n):
        shape = tuple(rng.integers(1, 6, size=rng.integers(1, 4)))
        x = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4)
        if rng.random() < 0.3:
            x = np.round(x)  # ties at the maximum
        if rng.random() < 0.1:
            x[..., 0] = -np.inf
        if rng.random() < 0.1:
            x = x.astype(np.float32)
        yield x, int(rng.integers(-x.ndim, x.ndim)), bool(rng.random() < 0.5)


def test_same_values_shapes_and_types_as_scipy():
    for x, axis, keepdims in _cases():
        want = scipy_logsumexp(x, axis=axis, keepdims=keepdims)
        got = logsumexp(x, axis=axis, keepdims=keepdims)
        assert type(got) is type(want) and np.shape(got) == np.shape(want)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        if SAME_ALGORITHM:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6 if x.dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("x", [np.array([[1.0, np.inf]]), np.array([[np.nan, 0.0]]),
                               np.array([[-np.inf, -np.inf]]), np.array([[1, 2], [3, 3]]),
                               np.zeros((2, 0))])
def test_other_input_goes_to_scipy(x):
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(logsumexp(x, axis=1), scipy_logsumexp(x, axis=1))
