"""The Train page under AppTest: upload a text, see its vocabulary, start, watch progress,
stop, find the model in another page's picker; bad files get messages, never tracebacks."""

from __future__ import annotations

import io
import json
import time

import pytest
import torch
from streamlit.testing.v1 import AppTest

from lstm_viz.data.upload import vocabulary
from lstm_viz.store import zoo
from lstm_viz.training import jobs
from lstm_viz.training.runspec import RunSpec
from lstm_viz.ui import cache
from tests.factory import char_card, corpus_text, open_app, write_model

PAGE = "app_pages/train.py"


@pytest.fixture
def home(home):
    """The shared user-folder fixture (tests/conftest.py), with the page's model list refreshed."""
    cache.refresh_models()
    yield home
    cache.refresh_models()


def open_page() -> AppTest:
    at = open_app(PAGE, timeout=60)
    assert not at.exception
    return at


def poll(at: AppTest, done, timeout: float = 90.0) -> None:
    """Rerun the page (as the polling fragment does) until ``done(at)``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if done(at):
            return
        time.sleep(0.5)
    raise AssertionError("the page never showed what was expected")


def start_own_text_run(at: AppTest, file_name: str, budget: str, amount: float) -> None:
    """Upload ``corpus_text()`` as ``file_name`` and start a hidden-32 run of ``amount`` steps or minutes."""
    at.selectbox(key="train_source").set_value("Your own text").run()
    at.file_uploader(key="train_corpus").set_value((file_name, corpus_text().encode(), "text/plain")).run()
    at.select_slider(key="train_hidden").set_value(32)
    at.radio(key="train_budget").set_value(budget).run()
    at.number_input(key=f"train_{budget}").set_value(amount)
    at.button(key="train_start").click().run()


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_upload_train_watch_stop_and_explore(home):
    at = open_page()
    assert "Device: **CPU" in at.caption[0].value and "1 thread per job" in at.caption[0].value
    at.selectbox(key="train_source").set_value("Your own text").run()
    text = corpus_text().replace("cat", "chât")  # not ASCII: cp1252 bytes are not UTF-8
    at.file_uploader(key="train_corpus").set_value(("lyrics.txt", text.encode("cp1252"), "text/plain")).run()
    assert not at.exception and not at.error
    # The vocabulary is shown before training starts, with the notice for a recoded file.
    chars, _ = vocabulary(text)
    assert f"the model's vocabulary has {len(chars)} characters" in " ".join(texts(at.markdown))
    assert at.code[0].value == "".join({"\n": "↵", " ": "␣"}.get(c, c) for c in chars)
    assert "read as Windows-1252" in at.warning[0].value
    assert at.text_input(key="train_name").value == "lyrics-char"

    at.select_slider(key="train_hidden").set_value(32)
    at.radio(key="train_budget").set_value("minutes").run()
    at.number_input(key="train_minutes").set_value(1.0)
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error
    job = jobs.manager().get(at.session_state["train_session"])
    assert job is not None and job.spec.corpus_name == "lyrics.txt" and job.spec.overrides["hidden_size"] == 32

    def trained_a_while(at):
        snap = job.snapshot()
        return snap.sample is not None and len(at.get("plotly_chart")) >= 1 and snap.step >= 50

    poll(at, trained_a_while)
    progress = at.get("progress")[0].proto
    assert "lyrics-char" in progress.text and "Training" in progress.text
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Tokens per second"].replace(",", "")) > 0
    assert metrics["Held-out loss"] != "–"
    assert any(m.startswith("**Sample written by the model at step") for m in texts(at.markdown))

    at.button(key="train_stop").click().run()
    poll(at, lambda at: len(at.success) > 0)
    assert "was stopped; the weights so far were saved" in at.success[0].value
    snap = job.snapshot()
    assert snap.status == "stopped"
    # Listed under Your models, with its held-out loss from the card.
    card = zoo.load("lyrics-char").card
    listed = " ".join(texts(at.markdown))
    assert f"**lyrics-char** · charlm · {card['training']['steps']} steps" in listed
    assert f"held-out loss {card['metrics']['val_loss']:.3f}" in listed
    assert at.button(key="train_delete_lyrics-char") is not None

    # Another page's model picker offers it at once, and it loads and traces there.
    at.switch_page("app_pages/step_through.py").run()
    assert not at.exception
    picker = at.selectbox(key="model")
    assert "lyrics-char · character language model" in picker.options
    picker.set_value("lyrics-char").run()
    assert not at.exception
    assert cache.load_model("lyrics-char").module.training is False


def test_delete_and_train_another(home):
    at = open_page()
    start_own_text_run(at, "tiny.txt", "steps", 20)
    poll(at, lambda at: len(at.success) > 0)
    assert "**tiny-char** finished" in at.success[0].value
    at.button(key="train_again").click().run()
    assert at.button(key="train_start") is not None  # the form is back
    at.button(key="train_delete_tiny-char").click().run()
    assert not at.exception
    assert "tiny-char" not in zoo.names() and not (home / "tiny-char").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (bytes(range(256)) * 40, "binary file"),
        (b"hello", "at least 200 are needed"),
    ],
    ids=["empty", "binary", "too-short"],
)
def test_bad_corpora_show_their_message(home, content, message):
    at = open_page()
    at.selectbox(key="train_source").set_value("Your own text").run()
    at.file_uploader(key="train_corpus").set_value(("bad.txt", content, "text/plain")).run()
    assert not at.exception
    assert message in at.error[0].value
    assert at.button(key="train_start").disabled


def test_busy_server_says_try_again(home, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_MAX_JOBS", "1")
    other = RunSpec(
        "someone-else", corpus_text=corpus_text(), overrides={"hidden_size": 8, "num_layers": 1, "minutes": 5}
    )
    jobs.manager().start("another-session", other)
    at = open_page()
    at.button(key="train_start").click().run()
    assert not at.exception
    assert "Busy, try again" in at.warning[0].value and "limit is 1" in at.warning[0].value
    assert jobs.manager().get(at.session_state["train_session"]) is None


def test_bad_model_uploads_show_their_message_and_write_nothing(home):
    at = open_page()
    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buffer)
    cases = [
        ([("model.pt", buffer.getvalue(), "application/octet-stream")], "PyTorch pickle file"),
        ([("card.json", b"{}", "application/json")], "model.safetensors missing"),
        (
            [("model.safetensors", b"\x00" * 16, "application/octet-stream"), ("card.json", b"[1]", "text/json")],
            "card.json must hold a JSON object",
        ),
    ]
    for files, message in cases:
        at.file_uploader(key="train_model_files").set_value(files).run()
        at.button(key="train_model_install").click().run()
        assert not at.exception
        assert message in at.error[0].value
    assert [m for m in zoo.list() if not m.shipped] == []
    assert not home.exists() or not any(p.is_file() for p in home.rglob("*"))


def test_a_good_model_upload_joins_the_picker(home, tmp_path):
    from lstm_viz.engine.tokenizers import CharTokenizer

    card = char_card(name="brought", tokenizer=CharTokenizer(list("\n abc")).to_dict())
    write_model(tmp_path / "brought", card)
    at = open_page()
    files = [
        ("model.safetensors", (tmp_path / "brought" / "model.safetensors").read_bytes(), "application/octet-stream"),
        ("card.json", json.dumps(card).encode(), "application/json"),
    ]
    at.file_uploader(key="train_model_files").set_value(files).run()
    at.button(key="train_model_install").click().run()
    assert not at.exception and not at.error
    assert "Added **brought**" in at.success[0].value
    at.run()
    assert "**brought** · charlm · uploaded" in " ".join(texts(at.markdown))
    at.switch_page("app_pages/step_through.py").run()
    assert "brought · character language model" in at.selectbox(key="model").options


def test_a_reload_finds_the_run_again_through_the_url(home):
    """The run's id is in the URL (?run=…): a reload (a new session with the same URL) shows it again."""
    at = open_page()
    start_own_text_run(at, "reload.txt", "minutes", 1.0)
    run_id = at.session_state["train_session"]
    assert at.query_params["run"] == run_id

    reloaded = open_app(PAGE, timeout=60, params={"run": run_id})
    assert not reloaded.exception
    assert reloaded.session_state["train_session"] == run_id
    poll(reloaded, lambda r: len(r.get("progress")) > 0 and "reload-char" in r.get("progress")[0].proto.text)
    reloaded.button(key="train_stop").click().run()  # the reloaded tab controls the run
    poll(reloaded, lambda r: len(r.success) > 0)
    assert jobs.manager().get(run_id).snapshot().status == "stopped"
    reloaded.button(key="train_again").click().run()
    assert "run" not in reloaded.query_params and reloaded.button(key="train_start") is not None


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ("0" * 32, "not on this server any more"),
        ("<script>", "is not valid; it was ignored"),
        ("../" * 30, "is not valid; it was ignored"),
    ],
    ids=["unknown", "markup", "long"],
)
def test_a_link_to_a_missing_or_bad_run_says_so(home, run, message):
    at = open_app(PAGE, timeout=60, params={"run": run})
    assert not at.exception
    assert any(message in w.value for w in at.warning)
    assert at.session_state["train_session"] != run and at.button(key="train_start") is not None


def test_a_short_pasted_text_trains_with_a_warning_and_opens_with_its_own_text(home):
    """200 characters is the least; under 2,000 the page says what so little can teach. The model it
    trains opens in Step Through with a piece of its own held-out text, not the Shakespeare default."""
    at = open_page()
    at.selectbox(key="train_source").set_value("Your own text").run()
    short = ("the cat sat on the mat and the dog sat on the log. " * 12)[:600]
    at.text_area(key="train_paste").set_value(short[:150]).run()
    assert "at least 200 are needed" in " ".join(texts(at.error)) and at.button(key="train_start").disabled
    at.text_area(key="train_paste").set_value(short).run()
    assert not at.error
    assert any("This text is short (600 characters)" in w for w in texts(at.warning))
    at.select_slider(key="train_hidden").set_value(32)
    at.radio(key="train_budget").set_value("steps").run()
    at.number_input(key="train_steps").set_value(20)
    at.button(key="train_start").click().run()
    poll(at, lambda at: len(at.success) > 0)
    card = zoo.load("pasted-char").card
    assert card["sample_texts"] and card["sample_texts"][0] in short
    at.button(key="train_open_pasted-char").click().run()
    assert not at.exception
    assert at.session_state["model"] == "pasted-char"
    assert at.session_state["text"] == card["sample_texts"][0]
