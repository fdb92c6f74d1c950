"""A preview parse in a worker may grow its process only so far."""

from __future__ import annotations

import resource

import pytest


def test_the_parse_memory_limit_stops_a_runaway_and_is_given_back(monkeypatch):
    from types import SimpleNamespace

    from editorial import tasks

    worker_app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=False))
    monkeypatch.setattr(tasks, "current_app", worker_app)
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryError), tasks._memory_limit(64):
        bytearray(512 * 1024 * 1024)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    assert len(bytearray(128 * 1024 * 1024)) > 0  # the process may grow again
