"""Shared test set-up: test modules may import their siblings by bare name (``from test_jobs
import ...``, ``from browser_helpers import ...``) as well as by package path."""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE / "browser"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty user model folder and a fresh job manager; every job is stopped afterwards."""
    from lstm_viz import jobs

    monkeypatch.setenv("LSTM_VIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LSTM_VIZ_TRAIN_THREADS", "1")
    monkeypatch.setenv("LSTM_VIZ_TRAIN_NICE", "0")  # a shared test machine must not starve the job
    fresh = jobs.JobManager()
    monkeypatch.setattr(jobs, "_MANAGER", fresh)
    yield tmp_path / "home"
    for job in fresh.running():
        job.stop()
        job.thread.join(60)
