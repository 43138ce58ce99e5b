"""Small network helpers of the sandbox ingress."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port free on 127.0.0.1 now (for tests and for a second sandbox beside bin/run's)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
