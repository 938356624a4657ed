"""The server's trace cache is bounded by bytes: least recently used traces go first, a trace larger
than the budget is served but not kept, and sessions asking for the same trace at once build it once."""

from __future__ import annotations

import threading
import time

from lstm_viz.store import zoo
from lstm_viz.ui import cache


def test_the_cache_keeps_within_its_bytes_and_drops_the_least_recently_used():
    model = zoo.load("shakespeare-char")
    one = model.trace("a" * 50).nbytes
    store = cache.TraceCache(budget=int(one * 2.5))  # room for two
    for text in ("a" * 50, "b" * 50):
        store.get((text,), lambda t=text: model.trace(t))
    store.get(("a" * 50,), lambda: 1 / 0)  # a hit: never rebuilt, and now the most recent
    store.get(("c" * 50,), lambda: model.trace("c" * 50))
    assert len(store) == 2 and store.nbytes <= store.budget
    assert store.get(("a" * 50,), lambda: 1 / 0) is not None  # kept
    rebuilt = []
    store.get(("b" * 50,), lambda: rebuilt.append(1) or model.trace("b" * 50))
    assert rebuilt == [1]  # b was the least recently used: it had gone


def test_a_trace_larger_than_the_budget_is_served_not_kept():
    model = zoo.load("shakespeare-char")
    store = cache.TraceCache(budget=1000)
    trace = store.get(("long",), lambda: model.trace("To be, or not to be"))
    assert len(trace) == 19 and len(store) == 0 and store.nbytes == 0


def test_sessions_asking_at_once_build_a_trace_once():
    model = zoo.load("shakespeare-char")
    store, built = cache.TraceCache(budget=10**9), []

    def build():
        built.append(1)
        time.sleep(0.2)
        return model.trace("once")

    got = []
    threads = [threading.Thread(target=lambda: got.append(store.get(("k",), build))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [1] and len({id(t) for t in got}) == 1


def test_the_budget_is_the_environments_or_a_quarter_of_memory(monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_TRACE_CACHE_MB", "64")
    assert cache._budget_bytes() == 64 * 2**20
    monkeypatch.delenv("LSTM_VIZ_TRACE_CACHE_MB")
    assert 64 <= cache._default_budget_mb() <= cache.DEFAULT_TRACE_CACHE_MB
    monkeypatch.setenv("LSTM_VIZ_TRACE_CACHE_MB", "lots")
    assert cache._budget_bytes() == cache._default_budget_mb() * 2**20
