"""Shared fixtures. What tests build (tiny models, cards, a corpus, the app on a page) is in
tests/factory.py; tests import it, and the browser helpers, by package path (``tests.factory``,
``tests.browser.browser_helpers``), never another test module."""

import pytest


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty user model folder and a fresh job manager; every job is stopped afterwards."""
    from lstm_viz.training import jobs

    monkeypatch.setenv("LSTM_VIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LSTM_VIZ_TRAIN_THREADS", "1")
    monkeypatch.setenv("LSTM_VIZ_TRAIN_NICE", "0")  # a shared test machine must not starve the job
    fresh = jobs.JobManager()
    monkeypatch.setattr(jobs, "_MANAGER", fresh)
    yield tmp_path / "home"
    for job in fresh.running():
        job.stop()
        job.thread.join(60)
