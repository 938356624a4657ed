"""Shared fixtures, and the tiers. What tests build (tiny models, cards, a corpus, the app on a page) is in
tests/factory.py; tests import it, and the browser helpers, by package path (``tests.factory``,
``tests.system.browser.browser_helpers``), never another test module.

Each test carries the marker of the folder it is in: ``unit`` (tests/unit: the package on the factory models
and the shipped ones, no child process, no page), ``pages`` (tests/pages: the pages run by Streamlit's AppTest)
and ``system`` (tests/system: the command line and training in child processes, the real browser, the
deployment, the package as installed, torchrun, CUDA, the benchmarks, node's checks of the browser code).
``python -m pytest -m "not system"`` is the quick run; ``python -m pytest`` runs every tier."""

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "pages", "system")


def pytest_collection_modifyitems(items):
    for item in items:
        tier = Path(item.fspath).resolve().relative_to(TESTS).parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: a test module sits in tests/unit, tests/pages or tests/system")
        item.add_marker(getattr(pytest.mark, tier))


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


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server (deploy/postgres.py) for the whole run; CI installs Debian's postgresql,
    so there a missing server fails the tests, and elsewhere they skip with the reason."""
    import os

    from deploy import postgres

    try:
        postgres.binaries()
    except ValueError as err:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{err} (CI=true: the store's tests run against a real PostgreSQL)")
        pytest.skip(str(err))
    with postgres.throwaway() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def class_db(request, tmp_path):
    """A fresh, empty class database: a SQLite file, then a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    from deploy import postgres

    server = request.getfixturevalue("postgres_server")
    return postgres.new_database(server.url, f"t_{tmp_path.name.lower().replace('-', '_')[-40:]}")
