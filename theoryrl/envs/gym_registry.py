"""Importing this module registers theoryrl's named instances with Gymnasium.

So ``gymnasium.make("theoryrl.envs.gym_registry:theoryrl/RiverSwim-v0")``
works without a prior call (see :func:`~theoryrl.envs.register_gymnasium`).
"""

from .gym_adapter import register_gymnasium

__all__: list[str] = []

register_gymnasium()
