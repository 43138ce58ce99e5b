"""A sandbox of Optimizely CMS (the police's Single Online Home runs on it): its OAuth token endpoint, the
Content Management API and the Content Delivery API's children listing, as schemas/optimizely-cma.yaml
describes them from the vendor's documentation, on a content tree in memory, with the platform sandbox's
fault mode (docs/decisions/0010-optimizely-content-management-api.md)."""

from sandbox.platform.faults import Faults

from .server import RunningCMS, SandboxCMS, serve, start

__all__ = ["Faults", "RunningCMS", "SandboxCMS", "serve", "start"]
