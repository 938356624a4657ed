"""The command line on the shipped models, run as a user would (in a subprocess, exit codes checked): the Neuron
Lab's ``units`` and ``intervene`` and the lesson handouts, their numbers read back as the API gives them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lstm_viz.lessons import render, schema
from lstm_viz.store import zoo

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lstm_viz", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_units_and_intervene_on_the_command_line():
    done = cli("units", "brackets-lstm", "a(b(c)d)e((x))", "--feature-name", "bracket_depth", "--top", "3", "--json")
    assert done.returncode == 0, done.stderr
    ranked = json.loads(done.stdout)
    assert [set(r) for r in ranked] == [{"unit", "score"}] * 3 and abs(ranked[0]["score"]) >= abs(ranked[1]["score"])
    done = cli(
        "units", "shakespeare-char", "To be, or not to be", "--like", "3:5", "--layer", "1", "--top", "2", "--json"
    )
    assert done.returncode == 0 and len(json.loads(done.stdout)) == 2
    done = cli(
        "intervene", "brackets-lstm", "a((b))c", "--unit", "0", "--set", "forget_gate=0", "--steps", "1:4", "--json"
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["tokens"] == list("a((b))c") and len(doc["before"]) == len(doc["after"]) == 7
    assert doc["before"][0] == doc["after"][0]  # before the clamped steps nothing changes
    for args, message in (
        (("units", "brackets-lstm", "(a)", "--feature", "("), "not a valid regular expression"),
        (("units", "brackets-lstm", "(a)", "--like", "x"), "--like takes A:B"),
        (("intervene", "brackets-lstm", "(a)", "--unit", "0", "--set", "cell=inf"), "finite number"),
        (("intervene", "brackets-lstm", "(a)", "--unit", "99", "--set", "cell=0"), "unit must be between"),
    ):
        done = cli(*args)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


def test_handout_on_the_command_line():
    listed = subprocess.run(
        [sys.executable, "-m", "lstm_viz", "lesson", "--list", "--json"], capture_output=True, text=True, cwd=ROOT
    )
    assert listed.returncode == 0, listed.stderr
    ids = {entry["id"] for entry in json.loads(listed.stdout)}
    assert ids == {lesson.id for lesson in schema.shipped()}
    out = subprocess.run(
        [sys.executable, "-m", "lstm_viz", "lesson", "counting-brackets"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    told = render.tell(schema.find("counting-brackets").stops[0], zoo.load)
    assert out.stdout.startswith("# ") and told.narration in out.stdout and "| step |" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "lstm_viz", "lesson", "no-such-lesson"], capture_output=True, text=True, cwd=ROOT
    )
    assert bad.returncode != 0 and "no lesson 'no-such-lesson'" in bad.stderr and "Traceback" not in bad.stderr
