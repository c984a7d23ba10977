"""Shared test fixtures."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every outbound connection, as transformers' offline tests do: offline is a promise."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
