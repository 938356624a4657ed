"""Smoke tests: each benchmark runs end to end on the shipped models and prints its ratio.

They check that the commands in the README work and print well-formed figures, not how fast
anything is (speed is measured by running the benchmarks, never asserted in tests).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str, timeout: float = 300) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_trace_cost_prints_a_ratio_per_thread_count():
    out = bench("benchmarks.trace_cost", "--repeats", "1", "--threads", "1", "2")
    assert "shipped shakespeare-char" in out
    rows = re.findall(r"^\s+(50|200|1000)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out, re.M)
    assert [r[0] for r in rows] == ["50", "200", "1000"] * 2
    for _, forward, traced, ratio in rows:
        # Each figure is printed to 2 decimals (half a unit of error each), and the ratio is
        # taken before rounding: it must lie within what the printed figures allow.
        f, t, r = float(forward), float(traced), float(ratio)
        assert (t - 0.005) / (f + 0.005) - 0.005 <= r <= (t + 0.005) / (f - 0.005) + 0.005, (f, t, r)
    assert re.search(r"with 1 thread\(s\): [\d.]+ \((meets|MISSES)", out)
    assert re.search(r"with 2 thread\(s\): [\d.]+ \((meets|MISSES)", out)


def test_generate_benchmark_prints_its_time():
    out = bench("benchmarks.generate", "--repeats", "1", "--length", "30")
    assert re.search(r"generate 30 characters .*: [\d.]+ s \(goal <= 1 s: (met|MISSED)\)", out), out


def test_train_throughput_prints_a_cpu_ratio():
    out = bench("benchmarks.train_throughput", "--steps", "20", "--rounds", "1", "--device", "cpu")
    assert re.search(r"cpu: ratio ours / bare = [\d.]+ \((meets|MISSES) the goal >= 0.9\)", out), out


def test_train_throughput_refuses_too_few_steps():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.train_throughput", "--steps", "12"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "--steps must be at least 20, got 12" in result.stderr


def rows_without_next(out: str) -> list[str]:
    """The Neuron Lab's Next-click rows: its server path has no Next button (its slider steps)."""
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("(g) "))
    return [line for line in lines[start + 1 : start + 3] if "Next click" in line]


def test_page_latency_measures_both_paths():
    """The server-side view and the browser-side stepper, side by side (Chromium when it is installed)."""
    browser = Path(os.environ.get("LSTM_VIZ_CHROMIUM", "/usr/bin/chromium")).exists()
    out = bench("benchmarks.page_latency", "--smoke", *([] if browser else ["--no-browser"]), timeout=600)
    assert re.search(r"\(a\) server: .*\(AppTest\): [\d.]+ ms at 200 tokens, [\d.]+ ms at 2,000 \([\d.]+x", out), out
    for tokens in ("200", "2,000"):
        assert re.search(rf"{tokens} tokens: first view [\d,]+ KB at step 0 \(\d+ chunks\), [\d,]+ KB mid-text", out)
    if browser:
        labels = ("Next click", "-> key", "presses at 20/s", "Play, tokens/s", "server CPU per step", "script runs")
        for label in labels:
            rows = [line for line in out.splitlines() if label in line]
            want = 1 if label.startswith("Play") else 3  # the short run's text on Step Through, Equations, Neuron Lab
            assert len(rows) == want and all("200 tokens" in r for r in rows), (label, out)
            assert all(re.search(r"tokens\s+([\d.]+|n/a)\s+[\d.]+\s+\S", r) for r in rows), (label, out)
        assert "(e) Chromium, Equations" in out and "(g) Chromium, Neuron Lab, A moment" in out, out
        assert [line for line in out.splitlines() if "n/a" in line] == rows_without_next(out), out
        assert re.search(r"the server's first open \(model loaded then\): [\d.]+ s", out), out
        for how in ("sidebar click from Step Through", "link in a fresh browser"):
            assert re.search(rf"{how}, 200 tokens: [\d.]+ s \(of 1: ", out), (how, out)
        assert re.search(r"value boxes drawn, 200 tokens: \d+ ms in the page", out), out


def test_page_switch_times_pages_and_lesson_stops_as_shipped_and_with_nothing_kept():
    """Sidebar clicks and lesson stops in Chromium against two servers, the caches on and off: every figure printed."""
    from lstm_viz.lessons import schema

    out = bench("benchmarks.page_switch", "--smoke", "--dwell", "1", timeout=600)
    for title in ("Gate Heatmaps", "Neuron Lab", "Home"):
        assert re.search(rf"^{title}\s+[\d.]+ s\s+[\d.]+ s\s+[\d.]+x  (met|NOT met)$", out, re.M), (title, out)
    assert re.search(r"^\d of 3 pages within 0.5 s as shipped$", out, re.M), out
    stops = len(schema.shipped()[0].stops) - 1
    assert f"{stops} stops of 1 lessons, each the first time" in out, out
    for label in ("as shipped", "nothing kept"):
        assert re.search(rf"^{label}\s+median [\d.]+ s, slowest [\d.]+ s; \d+ of {stops} within 0.3 s$", out, re.M)
        assert re.search(rf"server resident memory after the rounds \({label}\): \d+ MB", out), out
    written = r"^\(c\) Generate 300 characters, median of 1: first characters [\d.]+ s .*all on screen [\d.]+ s"
    assert re.search(written, out, re.M), out
    assert re.search(r"^\(d\) Classify: first open [\d.]+ s .*a new text, median of 1: [\d.]+ s", out, re.M), out
    assert re.search(r"every shipped model opened once \(\d+\): \d+ MB", out), out
    assert re.search(r"and 3 sessions, each its own text: \d+ MB", out), out


def test_class_load_benchmark_counts_every_answer_of_a_small_class():
    """Six students answer within three seconds through a deployment with PostgreSQL: none lost, every figure."""
    out = bench("benchmarks.class_load", "--smoke", timeout=300)
    assert "answers acknowledged: 6 of 6; in the database: 6; lost: 0; errors: 0" in out, out
    assert re.search(r"from Send to the teacher's count: p50 \d+ ms, p95 \d+ ms", out), out
    assert re.search(r"server CPU per answer: \d+ ms", out), out


def test_load_benchmark_steps_a_small_class():
    """Three students for ten seconds against a server it starts itself: every figure printed, none judged."""
    out = bench("benchmarks.load", "--students", "3", "--seconds", "10", timeout=300)
    for line in ("steps done: ", "lost steps: ", "errors: 0", "server CPU per step: ", "server time per step: p50"):
        assert line in out, (line, out)
    assert re.search(r"steps done: \d+ of 15 sent", out), out


def test_style_recognition_prints_both_designs_verdicts(tmp_path):
    """Seven tiny random generators against the shipped authors-lm: 21 verdicts each, counts that add up, and
    authors-lm's verdicts are those its card recorded when it was trained (the same check, run again)."""
    import json

    from lstm_viz.data.authors import LABELS
    from lstm_viz.store import zoo
    from tests import factory

    for k, label in enumerate(LABELS):
        name = f"author-{label.lower()}"
        factory.write_model(tmp_path / name, factory.char_card(name=name, metrics={"val_loss": 2.5}), seed=k)
    out = bench(
        "benchmarks.style_recognition", "--runs", str(tmp_path), "--json", str(tmp_path / "out.json"), "--judge"
    )
    rows = re.findall(r"^(\w+)\s+([123])\s+(\w+) \([\d.]+\)\s+(\w+) \([\d.]+\)\s*$", out, re.M)
    assert [(r[0], r[1]) for r in rows] == [(label, s) for label in LABELS for s in "123"], out
    ours = sum(r[0] == r[2] for r in rows)
    theirs = sum(r[0] == r[3] for r in rows)
    assert re.search(rf"one model per author: {ours} of 21 recognised", out), out
    assert re.search(rf"authors-lm:\s+{theirs} of 21 recognised", out), out
    recorded = zoo.load("authors-lm").card["metrics"]["style_check"]["passages"]
    assert [r[3] for r in rows] == [r["classified_as"] for r in recorded]
    figures = json.loads((tmp_path / "out.json").read_text())["figures"]
    assert [f["val_loss"] for f in figures.values()] == [2.5] * 7
    assert re.search(r"the seven weights files: [\d.]+ MB", out), out
    judged = json.loads((tmp_path / "out.json").read_text())["judge"]
    assert len(judged) == 4 and all(sum(v.values()) == 20 for v in judged.values()), judged
    for what, verdicts in judged.items():  # each line of the judge's report, its count the JSON's
        assert re.search(rf"^{re.escape(what)}\s+Shakespeare\s+{verdicts.get('Shakespeare', 0)} of 20  \(", out, re.M)


def test_style_recognition_says_which_generators_are_missing(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.style_recognition", "--runs", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0 and "no trained generator in" in result.stderr and "author-milton" in result.stderr
    assert "Traceback" not in result.stderr
