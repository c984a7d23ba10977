"""Shared test fixtures."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def synthetic_data_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's tiny synthetic sets in its own cache folder (``<tmp_path>/cache``), never the user's."""
    monkeypatch.setenv("SIMDA_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every outbound connection, as transformers' offline tests do: offline is a promise."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
