"""The server's trace cache is bounded by bytes: least recently used traces go first, a trace larger
than the budget is served but not kept, and sessions asking for the same trace at once build it once.
Built charts are kept the same way, one per distinct input."""

from __future__ import annotations

import threading
import time

import numpy as np
import plotly.graph_objects as go
import pytest

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


# --- built charts: one per distinct input, shared ---------------------------------------------------------------

def _line(values, tokens, name="a title", step=None):
    _line.built += 1
    fig = go.Figure(go.Scatter(y=values, text=tokens, name=name))
    return fig.update_layout(title=name, xaxis_title=f"step {step}")


_line.built = 0


def test_a_chart_is_built_once_per_distinct_input_and_every_input_is_in_its_key(monkeypatch):
    store = cache.ByteCache(10**8, size=lambda item: item[2])
    monkeypatch.setattr(cache, "figures", lambda: store)
    values = np.arange(12, dtype=np.float32)
    built = _line.built
    first = cache.figure(_line, values, ["a", "b"], step=3)
    again = cache.figure(_line, values.copy(), ["a", "b"], step=3)  # equal, not the same object
    assert again is first and _line.built == built + 1
    changed = values.copy()
    changed[7] += 1e-3
    others = [
        cache.figure(_line, changed, ["a", "b"], step=3),  # one value of the array
        cache.figure(_line, values, ["a", "c"], step=3),  # a token
        cache.figure(_line, values, ["a", "b"], step=4),  # a keyword
        cache.figure(_line, values.astype(np.float64), ["a", "b"], step=3),  # the dtype
        cache.figure(_line, values, ["a", "b"], "another", step=3),  # a positional argument
    ]
    assert _line.built == built + 6 and len({id(f) for f in [first, *others]}) == 6
    assert first.layout.xaxis.title.text == "step 3" and others[2].layout.xaxis.title.text == "step 4"


def test_a_titled_chart_gives_its_title_for_the_page_and_the_untitled_one_keeps_it(monkeypatch):
    store = cache.ByteCache(10**8, size=lambda item: item[2])
    monkeypatch.setattr(cache, "figures", lambda: store)
    values = np.ones(3)
    title, bare = cache.titled_figure(_line, values, ["x"])
    assert title == "a title" and bare.layout.title.text is None
    assert cache.figure(_line, values, ["x"]).layout.title.text == "a title"  # its own entry, never stripped
    assert cache.titled_figure(_line, values, ["x"]) == (title, bare)  # and the pair is served again as it was


def test_a_chart_input_that_cannot_be_keyed_is_refused_not_served_stale():
    with pytest.raises(TypeError, match="cannot key a chart on a object"):
        cache.fingerprint([1, object()])
    strings = np.array(["a", "b"], dtype=object)
    assert cache.fingerprint(strings) == cache.fingerprint(np.array(["a", "b"], dtype=object))
    assert cache.fingerprint(strings) != cache.fingerprint(np.array(["a", "c"], dtype=object))
    assert cache.fingerprint({"k": (1, 2.5)}) != cache.fingerprint({"k": (1, 2.6)})


def test_the_charts_kept_stay_within_their_bytes():
    store = cache.ByteCache(budget=3 * cache.FIGURE_OVERHEAD, size=lambda item: item[2])
    for k in range(5):
        store.get((k,), lambda k=k: ("t", go.Figure(), cache.FIGURE_OVERHEAD + k))
    assert len(store) == 2 and store.nbytes <= store.budget
