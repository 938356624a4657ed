"""The shape of the code base, read as text (nothing here imports the package):

- the modules of ``lstm_viz/`` import one another without a cycle (lazy imports inside functions count);
- no module is over MAX_LINES lines;
- the core (``lstm_viz/`` outside ``lstm_viz/ui/``) never imports streamlit, directly or through ``lstm_viz.ui``;
- no file uses Streamlit's private API (only tests use ``streamlit.testing`` and what AppTest needs);
- every test module sits in its tier: tests/unit starts no child process and opens no page, tests/pages starts
  no child process (tests/system does both);
- every document a file cites is in the repository;
- no file carries words about how the project is organised rather than what it does.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lstm_viz"
MAX_LINES = 450
TEXT_SUFFIXES = {".py", ".md", ".json", ".toml", ".txt", ".sh", ".j2", ".cfg", ".yml", ".yaml", ".css", ".js", ".html"}
SKIPPED = {".venv", "venv", ".git", "test-artifacts", "runs", "build", "dist", "__pycache__", ".pytest_cache",
           ".ruff_cache", ".hypothesis"}  # fmt: skip
THIRD_PARTY = ("assets/data/",)  # corpora as published: their words are not ours
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()  # names the patterns it looks for


# --- the module graph ----------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def imported_modules(source: str, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that ``source`` (module ``name``) imports anywhere, functions included.

    ``from a.b import c`` is the module ``a.b.c`` where that is one, else ``a.b``; relative imports
    are resolved against ``name``; ``import a.b.c`` counts as ``a.b.c`` (or its nearest module).
    """

    def nearest(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {nearest(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in modules else nearest(target))
    return found - {None, name}


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    return {
        name: imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", set(modules))
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None (depth-first, iterative)."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                done.add(path.pop())
                stack.pop()
            elif following in path:
                return path[path.index(following) :] + [following]
            elif following not in done and following in graph:
                path.append(following)
                stack.append(iter(sorted(graph[following])))
    return None


def test_the_cycle_finder_and_the_import_reader_see_what_they_must():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"y2"}, "y2": {"y"}}) == ["y", "y2", "y"]
    modules = {"lstm_viz", "lstm_viz.store", "lstm_viz.store.zoo", "lstm_viz.plots", "lstm_viz.plots.base",
               "lstm_viz.plots.html"}  # fmt: skip
    source = (
        "from . import base\nfrom .html import visible\nimport lstm_viz.store.zoo\n"
        "def later():\n    from lstm_viz.store import zoo\n    from lstm_viz.plots.base import thing\n"
    )
    assert imported_modules(source, "lstm_viz.plots.strips", False, modules) == {
        "lstm_viz.plots.base", "lstm_viz.plots.html", "lstm_viz.store.zoo"
    }  # fmt: skip
    assert imported_modules("from ..store import zoo\n", "lstm_viz.plots", True, modules) == {"lstm_viz.store.zoo"}


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert len(graph) > 40 and graph["lstm_viz.store.zoo"], "the import reader found nothing"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


LAYERS = ["paths", "messages", "engine", "generation", "data", "store", "training", "analysis", "plots", "lessons",
          "classroom", "ui", "cli"]  # from the bottom, as docs/architecture.md lists them
REACHES_UP = {  # each a function that reaches up when it is called (or a type hint), never a cycle
    ("lstm_viz.data.styles", "lstm_viz.store.zoo"): "a style check loads the classifier that judges it",
    ("lstm_viz.data.words", "lstm_viz.analysis.agreement"): "the word corpus measures his/her agreement",
    ("lstm_viz.generation.autocomplete", "lstm_viz.store.zoo"): "a type hint only (LoadedModel)",
    ("lstm_viz.store.examples", "lstm_viz.training.presets"): "a model's task data is its preset's",
    ("lstm_viz.store.usermodels", "lstm_viz.training.runspec"): "an upload's name follows a run's naming rule",
    ("lstm_viz.store.usermodels", "lstm_viz.training.jobs"): "a model being trained is not deleted",
}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_the_layers_import_downwards():
    """Each package imports only the ones below it in LAYERS, but for the reaches listed (and explained) above."""
    rank = {name: k for k, name in enumerate(LAYERS)}
    assert set(rank) == {layer_of(m) for m in package_modules()} - {None, "__init__", "__main__"}
    upwards = {
        (a, b)
        for a, targets in import_graph().items()
        for b in targets
        if layer_of(a) in rank and layer_of(b) in rank and rank[layer_of(b)] > rank[layer_of(a)]
    }
    assert not upwards - set(REACHES_UP), f"imports that reach up a layer: {sorted(upwards - set(REACHES_UP))}"
    assert not set(REACHES_UP) - upwards, f"listed but gone (drop them): {sorted(set(REACHES_UP) - upwards)}"


def test_no_module_is_too_long():
    lengths = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in package_modules().values()}
    long = {name: n for name, n in sorted(lengths.items()) if n > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: " + ", ".join(f"{name} ({n})" for name, n in long.items())


PACKAGE_TOP = {"__init__", "__main__", "paths", "messages"}  # the rest of the top are packages, one per layer


def listed_modules(doc: str, package: str) -> set[str]:
    """The modules a package's docstring names, as ``:mod:`.name``` or ``:mod:`lstm_viz.pkg.name```."""
    return set(re.findall(":mod:`(?:" + re.escape(package) + r")?\.(\w+)`", doc))


def test_each_package_docstring_lists_every_module_in_it():
    """The folder tree reads as the architecture: each package says what every module in it is for,
    and names no module that is not there; the package top holds only the layers and two shared modules."""
    faults = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        folder = init.parent
        if "__pycache__" in folder.parts:
            continue
        package = module_name(init)
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        present = {p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")}
        present |= {d.name for d in folder.iterdir() if (d / "__init__.py").is_file()}
        listed = listed_modules(doc, package)
        if missing := present - listed:
            faults.append(f"{package}'s docstring does not list {sorted(missing)}")
        if extra := listed - present:
            faults.append(f"{package}'s docstring lists {sorted(extra)}, which are not in it")
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= PACKAGE_TOP, f"modules at the package top besides the layers: {sorted(top - PACKAGE_TOP)}"
    assert not faults, "\n".join(faults)


def test_the_docstring_reader_sees_both_spellings():
    doc = "- :mod:`.cell`: ...\n- :mod:`lstm_viz.engine.trace`: ...\n- :mod:`lstm_viz.other.x`"
    assert listed_modules(doc, "lstm_viz.engine") == {"cell", "trace"}


def test_the_core_never_imports_streamlit():
    """Outside lstm_viz/ui/ no module imports streamlit, nor lstm_viz.ui (which would bring it in)."""
    offenders = []
    for name, path in package_modules().items():
        if name == "lstm_viz.ui" or name.startswith("lstm_viz.ui."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                targets = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if target.split(".")[0] == "streamlit" or target == "lstm_viz.ui" or target.startswith("lstm_viz.ui."):
                    offenders.append(f"{name}:{node.lineno} imports {target}")
    assert not offenders, offenders


# --- the test tiers ------------------------------------------------------------------------

TESTS = ROOT / "tests"
CHILD_PROCESSES = {"subprocess", "multiprocessing", "torch.multiprocessing", "playwright"}
PAGES = {"streamlit.testing", "tests.factory.open_app", "tests.system"}
NOT_IN = {"unit": CHILD_PROCESSES | PAGES, "pages": CHILD_PROCESSES}
EXCEPTIONS = {(THIS, "subprocess")}  # this file lists the repository's files with ``git ls-files``


def used(source: str) -> set[str]:
    """The modules ``source`` imports (``from a import b`` gives a and a.b), and ``sys.executable`` if it names it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Attribute) and node.attr == "executable" and getattr(node.value, "id", "") == "sys":
            found.add("subprocess")  # a child Python, however it is started
    return found


def test_each_test_module_sits_in_its_tier():
    loose = sorted(p.name for p in TESTS.glob("test_*.py"))
    assert not loose, f"{loose}: each test module sits in tests/unit, tests/pages or tests/system"
    offenders = []
    for tier, banned in NOT_IN.items():
        for path in sorted((TESTS / tier).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for name in sorted(used(path.read_text(encoding="utf-8"))):
                hit = next((b for b in banned if name == b or name.startswith(b + ".")), None)
                if hit and (where, hit) not in EXCEPTIONS:
                    offenders.append(f"{where} uses {name}")
    assert not offenders, offenders


def test_the_tier_check_sees_a_child_process_and_a_page():
    assert "subprocess" in used("import sys\nprint(sys.executable)")
    assert {"subprocess", "streamlit.testing.v1", "streamlit.testing.v1.AppTest"} <= used(
        "import subprocess\nfrom streamlit.testing.v1 import AppTest"
    )
    assert "tests.factory.open_app" in used("def f():\n    from tests.factory import open_app")


# --- the repository's text files -------------------------------------------------------------


def text_files() -> list[str]:
    """Repository-relative paths of the text files: what git tracks or would (not ignored), else a walk."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        ).stdout.splitlines()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        listed = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()]
    return sorted(
        f
        for f in listed
        if Path(f).suffix in TEXT_SUFFIXES
        and not SKIPPED.intersection(Path(f).parts)
        and not f.endswith(".egg-info")
        and (ROOT / f).is_file()
    )


def read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8", errors="replace")


def own_text_files() -> list[str]:
    return [f for f in text_files() if not f.startswith(THIRD_PARTY) and f != THIS]


PRIVATE_STREAMLIT = re.compile(
    r"streamlit\.(runtime|web|proto|elements|delta_generator|config|_[a-z])"
    r"|from streamlit import (config|runtime|web|proto|elements)\b"
    r"|\bst\._[A-Za-z]|\bst\.config\b|\bget_script_run_ctx\b|\badd_script_run_ctx\b"
    r"|set_option\(\s*[\"']client\.|\b_config\.(get|set)_option\b"
)
TESTING = re.compile(r"streamlit\.testing")


def test_no_streamlit_private_api():
    """The app and the package use st.* only. Outside them, two exceptions: ``streamlit.testing``
    (AppTest) drives pages in tests/ and times them in benchmarks/; ``streamlit.proto`` is what a
    browser sends, which test_stepper's stand-in for the component (a WidgetState) and the load
    benchmark (BackMsg/ForwardMsg over the websocket) must speak. Nothing else, anywhere."""
    offenders = []
    for f in own_text_files():
        harness = f.startswith(("tests/", "benchmarks/"))
        for number, line in enumerate(read(f).splitlines(), 1):
            match = PRIVATE_STREAMLIT.search(line)
            allowed = harness and (match is None or match.group(0) == "streamlit.proto")
            if (TESTING.search(line) and not harness) or (match and not allowed):
                offenders.append(f"{f}:{number}: {line.strip()[:120]}")
    assert not offenders, "\n".join(offenders)


NAMED_DOCS = re.compile(r"\b(?:DESIGN|PROVENANCE|SOURCES|STYLE)\.md\b|\.\./shared\b")
DOC_PATH = re.compile(r"(?<![\w./:-])((?:[\w.-]+/)+[\w.-]+\.md)\b")  # a relative path to a Markdown file
MD_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")  # [text](target) with a relative target


def cited_documents(path: str, text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        found += [(number, m.group(0)) for m in NAMED_DOCS.finditer(line)]
        found += [(number, m.group(1)) for m in DOC_PATH.finditer(line)]
        if path.endswith(".md"):
            found += [(number, m.group(1).split("#")[0]) for m in MD_LINK.finditer(line)]
    return found


def test_every_cited_document_is_in_the_repository():
    """DESIGN.md, SOURCES.md, docs/x.md, assets/README.md, a Markdown link...: each exists, from the
    repository root or from the citing file's folder; nothing points outside the repository."""
    missing = []
    for f in own_text_files():
        for number, cited in cited_documents(f, read(f)):
            here = (ROOT / f).parent / cited
            inside = ROOT in here.resolve().parents or here.resolve() == ROOT
            if cited.startswith("../shared") or not (
                (ROOT / cited).exists() or (inside and here.exists()) or (ROOT / "docs" / cited).exists()
            ):
                missing.append(f"{f}:{number} cites {cited}")
    assert not missing, "\n".join(missing)


def test_the_citation_reader_finds_what_it_must():
    text = "see docs/architecture.md and [x](assets/README.md#credits), DESIGN.md, ../shared/notes\nhttps://a.b/c/README.md"
    assert [c for _, c in cited_documents("README.md", text)] == [
        "DESIGN.md", "../shared", "docs/architecture.md", "assets/README.md", "assets/README.md"
    ]  # fmt: skip


INTERNAL_WORDS = [
    (re.compile(r"\bissue \d+\b", re.IGNORECASE), None),  # a tracker's number; "GitHub issue" in a citation is fine
    (re.compile(r"\bseed 0\d\d\b", re.IGNORECASE), None),
    (re.compile(r"\bsub-?agents?\b|\blead engineer\b", re.IGNORECASE), None),
    (re.compile(r"\bhelper\b", re.IGNORECASE), ".md"),  # in the docs; code may well have helper functions
]


@pytest.mark.parametrize(("pattern", "suffix"), INTERNAL_WORDS, ids=lambda p: getattr(p, "pattern", p))
def test_no_internal_words(pattern, suffix):
    offenders = [
        f"{f}:{number}: {line.strip()[:120]}"
        for f in own_text_files()
        if suffix is None or f.endswith(suffix)
        for number, line in enumerate(read(f).splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "\n".join(offenders)
