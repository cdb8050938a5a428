"""Reference solution: the GPOMDP policy-gradient estimator."""

import numpy as np


def gpomdp(scores, rewards, gamma):
    disc_rewards = rewards * gamma ** np.arange(len(rewards))
    togo = np.cumsum(disc_rewards[::-1])[::-1]  # sum_{h >= t} gamma^h r_h
    return togo @ scores
