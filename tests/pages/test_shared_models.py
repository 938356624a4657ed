"""No session can change a shared model: every page, and a generation, leave the cached weights as shipped.

Models are cached with ``st.cache_resource``, so every session of the server reads the same
module. This runs every page in ``app_pages/`` (each explorer page on every shipped model) and
generates text, then checks, for every shipped model, that the sha256 of its weights file is
unchanged on disk and that every tensor of the cached module (the very object the pages used)
hashes as before, still in eval mode without gradients.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from lstm_viz.store import checkpoint, zoo
from lstm_viz.ui import cache, pages
from tests.factory import open_app

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))
EXPLORER_PAGES = ["app_pages/step_through.py", "app_pages/heatmaps.py", "app_pages/equations.py"]


def shipped_names() -> list[str]:
    return [p.name for p in sorted(zoo.SHIPPED_DIR.iterdir()) if (p / checkpoint.WEIGHTS).is_file()]


def file_sha256(name: str) -> str:
    return hashlib.sha256((zoo.SHIPPED_DIR / name / checkpoint.WEIGHTS).read_bytes()).hexdigest()


def tensor_hashes(module: torch.nn.Module) -> dict[str, str]:
    """One sha256 per tensor of the state_dict (shape and dtype included)."""
    return {
        key: hashlib.sha256(
            f"{tuple(value.shape)}{value.dtype}".encode() + value.detach().cpu().contiguous().numpy().tobytes()
        ).hexdigest()
        for key, value in module.state_dict().items()
    }


def run_page(page: str, **session) -> AppTest:
    at = open_app(page, timeout=180, **session)
    assert not at.exception, (page, session, at.exception)
    return at


def test_tensor_hashes_see_an_in_place_change():
    module = torch.nn.Linear(3, 2)
    before = tensor_hashes(module)
    with torch.no_grad():
        module.weight[0, 0] += 1e-7
    assert tensor_hashes(module) != before and tensor_hashes(module).keys() == before.keys()


@pytest.mark.slow
def test_no_page_and_no_generation_changes_a_shared_model(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_HOME", str(tmp_path / "home"))  # shipped models only
    names = shipped_names()
    on_disk = {name: file_sha256(name) for name in names}
    cached = {name: cache.load_model(name) for name in names}  # the objects every session shares
    in_memory = {name: tensor_hashes(model.module) for name, model in cached.items()}
    for name, model in cached.items():  # the cache holds exactly what is on disk
        assert in_memory[name] == tensor_hashes(checkpoint.load_dir(model.path)[0]), name

    for page in PAGES:
        run_page(page)
    for tab in pages.TABS["lab_tab"]:  # the lab's tabs are lazy: each one, on the default model
        run_page(pages.NEURON_LAB, lab_tab=tab)
    authors = sorted(n for n in names if n.startswith("author-"))
    for name in [n for n in names if n not in authors[1:]]:  # seven generators of one design: one stands for all
        for page in EXPLORER_PAGES:
            run_page(page, model=name, text="To be, or not to be (3 [x]) 12", step=3)
    at = run_page("app_pages/generate.py")
    at.text_area(key="gen_prime").set_value("ROMEO:")
    at.number_input(key="gen_length").set_value(60)
    at.button(key="gen_go").click().run()
    assert not at.exception, at.exception
    # The lab's interventions run on the shared model too: the clamped trace, and writing on with the clamp held.
    for name, text in (("shakespeare-char", "ROMEO: To be, or not"), ("brackets-lstm", "((a)(b(c)))")):
        lab = run_page("app_pages/neuron_lab.py", model=name, text=text, step=3, unit=1, lab_tab="What if?")
        lab.number_input(key="lab_clamp_value").set_value(1.0).run()
        assert not lab.exception, lab.exception
        if name == "shakespeare-char":
            lab.button(key="lab_write").click().run()
            assert not lab.exception, lab.exception
    # And every lesson stop (they clamp, trace and generate on the shared models).
    from lstm_viz.lessons import render, schema

    for lesson in schema.shipped():
        for stop in lesson.stops:
            render.tell(stop, cache.load_model)

    for name in names:
        assert file_sha256(name) == on_disk[name], f"{name}: the weights file changed on disk"
        model = cache.load_model(name)
        assert model is cached[name], f"{name}: the pages used another copy than the shared one"
        assert tensor_hashes(model.module) == in_memory[name], f"{name}: a page changed the shared weights"
        assert not model.module.training, f"{name}: a page switched the shared model to training mode"
        assert not any(p.requires_grad for p in model.module.parameters()), f"{name}: gradients were switched on"
