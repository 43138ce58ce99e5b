"""A sandbox legacy police force website: deterministic from a seed, with the faults real sites have."""

from .server import RunningSite, serve, start
from .site import LegacySite

__all__ = ["LegacySite", "RunningSite", "serve", "start"]
