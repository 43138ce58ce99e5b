"""A sandbox of the Single Online Home platform: the admin API of schemas/platform-api.yaml on SQLite, and
every tenant's website served from what was published to it (see README.md)."""

from .faults import Faults
from .scenarios import misconfigured_tenant
from .server import RunningPlatform, SandboxPlatform, serve, start

__all__ = ["Faults", "RunningPlatform", "SandboxPlatform", "misconfigured_tenant", "serve", "start"]
