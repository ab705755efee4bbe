"""A fixture that makes any network access fail loudly (checks that building never downloads)."""
from __future__ import annotations

import socket

import pytest


class NetworkAccess(RuntimeError):
    """Raised instead of opening a connection or resolving a host name."""


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connect and host-name lookup raises :class:`NetworkAccess` (open_clip and
    huggingface_hub downloads go through these)."""
    def refuse(*args, **kwargs):
        raise NetworkAccess(f'network access attempted: {args[1:] or args}')

    monkeypatch.setattr(socket.socket, 'connect', refuse)
    monkeypatch.setattr(socket.socket, 'connect_ex', refuse)
    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setattr(socket, 'getaddrinfo', refuse)
