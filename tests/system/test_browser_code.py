"""The browser code's own checks: eslint and node's test runner over lstm_viz/ui/stepper_static, and the
cases node holds the stepper's pure functions (format.js) to, written by Python itself.

``tests/js/fixtures/python.json`` is what Python writes for a set of numbers (f-strings, numpy's
shades, the token strip's window, the sentences' fields); the node tests compare format.js with it,
and the test below fails as soon as Python would write anything else, so the two cannot drift.
Rewrite it with ``python -m tests.system.test_browser_code``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lstm_viz.analysis import equations
from lstm_viz.plots import colours, strips, wording

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "js" / "fixtures" / "python.json"
SCRIPTS = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["scripts"]  # what .ci/run runs too
SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # JSON has no such numbers: JavaScript's names


def _number(v: float):
    return SPECIAL.get(repr(v), v)


def cases() -> dict:
    """What Python writes for each number, as format.js must."""
    rng = np.random.default_rng(0)
    values = [0.03125, -0.03125, 0.09375, 0.125, 0.375, 0.5, 2.5, -2.5, 0.0, -0.0, 1e-5, -1e-5, 0.99995, 123.456]
    values += [0.005, 0.015, 0.025, 1.5, 0.9999, -0.99995, 1e-12, 7.0, 1e6, -1.0, 2.0, float("nan"), float("inf")]
    values += [float("-inf"), 0.3, 0.7, 0.45, 0.55, 0.00125, 0.015625]
    values += [float(v) for v in rng.normal(size=60).astype(np.float32)]
    values += [float(v) for v in rng.random(60).astype(np.float32)]
    values += [float(v) for v in (rng.normal(size=20) * 40).astype(np.float32)]
    numbers = []
    for v in values:
        finite = np.isfinite(v)
        numbers.append(
            {
                "value": _number(v),
                "fixed4": f"{v:.4f}",
                "fixed2": f"{v:.2f}",
                "signed3": f"{v:+.3f}",
                "signed2": f"{v:+.2f}",
                "percent0": f"{v:.0%}",
                "percent1": f"{v:.1%}",
                "gate": int(colours.GATE.shade([v])[0]),
                "signedShade": int(colours.SIGNED.shade([v], (-1.0, 1.0))[0]),
                "cellShade": int(colours.SIGNED.shade([v], (-3.5, 3.5))[0]),
                "changed": equations._changed(0.25, v) if finite else None,
            }
        )
    windows = [
        {"n": n, "current": c, "window": w, "range": list(strips._window(n, c, w))}
        for n in (0, 1, 5, 59, 60, 61, 200, 2000)
        for w in (10, 60)
        for c in sorted({0, 1, n // 2, max(n - 2, 0), max(n - 1, 0)})
    ]
    fields = {"unit": 7, "label": "cell state", "step": 12, "units": 256, "layer": 2, "token": "'{x}'", "rank": 3,
              "count": 40, "value": "-0.1250", "symbol": "c", "what": "character", "k": 10, "p": "12.5%",
              "parts": "neg 10.0% · pos 90.0%", "pre": "0.5000", "h": "0.4621"}  # fmt: skip
    sentences = [{"template": t, "filled": t.format(**fields)} for t in wording.sentences()]
    return {"numbers": numbers, "shades": colours.SHADES, "windows": windows, "fields": fields, "sentences": sentences}


def test_the_node_fixture_is_what_python_writes():
    found = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert found == json.loads(json.dumps(cases())), "rewrite it: python -m tests.system.test_browser_code"


def test_the_scripts_are_eslint_and_nodes_test_runner():
    assert SCRIPTS["lint"] == "eslint lstm_viz/ui/stepper_static tests/js eslint.config.js"
    assert SCRIPTS["test"] == "node --test tests/js/"


def _run(script: str) -> subprocess.CompletedProcess:
    """``npm run SCRIPT`` (skipped where node or eslint is not installed, failed in CI)."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None or not (ROOT / "node_modules" / "eslint").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node, npm or node_modules is missing: .ci/run installs node and runs npm ci")
        pytest.skip("node, npm or node_modules is missing (npm ci installs eslint)")
    return subprocess.run([npm, "run", "--silent", script], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_eslint_passes_on_the_browser_code():
    done = _run("lint")
    assert done.returncode == 0, done.stdout + done.stderr


def test_node_tests_pass():
    done = _run("test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout, done.stdout


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(cases(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE.relative_to(ROOT)}")
