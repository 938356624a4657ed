"""Two replicas of the app behind nginx (deploy/serve.py): both answer, sessions stick, one model folder for both,
and one class in PostgreSQL that a teacher and students on both replicas run together in Chromium.

The deployment runs on free localhost ports in a temporary folder; every process it started is
gone at the end. nginx is Debian's (``.ci/run`` installs it); without it these tests fail under
``CI=true`` and skip elsewhere, with the reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch

from benchmarks.load import view
from deploy import postgres, serve
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
def deployment(tmp_path_factory, postgres_server):
    try:
        serve.nginx_binary()
    except ValueError as err:
        _missing(str(err))
    folder = tmp_path_factory.mktemp("deploy")
    database = postgres.new_database(postgres_server.url, "deployment")  # the classes, shared by both replicas
    with serve.serve(replicas=2, folder=folder, database_url=database) as d:
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
    def fake_serve(replicas, port, home, *rest, **options):
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


def _class_rows(database: str) -> dict[str, int]:
    import sqlalchemy as sa

    from lstm_viz.classroom.tables import answers, classes, open_engine, students

    with open_engine(database).begin() as db:
        return {t.name: db.scalar(sa.select(sa.func.count()).select_from(t)) for t in (classes, students, answers)}


def test_a_teacher_and_three_students_on_both_replicas_run_a_class(deployment):
    """The teacher on the second replica, one student on each replica and one through the proxy: they join with
    the code, follow the teacher's stop, answer; a student's own clicks on the Lessons page move nothing; the
    reveal shows the class's answers to all. Then the first replica is killed mid-stop: its student opens their
    own address on the other replica and is back in the class with the answer they had sent. The class goes on
    through the whole lesson and its quiz (every question answered by all three, revealed, the quiz's results on
    the teacher's screen); ending the class deletes it. (This test comes last: it stops a replica of the
    module's deployment.)"""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    import re

    from lstm_viz.classroom.store import ClassStore
    from lstm_viz.lessons import schema
    from tests.system.browser.browser_helpers import faults_on_page, main_text, screenshot, wait_for_render

    database = next(line.split("=", 1)[1] for line in _replica_env(deployment) if line.startswith("LSTM_VIZ_DATA"))
    store = ClassStore(database)

    def until(page, pattern: str, timeout_s: float = 20) -> float:
        start = time.monotonic()
        while not re.search(pattern, main_text(page)):
            assert time.monotonic() - start < timeout_s, f"{pattern!r} not on the page: {main_text(page)[:600]}"
            page.wait_for_timeout(100)
        return time.monotonic() - start

    with sync_playwright() as pw:
        # Each student's page is a tab of one browser here, not a device of its own: Chromium must not slow the
        # timers of the tabs behind the one in front (a student's screen asks where the class is every second).
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows"]
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            teacher.set_default_timeout(120_000)
            teacher.goto(f"{deployment.replica_urls[1]}/lessons?lesson=reading-reviews", timeout=120_000)
            wait_for_render(teacher, 240_000)
            teacher.get_by_role("button", name="Start a class with this lesson").click()
            wait_for_render(teacher, 60_000)
            code = re.search(r"\b[A-Z2-9]{5}-[A-Z2-9]{5}\b", main_text(teacher)).group(0)
            assert "/join" in main_text(teacher)
            assert teacher.locator('[data-testid="stImage"] img').count() == 1  # the QR code
            screenshot(teacher, "class-teacher-start")
            students = {}
            for name, url in zip(("Ana", "Bo", "Chen"), (*deployment.replica_urls, deployment.url), strict=True):
                page = browser.new_context(viewport={"width": 400, "height": 800}).new_page()
                page.set_default_timeout(120_000)
                page.goto(f"{url}/join?code={code.replace('-', '').lower()}", timeout=120_000)
                wait_for_render(page, 240_000)
                page.get_by_role("textbox", name="Your nickname").fill(name)
                page.get_by_role("button", name="Join").click()
                until(page, r"stop 1 of 4")
                students[name] = page
            until(teacher, r"3 joined")

            # Eve joins too, then plays teacher in her own session: her Lessons page moves nothing of the class.
            eve = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
            eve.set_default_timeout(120_000)
            eve.goto(f"{deployment.url}/lessons?lesson=reading-reviews&stop=3", timeout=120_000)
            wait_for_render(eve, 240_000)
            assert code not in main_text(eve)  # no class box: the teacher's controls are in the teacher's session
            eve.get_by_role("button", name="Reveal the answer").click()
            wait_for_render(eve, 60_000)
            place = store.where(code)
            assert (place.item, place.revealed) == ("stop-0", False)

            for k, page in enumerate(students.values()):
                options = page.locator("button").filter(has_text=re.compile(r"^\d · ")).filter(visible=True)
                options.nth(k % 2).click()
                wait_for_render(page, 60_000)
                page.get_by_role("button", name="Send my answer").click()
                until(page, r"Your answer is in")
                assert "The class:" not in main_text(page)  # nothing of the others before the reveal
            until(teacher, r"3 joined · 3 answered")
            assert _class_rows(database)["answers"] == 3

            clicked = time.monotonic()
            teacher.get_by_role("button", name="Reveal the answer").click()
            while not store.where(code).revealed:  # the teacher's page has written the reveal
                assert time.monotonic() - clicked < 60
                time.sleep(0.05)
            written = time.monotonic()
            for name, page in students.items():  # each screen follows (the load benchmark times this properly)
                until(page, r"The class: \d of 3 answered as the model does")
                print(f"{name} saw the reveal {time.monotonic() - written:.1f} s after it was written "
                      f"({written - clicked:.1f} s after the teacher's click)")
            wait_for_render(teacher, 60_000)
            right = int(re.search(r"The class: (\d) of 3 answered as the model does", main_text(teacher)).group(1))
            assert teacher.locator('[data-testid="stPlotlyChart"]').count() >= 1  # the class's answers, charted
            screenshot(teacher, "class-teacher-reveal")
            for page in students.values():
                assert f"The class: {right} of 3 answered as the model does" in main_text(page)
                assert re.search(r"Right:|Not this time", main_text(page))
                wait_for_render(page, 60_000)
                chart = page.locator('[data-testid="stPlotlyChart"] .main-svg').first
                chart.wait_for(state="attached", timeout=30_000)
                assert "you" in page.locator('[data-testid="stPlotlyChart"]').first.text_content()  # their own bar
                assert not faults_on_page(page)
            screenshot(students["Bo"], "class-student-reveal")

            teacher.get_by_role("button", name="Next").click()
            wait_for_render(teacher, 60_000)
            for page in students.values():
                until(page, r"stop 2 of 4")
            assert store.where(code).item == "stop-1"

            ana = students["Ana"]  # on the first replica: she answers, then her replica goes away
            ana.locator("button").filter(has_text=re.compile(r"^1 · ")).filter(visible=True).click()
            wait_for_render(ana, 60_000)
            ana.get_by_role("button", name="Send my answer").click()
            until(ana, r"Your answer is in: [^.]+\.")
            sent = re.search(r"Your answer is in: ([^.]+)\.", main_text(ana))
            os.kill(deployment.pids[0], signal.SIGKILL)
            ana.goto(ana.url.replace(deployment.replica_urls[0], deployment.replica_urls[1]), timeout=120_000)
            wait_for_render(ana, 240_000)
            until(ana, re.escape(sent.group(0)))  # the acknowledged answer was kept; she is back in her seat
            assert "Ana · " in main_text(ana)
            chen = students["Chen"]  # through the proxy: a reload reaches a replica that is up
            chen.goto(chen.url, timeout=120_000)
            wait_for_render(chen, 240_000)
            until(chen, r"Chen · .*stop 2 of 4")
            assert _class_rows(database)["answers"] == 4

            # The rest of the lesson and its quiz: every student answers every question (an option, a token or
            # the slider where it stands), the teacher reveals, every screen shows the class's answers.
            lesson = schema.find("reading-reviews")
            for index in range(1, len(lesson.stops)):
                if index > 1:
                    teacher.get_by_role("button", name="Next").click()
                    wait_for_render(teacher, 60_000)
                    for page in students.values():
                        until(page, re.escape(lesson.place(index).lower()))
                for name, page in students.items():
                    if index > 1 or name != "Ana":  # Ana answered this stop before her replica went away
                        _answer(page, until)
                until(teacher, r"3 joined · 3 answered this stop")
                teacher.get_by_role("button", name="Reveal the answer").click()
                for page in students.values():
                    until(page, r"The class: \d of 3 answered as the model does")
                wait_for_render(teacher, 60_000)
            screenshot(students["Ana"], "class-student-quiz-reveal")
            quiz = len(lesson.stops) - lesson.quiz_start
            assert _class_rows(database)["answers"] == 3 * len(lesson.stops)

            teacher.get_by_text("Class controls").click()
            wait_for_render(teacher, 60_000)
            assert f"The quiz ({quiz} questions)" in main_text(teacher)
            screenshot(teacher, "class-teacher-quiz-results")
            teacher.get_by_role("button", name="End the class (deletes its answers)").click()
            wait_for_render(teacher, 60_000)
            assert code not in main_text(teacher)
            for page in students.values():
                until(page, r"No class is open with this code")
            assert _class_rows(database) == {"classes": 0, "students": 0, "answers": 0}
            assert not faults_on_page(teacher)
        finally:
            browser.close()


def _answer(page, until) -> None:
    """A student answers the question on their screen: the first option, a token, or the slider as it stands."""
    import re

    from tests.system.browser.browser_helpers import wait_for_render

    wait_for_render(page, 60_000)
    options = page.locator("button").filter(has_text=re.compile(r"^\d · ")).filter(visible=True)
    tokens = page.locator('[data-testid="stButtonGroup"] button').filter(visible=True)  # st.pills
    if options.count():
        options.first.click()
    elif tokens.count():
        tokens.nth(min(3, tokens.count() - 1)).click()
    wait_for_render(page, 60_000)
    page.get_by_role("button", name="Send my answer").click()
    until(page, r"Your answer is in")


def _replica_env(deployment) -> list[str]:
    """The environment of the first replica, as its process has it."""
    raw = Path(f"/proc/{deployment.pids[0]}/environ").read_bytes()
    return raw.decode(errors="replace").split("\0")
