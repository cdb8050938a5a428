"""Seeded multi-run experiment driver and its results."""

from .driver import map_seeds, run, seed_sequences
from .episodes import EpisodeSimulator, run_episodes
from .result import Result, atomic_write_bytes, compare, save_figure, write_csv

__all__ = ["EpisodeSimulator", "Result", "atomic_write_bytes", "compare", "map_seeds", "run",
           "run_episodes", "save_figure", "seed_sequences", "write_csv"]
