"""Algorithms, one module per paper, plus the baselines they compare against."""

from .base import Agent, Mixture, Trajectory
from .ucbvi import UCBVI, UCBVIBernstein, UCBVIHoeffding

__all__ = ["Agent", "Mixture", "Trajectory", "UCBVI", "UCBVIBernstein", "UCBVIHoeffding"]
