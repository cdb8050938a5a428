"""Reference solution: the POMDP Bayes filter and the forward recursion."""


def belief_update(T, E, b, a, o):
    unnormalised = (b @ T[a]) * E[:, o]  # predict, then correct
    return unnormalised / unnormalised.sum()


def trajectory_probability(T, E, mu, observations, actions):
    alpha = mu * E[:, observations[0]]
    for h in range(1, len(observations)):
        alpha = (alpha @ T[actions[h - 1]]) * E[:, observations[h]]
    return float(alpha.sum())
