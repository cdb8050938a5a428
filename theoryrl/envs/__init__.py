"""Named instances, each a function returning a seeded exact model."""

from .classic import chain, random_mdp, riverswim

__all__ = ["chain", "random_mdp", "riverswim"]
