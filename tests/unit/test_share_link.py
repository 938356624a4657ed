"""The "Share this view" link: ``st.context.url`` already ends with the page's own path (Streamlit adds the
current page to it), so the link is that address plus the view's query, never the page path twice,
also behind a reverse proxy that serves the app under a path prefix."""

from __future__ import annotations

import urllib.parse

import pytest
import streamlit as st

from lstm_viz.ui import state


class _Context:
    def __init__(self, url):
        self.url = url


@pytest.mark.parametrize(
    ("url", "page", "expected"),
    [
        ("http://localhost:8501/step_through", "step_through", "http://localhost:8501/step_through"),
        ("http://localhost:8501/heatmaps/", "heatmaps", "http://localhost:8501/heatmaps"),
        ("https://school.example/lstm/neuron_lab", "neuron_lab", "https://school.example/lstm/neuron_lab"),
        ("https://school.example/generate/generate", "generate", "https://school.example/generate/generate"),
        ("https://school.example/lstm", "classify", "https://school.example/lstm/classify"),
    ],
)
def test_the_link_names_the_page_once(monkeypatch, url, page, expected):
    monkeypatch.setattr(st, "context", _Context(url))
    link, fits = state.share_link(page)
    assert fits
    assert link.split("?", 1)[0] == expected


def test_the_link_carries_the_view(monkeypatch):
    monkeypatch.setattr(st, "context", _Context("http://localhost:8501/generate"))
    monkeypatch.setattr(state, "view_params", lambda page: {"model": "words-lm", "prime": "the king"})
    link, _ = state.share_link("generate")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert query == {"model": ["words-lm"], "prime": ["the king"]}
