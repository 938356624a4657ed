"""The README's figures agree with what was measured: each model's training time with its card (read, never
copied here), and the classroom paragraph with docs/scale.md's measured table."""

from __future__ import annotations

import fnmatch
import json
import re

import pytest

from tests.factory import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SCALE = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
CARDS = {
    folder.name: json.loads((folder / "card.json").read_text(encoding="utf-8"))
    for folder in (ROOT / "assets" / "models").iterdir()
    if (folder / "card.json").exists()
}


def _table(text: str, header_start: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line starts with ``header_start`` (cells stripped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


MODEL_ROWS = _table(README, "| name | what | model |")


def _shown(seconds: float, unit: str) -> int:
    return round(seconds / 60) if unit == "min" else round(seconds)


def test_the_model_table_has_a_row_for_every_shipped_model():
    named = [row[0].strip("`") for row in MODEL_ROWS]
    covered = {card for pattern in named for card in CARDS if fnmatch.fnmatchcase(card, pattern)}
    assert covered == set(CARDS), f"no README row for {sorted(set(CARDS) - covered)}"


@pytest.mark.parametrize("row", MODEL_ROWS, ids=[row[0].strip("`") for row in MODEL_ROWS])
def test_each_training_time_is_the_cards(row):
    pattern, training = row[0].strip("`"), row[-1]
    found = re.fullmatch(r"(\d+)(?:-(\d+))? (s|min)", training)
    assert found, f"the training time {training!r} of {pattern} is not 'N s', 'N min' or 'N-M s'"
    low, high, unit = int(found.group(1)), int(found.group(2) or found.group(1)), found.group(3)
    seconds = [CARDS[name]["training"]["seconds"] for name in CARDS if fnmatch.fnmatchcase(name, pattern)]
    assert seconds, f"no card for the README row {pattern}"
    shown = sorted(_shown(s, unit) for s in seconds)
    assert (low, high) == (shown[0], shown[-1]), f"{pattern}: README says {training}, the cards say {shown} {unit}"


def _scale_row(name: str) -> list[str]:
    rows = _table(SCALE, "| deployment, page")
    return next(row for row in rows if row[0].startswith(name))


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_classroom_paragraph_is_the_measured_table():
    header = next(line for line in SCALE.splitlines() if line.startswith("| deployment, page"))
    students, every = map(int, re.search(r"\((\d+) students, a step every (\d+) s\)", header).groups())
    one = _scale_row("one app process, Equations")
    two = _scale_row("nginx + 2 replicas, Equations")
    cpu_ms = _number(one[4].removesuffix(" ms"))
    p50_one, p95_one = (_number(v) for v in one[5].removesuffix(" ms").split(" / "))
    p50_two = _number(two[5].removesuffix(" ms").split(" / ")[0])
    paragraph = README[README.index("## A classroom on one server") :].split("\n## ")[0]
    flat = " ".join(paragraph.split())
    said = re.search(r"at ([\d.]+) ms of server CPU per step \(([\d.]+) cores for the class\)", flat)
    assert said, "the classroom paragraph does not state the CPU per step and the cores"
    assert _number(said.group(1)) == cpu_ms
    assert _number(said.group(2)) == round(students / every * cpu_ms / 1000, 1)
    per_core = re.search(r"about ([\d,]+) students", flat)
    assert per_core and _number(per_core.group(1)) == round(every * 1000 / cpu_ms, -1)
    steps = re.search(r"in ([\d,]+) ms \(p50; ([\d,]+) ms p95\) with one process and ([\d,]+) ms with two", flat)
    assert steps, "the classroom paragraph does not state the step times"
    assert tuple(_number(v) for v in steps.groups()) == (p50_one, p95_one, p50_two)
    assert f"{students} students, a step every {every} s" in flat
