"""Two replicas of the app behind nginx (deploy/serve.py): both answer, sessions stick, one model folder for both.

The deployment runs on free localhost ports in a temporary folder; every process it started is
gone at the end. nginx is Debian's (``.ci/run`` installs it); without it these tests fail under
``CI=true`` and skip elsewhere, with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch

from benchmarks.load import view
from deploy import serve
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.engine.tokenizers import CharTokenizer
from lstm_viz.store import checkpoint

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LSTM_VIZ_CHROMIUM", "/usr/bin/chromium")
NAME = "shared-tiny"
LISTED_WITHIN_S = 10  # the model list's ttl is 60 s: a model must show up much sooner than that


def _missing(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: the deployment test must run, not skip)")
    pytest.skip(reason)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    try:
        serve.nginx_binary()
    except ValueError as err:
        _missing(str(err))
    folder = tmp_path_factory.mktemp("deploy")
    with serve.serve(replicas=2, folder=folder) as d:
        nginx_pid = int((folder / "nginx.pid").read_text())
        yield d
    for pid in (*d.pids, nginx_pid):  # every process the deployment started is gone
        assert not _alive(pid), pid


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read(), response.headers


def test_both_replicas_answer_through_the_proxy(deployment):
    replicas = {u.removeprefix("http://") for u in deployment.replica_urls}
    seen = set()
    for _ in range(24):  # new visitors (no cookie) are spread over the replicas
        status, body, headers = get(f"{deployment.url}/_stcore/health")
        assert status == 200 and body.strip() == b"ok"
        seen.add(headers["X-Replica"])
    assert seen == replicas
    status, body, _ = get(f"{deployment.url}/equations?model=memory-lstm")
    assert status == 200 and b'<div id="root">' in body


def test_a_visitor_stays_on_one_replica(deployment):
    _, _, headers = get(deployment.url)
    cookie = next(c.split(";")[0] for c in headers.get_all("Set-Cookie") if c.startswith("lvz="))
    replicas = {get(f"{deployment.url}/_stcore/health", cookie)[2]["X-Replica"] for _ in range(12)}
    assert len(replicas) == 1


def write_tiny_model(folder: Path) -> None:
    tokenizer = CharTokenizer(list("abc "), fallback=" ")
    config = ModelConfig(vocab_size=4, num_outputs=4, embed_dim=3, hidden_size=5, num_layers=1)
    torch.manual_seed(0)
    card = {"name": NAME, "task": "charlm", "cell": "lstm", "tokenizer": tokenizer.to_dict(), "embed_dim": 3,
            "hidden_size": 5, "num_layers": 1, "metrics": {}}  # fmt: skip
    checkpoint.save_dir(SequenceModel(config), card, folder / NAME)


def test_a_model_saved_in_the_shared_folder_is_used_by_every_replica(deployment):
    query = {"model": NAME, "text": "abc abc", "step": 2}
    for url in deployment.replica_urls:  # each replica has read its model list: the model is not there yet
        before = view(url, "equations", query)
        assert before.params["model"] != NAME and not before.errors
    write_tiny_model(deployment.home)
    started = time.monotonic()
    for url in deployment.replica_urls:
        while (after := view(url, "equations", query)).params["model"] != NAME:
            assert time.monotonic() - started < LISTED_WITHIN_S, f"{url} does not list {NAME}"
            time.sleep(0.5)
        assert not after.errors and after.params["step"] == "2"  # traced: the link's step fits its 7 tokens
    through_proxy = view(deployment.url, "equations", query)
    assert through_proxy.params["model"] == NAME and not through_proxy.errors


def test_a_browser_opens_the_shared_model_through_the_proxy(deployment):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from tests.system.browser.browser_helpers import wait_for_render

    if not (deployment.home / NAME).is_dir():
        write_tiny_model(deployment.home)
    with sync_playwright() as pw:
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{deployment.url}/equations?model={NAME}&text=abc%20abc&step=2", timeout=60_000)
            wait_for_render(page, timeout_ms=60_000)
            assert "model=shared-tiny" in page.url and "step=2" in page.url  # the websocket ran the page
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()


def test_the_load_benchmark_runs_against_the_proxy(deployment):
    pids = [arg for pid in deployment.pids for arg in ("--pid", str(pid))]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.load", "--url", deployment.url, "--students", "3", "--seconds", "10", *pids],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for line in ("steps done: ", "lost steps: ", "errors: 0", "server CPU per step: ", "server time per step: p50"):
        assert line in out, (line, out)
    assert "students per replica: 127.0.0.1:" in out


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        ([], "/srv/teacher/models", "/srv/teacher/models"),  # set once, honoured like the app honours it
        (["--home", "/elsewhere"], "/srv/teacher/models", "/elsewhere"),  # --home still wins
        ([], None, str(serve.ROOT / "runs")),  # neither: runs/ in the project, as the app's default
    ],
)
def test_the_user_model_folder_comes_from_home_then_lstm_viz_home_then_runs(monkeypatch, argv, env, expected):
    import contextlib

    seen = []

    @contextlib.contextmanager
    def fake_serve(replicas, port, home, *rest):
        seen.append(str(home))
        raise ValueError("stopped by the test")
        yield

    monkeypatch.setattr(serve, "serve", fake_serve)
    if env is None:
        monkeypatch.delenv("LSTM_VIZ_HOME", raising=False)
    else:
        monkeypatch.setenv("LSTM_VIZ_HOME", env)
    assert serve.main(argv) == 2
    assert seen == [expected]
