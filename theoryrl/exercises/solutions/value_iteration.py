"""Reference solution: discounted value iteration with a guaranteed stopping rule."""

import math

import numpy as np


def bellman_operator(P, R, gamma, V):
    return (R + gamma * (P @ V)).max(axis=1)


def value_iteration(P, R, gamma, epsilon):
    V = np.zeros(R.shape[0])
    tol = epsilon * (1 - gamma) / (2 * gamma) if gamma > 0 else math.inf
    while True:
        W = bellman_operator(P, R, gamma, V)
        done = np.abs(W - V).max() < tol
        V = W
        if done:
            break
    policy = np.argmax(R + gamma * (P @ V), axis=1)
    return V, policy


def sweeps_bound(gamma, epsilon, rmax):
    if rmax / (1 - gamma) <= epsilon:
        return 0
    if gamma == 0:
        return 1
    n = math.ceil(math.log(rmax / (epsilon * (1 - gamma))) / math.log(1 / gamma))
    # guard against rounding at the boundary
    while gamma ** n * rmax / (1 - gamma) > epsilon:
        n += 1
    while n > 0 and gamma ** (n - 1) * rmax / (1 - gamma) <= epsilon:
        n -= 1
    return n
