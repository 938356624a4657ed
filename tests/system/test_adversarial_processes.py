"""Attacks that need a process of their own: a server killed with SIGKILL in the middle of a save or a training
run, regular expressions that would backtrack for ever, autocomplete on 100,000 words (its memory measured in
the child). Each runs in a child Python under a hard timeout, so a regression cannot hang the run."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from lstm_viz.engine.network import SequenceModel
from lstm_viz.store import checkpoint, history, usermodels, zoo
from tests.factory import assert_consistent, char_card, model_for

ROOT = Path(__file__).resolve().parents[2]


def make_card(**changes) -> dict:
    return char_card(**{"name": "hostile", **changes})


def make_model(card: dict | None = None, seed: int = 0) -> SequenceModel:
    return model_for(card or make_card(), seed)


# --- faults: a killed server, a disk that refuses ------------------------------------------

KILL_CHILD = """
import json, os, signal, sys
import torch
from lstm_viz.store import checkpoint
from lstm_viz.engine.network import SequenceModel

folder, card, kill_at = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])

def model(seed):
    torch.manual_seed(seed)
    return SequenceModel(checkpoint.config_from_card(card))

checkpoint.save_dir(model(1), {**card, "metrics": {"step": 1}}, folder)
real_replace, calls = os.replace, []

def replace(src, dst):  # the server is killed at the kill_at-th rename of the next save
    calls.append(dst)
    if len(calls) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst)

os.replace = replace
checkpoint.save_dir(model(2), {**card, "metrics": {"step": 2}}, folder)
"""


def run_child(code: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("kill_at", [1, 2, 3])
def test_sigkill_between_the_renames_of_a_save_leaves_a_consistent_pair(tmp_path, monkeypatch, kill_at):
    folder = tmp_path / "killed"
    result = run_child(KILL_CHILD, str(folder), json.dumps(make_card()), str(kill_at))
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    _, card = assert_consistent(folder, make_card())
    monkeypatch.setenv("LSTM_VIZ_HOME", str(tmp_path))
    exported = zipfile.ZipFile(io.BytesIO(usermodels.export_zip("killed")))  # the same pair, not half of each
    weights, card_data = exported.read("killed/model.safetensors"), exported.read("killed/card.json")
    assert json.loads(card_data) == card and card["weights_sha256"] == hashlib.sha256(weights).hexdigest()
    checkpoint.save_dir(make_model(seed=2), {**make_card(), "metrics": {"step": 2}}, folder)  # the next save settles
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.safetensors"]
    assert_consistent(folder, make_card())


TRAIN_CHILD = """
import sys
from lstm_viz.data.corpus import CharCorpus
from lstm_viz.engine.network import ModelConfig
from lstm_viz.training.train import TrainConfig, train

text = "".join(f"line {i} of a tiny corpus that a test trains on, then kills.\\n" for i in range(400))
data = CharCorpus(text, seq_len=32, name="kill.txt")
model = ModelConfig(len(data.tokenizer), data.num_outputs, embed_dim=8, hidden_size=16, num_layers=1)
config = TrainConfig(minutes=10, batch_size=8, eval_every=5, sample_chars=0, threads=1, warmup_steps=5)
train(data, model, config, sys.argv[1], name="killed", log=lambda *a: None)
"""


def test_sigkill_in_the_middle_of_a_training_run_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    home = tmp_path / "home"
    folder = home / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", TRAIN_CHILD, str(folder)], cwd=ROOT, env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            try:
                if checkpoint.read_pair(folder).card["metrics"]["measured_at_step"] >= 15:
                    break
            except (ValueError, OSError, KeyError):
                pass
            time.sleep(0.05)
        assert child.poll() is None, child.stderr.read().decode()[-2000:]
        time.sleep(0.37)  # anywhere in the loop: training, evaluating or saving
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stderr.close()
    model, card = checkpoint.load_dir(folder)
    pair_read = checkpoint.read_pair(folder)
    assert card["weights_sha256"] == hashlib.sha256(pair_read.weights).hexdigest()
    assert card["metrics"]["final"] is False and card["metrics"]["measured_at_step"] % 5 == 0
    assert card["training"]["steps"] == card["metrics"]["measured_at_step"] >= 15  # the last evaluation's step
    visible = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert visible == ["card.json", "history", "model.safetensors"]  # history: the checkpoints kept along the way
    monkeypatch.setenv("LSTM_VIZ_HOME", str(home))
    assert "killed" in [m.name for m in zoo.list()]
    killed = zoo.load("killed")
    assert killed.trace("line 1").probs.shape[0] == 6
    kept = history.checkpoints(killed)  # every checkpoint the card lists is whole: it loads and passes its sha256
    assert len(kept) >= 2 and all(history.load(killed, c.training_step).trace("line 1") for c in kept)


CATASTROPHIC = ["(a+)+$", "(a*)*$", "(a|aa)+$", "(a|a?)+$", r"^(\w+\s?)*$"]
REGEX_CHILD = """
import sys, time
from lstm_viz.analysis import features
text = "a" * 20000 + "!"
for pattern in sys.argv[1:]:
    started = time.perf_counter()
    try:
        features.regex_feature(text, pattern)
    except ValueError:
        pass
    print(f"{time.perf_counter() - started:.3f}")
"""


def test_catastrophic_regexes_run_in_linear_time():
    """Each would backtrack for ever in Python's re; under a hard timeout so a regression cannot hang CI."""
    done = run_child(REGEX_CHILD, *CATASTROPHIC, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(float(took) < 1.0 for took in done.stdout.split()), done.stdout


RANDOM_REGEX_CHILD = """
from hypothesis import HealthCheck, given, settings, strategies as st
from lstm_viz.analysis import features
TEXT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! The (quick) brown fox; \\n" * 40


@settings(max_examples=400, deadline=1000, suppress_health_check=list(HealthCheck), database=None)
@given(st.text(alphabet="a()+*?{}[]|^$\\\\.0123456789,-=<!:PwbdsZ\\ud800é ", max_size=40))
def check(pattern):
    try:
        values = features.regex_feature(TEXT, pattern)
    except ValueError as err:
        assert 0 < len(str(err)) <= 600, str(err)
    else:
        assert values.shape == (len(TEXT),) and set(values.tolist()) <= {0.0, 1.0}


check()
"""


def test_random_patterns_give_a_feature_or_a_short_message_quickly():
    """Any pattern: values or a ValueError within a second each (Hypothesis), the whole run under a hard timeout."""
    done = run_child(RANDOM_REGEX_CHILD, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]


AUTOCOMPLETE_CHILD = """
import resource, sys, torch
from lstm_viz.generation import autocomplete
from lstm_viz.store import zoo
torch.set_num_threads(1)
model = zoo.load("words-lm")
words = [w for w in model.tokenizer.vocab if w.isalpha()][:500]
text = " ".join(words[k % len(words)] for k in range(int(sys.argv[1])))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
found = autocomplete.complete(model, text, width=5, words=1)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024, len(found))
"""


def test_autocomplete_on_100000_words_stays_small():
    done = run_child(AUTOCOMPLETE_CHILD, "100000", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    grown_mb, found = (int(x) for x in done.stdout.split())
    assert found == 5 and grown_mb < 300, done.stdout
