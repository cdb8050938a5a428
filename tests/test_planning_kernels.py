"""The UCBVI planner's compiled loops against the planning kernels they copy.

``theoryrl.agents._ucbvi_kernels`` keeps its own copies of the planning kernels'
matrix-vector products (numba's on-disk cache does not notice edits to functions of
other modules, so compiled modules do not import each other). These tests pin the
copies to the originals: bit-identical products, and the optimistic backward
induction equal to :func:`theoryrl.planning.backward_induction` run on the empirical
kernel with the same bonus and clip.
"""

from __future__ import annotations

import numpy as np
import pytest

from theoryrl.agents import _ucbvi_kernels as U
from theoryrl.planning import _kernels as K
from theoryrl.planning import backward_induction


@pytest.mark.parametrize("S, A", [(1, 1), (3, 2), (7, 3), (17, 5)])
def test_matvec_copies_are_bit_identical(S, A):
    rng = np.random.default_rng(S * 10 + A)
    M = rng.random((S, A, S)) * rng.integers(0, 5, size=(S, A, S))
    v = rng.standard_normal(S) * 1e3
    MT = np.ascontiguousarray(M.reshape(S * A, S).T)
    outs = [np.empty(S * A) for _ in range(4)]
    K._matvec(M, v, outs[0])
    U._matvec(M, v, outs[1])
    K._matvec_t(MT, v, outs[2])
    U._matvec_t(MT, v, outs[3])
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


@pytest.mark.parametrize("kind", [U.HOEFFDING, U.BERNSTEIN, U.L1])
@pytest.mark.parametrize("transposed", [False, True])
def test_optimistic_plan_is_backward_induction_on_the_empirical_kernel(kind, transposed):
    rng = np.random.default_rng(kind + 3 * transposed)
    S, A, H = 6, 3, 5
    N = rng.integers(0, 4, size=(S, A, S)).astype(float)
    N[0, 0] = 0.0  # an unvisited pair: Q is the clip H - h
    n = N.sum(axis=2).astype(np.int64)
    nstate = rng.integers(0, 9, size=(H + 1, S)).astype(float)
    R = rng.random((1, S, A))
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    bonus = np.empty((H, S, A))
    if transposed:
        NT = np.ascontiguousarray(N.reshape(S * A, S).T)
        U.optimistic_plan_t(N, NT, n, nstate, R, H, 1.7, kind, 0.3, True, V, Q, pi, bonus)
    else:
        U.optimistic_plan(N, n, nstate, R, H, 1.7, kind, 0.3, True, V, Q, pi, bonus)
    Phat = N / np.maximum(n, 1)[..., None]
    Phat[0, 0, 0] = 1.0  # any row: the bonus is infinite there and the clip decides
    b = np.where(np.isinf(bonus), 1e300, bonus)
    ref = backward_induction(Phat, R[0], H, bonus=b, qmax=np.arange(H, 0, -1.0))
    np.testing.assert_allclose(Q, ref.Q, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(V[:H], ref.V, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(pi, ref.policy)


@pytest.mark.parametrize("S, A", [(1, 1), (5, 3), (8, 4), (11, 3), (40, 4)])
def test_transposed_products_are_bit_identical(S, A):
    # the transposed kernels (8 terms a pass; 32 sums held in registers) against the
    # row-by-row one, on a zero-padded transposed copy as the planner builds it
    rng = np.random.default_rng(S * 7 + A)
    M = rng.random((S, A, S)) * rng.integers(0, 3, size=(S, A, S))
    v = rng.standard_normal(S) * 10.0 ** rng.integers(-3, 4, size=S)
    ref = np.empty(S * A)
    K._matvec(M, v, ref)
    for mult, kernel in ((8, K._matvec_t8), (32, K._matvec_t32)):
        MT = K._transpose_padded(M, mult)
        assert MT.shape == (S, -(-S * A // mult) * mult)
        np.testing.assert_array_equal(MT[:, :S * A], M.reshape(S * A, S).T)
        assert not MT[:, S * A:].any()
        out = np.full(MT.shape[1], np.nan)
        kernel(MT, v, out)
        np.testing.assert_array_equal(out[:S * A], ref)
