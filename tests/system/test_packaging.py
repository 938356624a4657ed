"""The package as a user installs it: the project is built into a wheel and installed into a fresh
virtual environment (offline: ``--no-deps --no-build-isolation --no-index``), and ``lstm-viz`` is
run from a folder outside the checkout. The shipped models and lessons, the templates, presets
and the app itself must all come with it.

The new environment sees the test interpreter's packages (torch, streamlit, setuptools, pip)
through a ``.pth`` file, so nothing is downloaded; its own site-packages comes first, so the
``lstm_viz`` it imports is the installed one, which the test checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["pyproject.toml", "README.md", "app.py", "app_pages", ".streamlit", "lstm_viz", "assets"]
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def files_below(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_a_checkout_uses_its_own_files_and_lstm_viz_assets_names_others(tmp_path):
    """In a checkout the package finds app.py and assets/ beside it; LSTM_VIZ_ASSETS overrides the assets."""
    code = (
        "import json; from lstm_viz import paths, zoo; from lstm_viz.lessons import schema; "
        "from lstm_viz.data import corpus; "
        "print(json.dumps([str(p) for p in (paths.APP, zoo.SHIPPED_DIR, schema.LESSONS_DIR, corpus.ASSET_DATA)]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "LSTM_VIZ_ASSETS"}
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    beside = [ROOT / "app.py", *(ROOT / "assets" / d for d in ("models", "lessons", "data"))]
    assert json.loads(found.stdout) == [str(p) for p in beside]
    env["LSTM_VIZ_ASSETS"] = str(tmp_path)
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[1:] == [str(tmp_path / d) for d in ("models", "lessons", "data")]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the copied sources, the environment's folder, run(*command) from an empty folder outside the repo)."""
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"  # a copy: an in-tree build would leave build/ and *.egg-info in the checkout
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=JUNK)
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = base / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "_test_interpreter.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    outside = base / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LSTM_VIZ_ASSETS", "LSTM_VIZ_HOME")}
    env["LSTM_VIZ_HOME"] = str(base / "home")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def run(*command, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(command, cwd=outside, env=env, capture_output=True, text=True, timeout=timeout)

    pip = run(str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(source))
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    return source, venv, run


@pytest.mark.slow
def test_the_installed_package_is_the_one_imported_and_carries_every_file(installed):
    source, venv, run = installed
    code = (
        "import json, lstm_viz, lstm_viz.paths as p; "
        "print(json.dumps([lstm_viz.__file__, str(p.ASSETS), str(p.APP)]))"
    )
    result = run(str(venv / "bin" / "python"), "-c", code)
    assert result.returncode == 0, result.stderr
    package, assets, app = (Path(p) for p in json.loads(result.stdout))
    package = package.parent
    assert venv in package.parents, f"imported {package}, not the installed copy"
    assert assets == package / "_assets" and app == package / "_app" / "app.py"
    inside = files_below(package)
    missing = files_below(source / "lstm_viz") - inside  # every module, presets.toml, templates, stepper files
    missing |= {f for f in files_below(source / "assets") if f"_assets/{f}" not in inside}
    missing |= {f for f in files_below(source / "app_pages") if f"_app/app_pages/{f}" not in inside}
    missing |= {f for f in ("_app/app.py", "_app/.streamlit/config.toml") if f not in inside}
    assert not missing, f"not in the wheel: {sorted(missing)[:20]}"


@pytest.mark.slow
def test_lstm_viz_list_shows_every_shipped_model(installed):
    source, _, run = installed
    result = run("lstm-viz", "list")
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines() if " shipped " in line}
    shipped = {p.name for p in (source / "assets" / "models").iterdir() if (p / "card.json").is_file()}
    assert shipped and listed == shipped, (sorted(shipped), result.stdout)


@pytest.mark.slow
def test_lstm_viz_lesson_list_shows_every_shipped_lesson(installed):
    source, _, run = installed
    result = run("lstm-viz", "lesson", "--list", "--json")
    assert result.returncode == 0, result.stderr
    ids = [lesson["id"] for lesson in json.loads(result.stdout)]
    files = sorted((source / "assets" / "lessons").glob("*.json"))
    shipped = [json.loads(p.read_text(encoding="utf-8"))["id"] for p in files]
    assert shipped and ids == shipped


@pytest.mark.slow
def test_lstm_viz_app_finds_the_app_without_starting_a_server(installed):
    _, venv, run = installed
    result = run("lstm-viz", "app", "--help")
    assert result.returncode == 0 and "streamlit run" in result.stdout, result.stdout + result.stderr
    # `lstm-viz app -- --help` is `streamlit run <installed app.py> --help`: streamlit's usage, no server
    result = run("lstm-viz", "app", "--", "--help")
    assert result.returncode == 0 and "Usage: streamlit run" in result.stdout, result.stdout + result.stderr
    # the installed app's home page runs (AppTest, no server) on the installed package and models
    code = (
        "import lstm_viz.paths as p; from streamlit.testing.v1 import AppTest; "
        "at = AppTest.from_file(str(p.APP), default_timeout=120).run(); "
        "assert not at.exception, at.exception; print(at.title[0].value)"
    )
    result = run(str(venv / "bin" / "python"), "-c", code)
    assert result.returncode == 0 and result.stdout.strip().startswith("lstm-viz"), result.stdout + result.stderr


def test_project_streamlit_config_is_read_from_the_project_root():
    """.streamlit/config.toml: no post-run gc.collect (it delayed every step change by ~100 ms),
    no magic, no usage statistics. Read in a fresh process, as `streamlit run app.py` does."""
    import subprocess
    import sys

    code = (
        "import streamlit as st; "
        "print([st.get_option(o) for o in ('runner.postScriptGC', 'runner.magicEnabled', 'browser.gatherUsageStats')])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[False, False, False]"
