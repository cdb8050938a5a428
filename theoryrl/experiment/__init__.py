"""Seeded multi-run experiment driver and its results."""

from .driver import check_agent_fits, run
from .episodes import EpisodeSimulator, run_episodes
from .result import Result, atomic_write_bytes, compare, save_figure, write_csv
from .seeding import map_seeds, resolve_base_seed, seed_sequences
from .xp_batch import bytes_per_seed, run_batched

__all__ = ["EpisodeSimulator", "Result", "atomic_write_bytes", "bytes_per_seed",
           "check_agent_fits", "compare", "map_seeds", "resolve_base_seed", "run", "run_batched",
           "run_episodes", "save_figure", "seed_sequences", "write_csv"]
