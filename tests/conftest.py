"""Shared test configuration: a deterministic Hypothesis profile and small-MDP strategies.

Every Hypothesis test runs under the ``theoryrl`` profile (derandomised, no
deadline: the first call of a numba kernel may compile). Set
``HYPOTHESIS_PROFILE=thorough`` for a longer local run.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile("theoryrl", derandomize=True, deadline=None, max_examples=25,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("thorough", derandomize=True, deadline=None, max_examples=400,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "theoryrl"))


def random_kernel(rng: np.random.Generator, shape: tuple[int, ...], S: int,
                  sparse: bool = True) -> np.ndarray:
    """Random rows over S next states, some entries exactly zero when ``sparse``."""
    P = rng.dirichlet(np.ones(S), size=shape)
    if sparse and S > 1:
        mask = rng.random(P.shape) < 0.3
        mask[..., 0] = False  # keep at least one entry per row
        P = np.where(mask, 0.0, P)
        P /= P.sum(axis=-1, keepdims=True)
    return P


@st.composite
def mdp_arrays(draw, max_states: int = 6, max_actions: int = 4, max_horizon: int = 6,
               stage_dependent: bool | None = None):
    """``(P, R, H, init)`` of a small random episodic MDP (P possibly stage-dependent)."""
    S = draw(st.integers(1, max_states))
    A = draw(st.integers(1, max_actions))
    H = draw(st.integers(1, max_horizon))
    stages = draw(st.booleans()) if stage_dependent is None else stage_dependent
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lead = (H,) if stages else ()
    P = random_kernel(rng, lead + (S, A), S)
    R = rng.random(lead + (S, A))
    init = rng.dirichlet(np.ones(S))
    return P, R, H, init


@st.composite
def discounted_arrays(draw, max_states: int = 6, max_actions: int = 4):
    """``(P, R, gamma)`` of a small random discounted MDP."""
    S = draw(st.integers(1, max_states))
    A = draw(st.integers(1, max_actions))
    gamma = draw(st.sampled_from([0.0, 0.5, 0.9, 0.97]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return random_kernel(rng, (S, A), S), rng.random((S, A)), gamma


def random_policies(rng: np.random.Generator, H: int | None, S: int, A: int):
    """A random deterministic (int) and a random stochastic (float) policy."""
    lead = (H,) if H else ()
    det = rng.integers(0, A, size=lead + (S,))
    sto = rng.dirichlet(np.ones(A), size=lead + (S,))
    return det, sto


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator (tests never read global random state)."""
    return np.random.default_rng(12345)
