"""Smoke tests of ``python -m lstm_viz``, run as a user would: in a subprocess, exit codes checked.

One tiny model is trained once (into a temporary LSTM_VIZ_HOME) and every other command runs
on it; the printed numbers are compared with the Python API on the same saved model.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_viz.store import zoo

ROOT = Path(__file__).resolve().parents[2]
TRAIN = [
    "train", "--preset", "shakespeare-char", "--name", "tiny", "--steps", "12", "--eval-every", "6",
    "--hidden-size", "24", "--num-layers", "2", "--embed-dim", "8", "--batch-size", "8", "--device", "cpu",
]  # fmt: skip


def cli(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "LSTM_VIZ_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("lstm_viz_home")
    result = cli(*TRAIN, home=home)
    assert result.returncode == 0, result.stderr
    home.joinpath("train.out").write_text(result.stdout)
    return home


@pytest.fixture(scope="module")
def tiny(home, monkeypatch_module):
    monkeypatch_module.setenv("LSTM_VIZ_HOME", str(home))
    return zoo.load("tiny")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_train_writes_a_user_model_and_prints_its_metrics(home):
    out = home.joinpath("train.out").read_text()
    card = json.loads((home / "tiny" / "card.json").read_text())
    assert (home / "tiny" / "model.safetensors").is_file()
    assert card["training"]["command"] == "python -m lstm_viz " + " ".join(TRAIN)
    assert card["training"]["steps"] == 12 and card["metrics"]["final"] is True
    assert (card["hidden_size"], card["num_layers"], card["embed_dim"]) == (24, 2, 8)
    assert f"metrics: val_loss {card['metrics']['val_loss']:.4f}" in out
    for line in ("device: CPU", "tokens per step: 1,024 (batch 8 x length 128)", "eval step 6", "final step 12"):
        assert line in out


def test_list_shows_the_user_model(home):
    result = cli("list", home=home)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()}
    assert rows["tiny"][1:3] == ["user", "charlm"]
    for shipped in (p.name for p in zoo.SHIPPED_DIR.iterdir() if (p / "card.json").is_file()):
        assert rows[shipped][1] == "shipped"


def test_eval_prints_the_held_out_loss_of_a_fresh_evaluation(home):
    result = cli("eval", "tiny", home=home)
    assert result.returncode == 0, result.stderr
    match = re.search(r"^val_loss: (\d+\.\d{4}) nats per character$", result.stdout, re.M)
    assert match, result.stdout
    card = json.loads((home / "tiny" / "card.json").read_text())
    assert abs(float(match.group(1)) - card["metrics"]["val_loss"]) < 1e-4
    assert "last 10% held out" in result.stdout


def test_eval_held_aside_is_for_word_models_and_record_needs_it(home):
    result = cli("eval", "tiny", "--held-aside", home=home)
    assert result.returncode == 2 and "tiny is not a word model: nothing is held aside for it" in result.stderr
    result = cli("eval", "tiny", "--record", home=home)
    assert result.returncode == 2 and "--record writes the --held-aside figures" in result.stderr
    assert "after" not in json.loads((home / "tiny" / "card.json").read_text())["training"]


def test_trace_prints_the_gates_of_the_api_trace(home, tiny):
    result = cli("trace", "tiny", "To be\u00e9", "--layer", "1", "--unit", "5", home=home)
    assert result.returncode == 0, result.stderr
    assert "note: '\u00e9' at step 5 is not in the vocabulary; the model sees 'e'" in result.stdout
    assert "layer 1, unit 5" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"^\s+\d+\s+'", line)]
    assert [int(r[0]) for r in rows] == list(range(6))
    tr = tiny.trace("To be\u00e9")
    layer = tr.layers[1]
    expected = np.stack([getattr(layer, n)[:, 5] for n in ("forget_gate", "input_gate", "candidate")], axis=1)
    expected = np.concatenate(
        [expected, np.stack([layer.output_gate[:, 5], layer.cell[:, 5], layer.hidden[:, 5]], 1)], 1
    )
    printed = np.array([[float(v) for v in r[-6:]] for r in rows])
    np.testing.assert_allclose(printed, expected, atol=5e-4 + 1e-6)


def test_generate_is_reproducible_with_a_seed(home):
    first = cli("generate", "tiny", "--prime", "ROMEO:", "--length", "40", "--seed", "3", home=home)
    again = cli("generate", "tiny", "--prime", "ROMEO:", "--length", "40", "--seed", "3", home=home)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    text = first.stdout[:-1]  # print adds one newline
    assert text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 40


@pytest.mark.parametrize(
    "args, message",
    [
        (("eval", "no-such-model"), "error: no model named 'no-such-model'; available: .*tiny"),
        (("trace", "no-such-model", "hello"), "error: no model named 'no-such-model'"),
        (("generate", "bad name!"), "error: invalid model name 'bad name!'"),
        (("generate", "../no-such-folder-xyz"), r"error: invalid model name '\.\./no-such-folder-xyz'"),
        (("trace", "tiny", ""), "error: the text has no tokens to trace"),
        (("trace", "tiny", "hi", "--layer", "2"), r"error: --layer must be between 0 and 1, got 2"),
        (("trace", "tiny", "hi", "--unit", "24"), r"error: --unit must be between 0 and 23, got 24"),
        (("classify", "tiny", "hello"), "error: tiny is a charlm model, not a classifier|tiny is a charlm model"),
        (("train", "--preset", "no-such-preset", "--steps", "1"), "error: unknown preset 'no-such-preset'"),
        (("train", "--preset", "shakespeare-char", "--steps", "1", "--name", "a/b"), "error: invalid model name 'a/b'"),
    ],
)
def test_errors_exit_non_zero_with_a_clear_message(home, args, message):
    result = cli(*args, home=home)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_a_folder_without_weights_is_named_in_the_error(home, tmp_path):
    # An existing folder path (absolute, so the test does not depend on where the clone lives).
    result = cli("generate", str(tmp_path), home=home)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert re.search(rf"error: {re.escape(str(tmp_path))} has no model.safetensors", result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_from_argparse(home):
    result = cli("train", home=home)
    assert result.returncode == 2 and "one of the arguments --preset --corpus is required" in result.stderr
    result = cli("frobnicate", home=home)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_app_passes_every_option_to_streamlit_run(monkeypatch, tmp_path):
    """``lstm-viz app --server.port 8502`` (options first, which argparse's REMAINDER refuses) reaches
    ``streamlit run`` unchanged, run in the app's folder; a leading ``--`` is dropped. User models stay
    in ``runs/`` of the folder it was started from (not the app's, which may be inside site-packages)."""
    from lstm_viz import cli as cli_module

    calls = []
    monkeypatch.delenv("LSTM_VIZ_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli_module.subprocess, "call", lambda cmd, cwd, env: calls.append((cmd, cwd, env)) or 0)
    for argv, passed in (
        (
            ["app", "--server.port", "8502", "--server.headless", "true"],
            ["--server.port", "8502", "--server.headless", "true"],
        ),
        (["app", "--", "--help"], ["--help"]),
        (["app"], []),
    ):
        assert cli_module.main(argv) == 0
        cmd, cwd, env = calls.pop()
        assert cmd == [sys.executable, "-m", "streamlit", "run", str(cli_module.APP), *passed]
        assert cwd == cli_module.APP.parent and (cwd / "app_pages").is_dir()
        assert env["LSTM_VIZ_HOME"] == str((tmp_path / "runs").resolve())


def test_compact_stores_float16_and_measures_the_card_again(home, tmp_path):
    import shutil

    from safetensors.torch import load_file

    folder = tmp_path / "tiny-half"
    shutil.copytree(home / "tiny", folder)
    before = json.loads((folder / "card.json").read_text())
    size = (folder / "model.safetensors").stat().st_size
    result = cli("compact", str(folder), home=home)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^weights: [\d.]+ MB -> [\d.]+ MB \(float16\)$", result.stdout, re.M), result.stdout
    assert (folder / "model.safetensors").stat().st_size < 0.6 * size
    assert {t.dtype for t in load_file(folder / "model.safetensors").values()} == {__import__("torch").float16}
    card = json.loads((folder / "card.json").read_text())
    assert card["weights_dtype"] == "float16"
    assert card["training"]["after"] == [f"python -m lstm_viz compact {folder}"]
    assert card["training"]["float32_metrics"]["val_loss"] == before["metrics"]["val_loss"]
    assert card["metrics"]["final"] is True and card["metrics"]["split"] == before["metrics"]["split"]
    # the card's figure is the rounded weights' own: a fresh evaluation of the folder prints it
    fresh = cli("eval", str(folder), home=home)
    assert fresh.returncode == 0, fresh.stderr
    printed = float(re.search(r"^val_loss: (\d+\.\d{4})", fresh.stdout, re.M).group(1))
    assert abs(printed - card["metrics"]["val_loss"]) < 1e-4
    assert abs(card["metrics"]["val_loss"] - before["metrics"]["val_loss"]) < 0.01  # rounding barely moves it
    # the model loads and computes in float32, and compacting twice is refused with a sentence
    assert zoo.load_path(folder).module.head.weight.dtype == __import__("torch").float32
    again = cli("compact", str(folder), home=home)
    assert again.returncode == 2 and "already stored as float16" in again.stderr and "Traceback" not in again.stderr
    missing = cli("compact", str(tmp_path / "nowhere"), home=home)
    assert missing.returncode == 2 and "no folder" in missing.stderr and "Traceback" not in missing.stderr
