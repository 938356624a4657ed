"""Journeys: the app used as a teacher preparing a class and a student who does not know the answers.

Each test clicks what a person clicks and asserts on what the page then shows: no exception box or
traceback, the page's title, the words of the model's own kind of cell (an LSTM's forget gate, a GRU's
reset and update gates, a vanilla RNN's single tanh), a diagram and charts that are drawn, not empty,
numbers equal to torch's own layer, links that open the same view in a fresh browser, lesson stops that
draw and open what their narration names, a lesson that survives export and import, and Generate,
autocomplete and Classify with every model that can be chosen there.

One server (the package's ``app_url``) serves them all; a tab is reused wherever freshness is not the point.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from pathlib import Path

import pytest
import torch

from tests.system.browser.browser_helpers import (
    choose,
    faults_on_page,
    go_to_page,
    main_text,
    open_select,
    screenshot,
    tab,
    view_of,
    wait_for_render,
)
from tests.system.browser.test_small_screens import CUT_JS  # what a projector's 1024 pixels cut short

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "assets" / "models"
SLOW_MS = 180_000  # the first trace of a big model on a loaded two-core CI machine


def _card(name: str) -> dict:
    return json.loads((MODELS / name / "card.json").read_text(encoding="utf-8"))


# One shipped model of each kind a teacher can open (cell x task x tokenizer, and the styled one).
KINDS = {
    "shakespeare-char": "character LSTM",
    "words-lm": "word LSTM",
    "authors-lm": "styled character LSTM",
    "reviews-sentiment": "word classifier",
    "authors": "character classifier",
    "memory-rnn": "vanilla RNN",
    "memory-gru": "GRU",
}

# What each kind of cell must say on an explorer page, and what it must never say (another kind's words).
MUST = {
    "lstm": (r"forget gate", r"input gate", r"output gate", r"cell state"),
    "gru": (r"reset gate", r"update gate"),
    "rnn": (r"hidden state",),
}
MUST_NOT = {
    "lstm": (r"reset gate", r"update gate", r"vanilla RNN", r"no gates"),
    "gru": (
        r"forget gate", r"input gate", r"output gate", r"(?<!no )cell state", r"vanilla RNN", r"no gates",
        r"\bf, i, o\b",
    ),
    "rnn": (r"forget gate", r"input gate", r"output gate", r"reset gate", r"update gate", r"cell state of",
            r"\bf, i, o\b"),
}  # fmt: skip
CELL_NAME = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
EXPLORER = {"step_through": "Step Through", "heatmaps": "Gate Heatmaps", "equations": "Equations",
            "neuron_lab": "Neuron Lab"}  # fmt: skip


def _kind_words(text: str, cell_kind: str, describes: bool) -> list[str]:
    """What the text says wrongly about a cell of ``cell_kind`` (and, if it ``describes`` the cell, fails to say)."""
    wrong = [f"does not say {w!r}" for w in MUST[cell_kind] if describes and not re.search(w, text, re.I)]
    return wrong + [
        f"says {m.group(0)!r} (…{text[max(0, m.start() - 60) : m.end() + 60]!r}…)"
        for w in MUST_NOT[cell_kind]
        if (m := re.search(w, text, re.I))
    ]


def _chart_words(page) -> str:
    """The titles, axis titles and legends of the page's charts (drawn as SVG text)."""
    return "\n".join(
        page.locator(
            '[data-testid="stMain"] [data-testid="stPlotlyChart"] :is(.gtitle, .g-xtitle, .g-ytitle, .legendtext,'
            " .annotation-text)"
        ).all_text_contents()
    )


@functools.lru_cache(maxsize=8)
def _first_layer(name: str):
    """The model and its first layer as torch's own nn.LSTM / nn.GRU / nn.RNN, with the model's weights."""
    from lstm_viz.store import zoo

    loaded = zoo.load(name)
    rnn = loaded.module.rnn
    one = type(rnn)(rnn.input_size, rnn.hidden_size, num_layers=1, batch_first=True)
    one.load_state_dict({k: v for k, v in rnn.state_dict().items() if k.endswith("_l0")})
    return loaded, one


def _torch_hidden(name: str, text: str, step: int, unit: int) -> float:
    """h of ``unit`` at ``step`` in layer 1, by torch's own layer with the model's weights."""
    loaded, one = _first_layer(name)
    with torch.no_grad():
        ids = torch.tensor([loaded.encode(text).ids])
        out, _ = one(loaded.module.embedding(ids))
    return float(out[0, step, unit])


def _latex(page) -> list[str]:
    """The TeX source of every equation on the page (KaTeX keeps it in an annotation)."""
    return page.locator('[data-testid="stMain"] annotation[encoding="application/x-tex"]').all_text_contents()


def _equation_hidden(page, unit: int) -> float | None:
    """The value the Equations page gives for h_t[unit] (the last '= number' of the equation that defines it)."""
    for tex in _latex(page):
        flat = re.sub(r"\s+", "", tex)
        at = flat.find(f"h_t[{unit}]&=")
        if at < 0:
            at = flat.find(f"h_t[{unit}]=")
        if at >= 0:
            numbers = re.findall(r"=\(?(-?\d+\.\d+)\)?(?=\\end|\\\\|$)", flat[at:])
            if numbers:
                return float(numbers[-1])
    return None


def _stepper_state(page) -> dict:
    """What the Step Through component shows: unit box, colour, layer, step, value boxes and the diagram."""
    return page.evaluate(
        """() => {
            const s = document.querySelector('.lv-stepper');
            if (!s) return null;
            const q = (r) => s.querySelector(`[data-role="${r}"]`);
            const d = q('diagram');
            const box = d ? d.getBoundingClientRect() : null;
            const values = {};
            for (const v of s.querySelectorAll('[data-q]')) {
                const n = v.querySelector('.lvs-number');
                if (n && v.offsetParent) values[v.dataset.q] = n.innerText;
            }
            const heading = (q('units-heading') || {}).innerText || '';
            const layer = heading.match(/layer (\\d+)/);
            const step = ((q('caption') || {}).innerText || '').match(/step (\\d+) of (\\d+)/);
            const colour = q('colour');
            return {
                unit: q('unit') ? q('unit').value : null,
                colour: colour ? colour.value : null,
                colourLabel: colour && colour.selectedOptions[0] ? colour.selectedOptions[0].innerText : null,
                layer: layer ? +layer[1] : null,
                step: step ? +step[1] : null,
                values,
                diagramShown: !!(d && d.offsetParent && !d.hidden && box.width > 50 && box.height > 50),
                diagramText: d ? d.textContent.replace(/\\s+/g, ' ') : '',
                diagramSvg: !!(d && d.querySelector('svg')),
            };
        }"""
    )


def _options(page, label: str) -> list[str]:
    """Every option of the select box labelled ``label``, as the person sees them."""
    open_select(page, label)
    found = page.locator('[role="option"]').all_inner_texts()
    page.keyboard.press("Escape")
    return [o.strip() for o in found]


# --- every page x every kind of shipped model ------------------------------------------------


@pytest.mark.parametrize("name", list(KINDS))
def test_every_explorer_page_describes_the_kind_of_model_it_shows(browser, app_url, name):
    """A teacher opens Step Through, picks a model in the sidebar, then visits every explorer page: each opens
    whole, speaks of that model's own cell, draws its diagram and charts, and its h is torch's h."""
    card = _card(name)
    kind = card["cell"]
    found: list[str] = []
    with tab(browser, 1600, 1000) as page:
        page.goto(f"{app_url}/step_through")  # the app's own text and model, then the teacher switches model
        wait_for_render(page, SLOW_MS)
        if name != "shakespeare-char":
            choose(page, "Model", card["title"])
        for path, title in EXPLORER.items():
            if path != "step_through":
                go_to_page(page, title)
            where = f"{KINDS[name]} ({name}) on {title}"
            found += [f"{where}: {f}" for f in faults_on_page(page, title)]
            text = main_text(page) + "\n" + _chart_words(page)
            found += [f"{where}: {f}" for f in _kind_words(text, kind, path in ("step_through", "equations"))]
            unknown = re.search(r"does not know some pieces.*?: ([\d,]+) unknown pieces", text)
            steps = re.search(r"step \d+ of ([\d,]+)", text)
            if unknown and steps and int(unknown.group(1).replace(",", "")) * 2 > int(steps.group(1).replace(",", "")):
                found.append(
                    f"{where}: the text does not fit the model: {unknown.group(1)} of {steps.group(1)} pieces unknown"
                )
            shown = view_of(page)
            box_text = shown.get("Text", "")
            step, unit = shown.get("step"), shown.get("unit")
            if path == "step_through":
                st = _stepper_state(page) or {}
                if not st.get("diagramShown") or not st.get("diagramSvg"):
                    found.append(f"{where}: the cell diagram is missing (an empty block where it goes)")
                elif CELL_NAME[kind] not in st["diagramText"] or any(
                    other in st["diagramText"] for k, other in CELL_NAME.items() if k != kind and other not in
                    CELL_NAME[kind]
                ):
                    found.append(f"{where}: the diagram is not a {CELL_NAME[kind]} cell: {st['diagramText'][:120]!r}")
                if "hidden" in st.get("values", {}) and box_text and step is not None:
                    truth = _torch_hidden(name, box_text, step, int(st["unit"]))
                    if abs(float(st["values"]["hidden"]) - truth) > 2e-4:
                        found.append(f"{where}: h shows {st['values']['hidden']}, torch says {truth:.4f}")
            if path == "equations" and box_text and step is not None and unit is not None:
                shown_h = _equation_hidden(page, int(unit))
                truth = _torch_hidden(name, box_text, step, int(unit))
                if shown_h is None:
                    found.append(f"{where}: no equation gives h_t[{unit}] with its value")
                elif abs(shown_h - truth) > 2e-4:
                    found.append(f"{where}: h_t[{unit}] = {shown_h:.4f} on the page, torch's layer gives {truth:.4f}")
        if found:
            screenshot(page, f"journey-kind-{name}")
    assert not found, "\n".join(found)


def test_the_pages_without_a_model_open_whole(browser, app_url):
    """Home (with its cell diagram and a card per model that names its kind), Lessons, RNN vs LSTM and Train."""
    found: list[str] = []
    with tab(browser, 1600, 1000) as page:
        page.goto(app_url)
        wait_for_render(page, SLOW_MS)
        found += faults_on_page(page, "lstm-viz: watch an LSTM read")
        cards = main_text(page)
        for name in ("memory-gru", "memory-rnn", "shakespeare-char"):
            title = _card(name)["title"]
            if title not in cards:
                found.append(f"Home: no card for {name} ({title!r})")
        for title, heading in (("Lessons", "Lessons"), ("RNN vs LSTM", "RNN versus LSTM"), ("Train", "Train a model")):
            go_to_page(page, title)
            found += [f"{title}: {f}" for f in faults_on_page(page, heading)]
    assert not found, "\n".join(found)


def test_a_home_card_opens_its_model_with_its_own_text(browser, app_url):
    """A student clicks the GRU's card on Home: Step Through opens that model on a text of its own task."""
    with tab(browser, 1600, 1000) as page:
        page.goto(app_url)
        wait_for_render(page, SLOW_MS)
        title = _card("memory-gru")["title"]
        card = page.locator('[data-testid="stVerticalBlock"]').filter(has=page.get_by_text(title, exact=True)).last
        card.get_by_role("button").first.click()
        wait_for_render(page, SLOW_MS)
        text = view_of(page).get("Text", "")
        assert "/step_through" in page.url
        assert faults_on_page(page, "Step Through") == []
        assert "does not know some pieces" not in main_text(page), "the GRU's card opened a text it cannot read"
        memory_string = re.fullmatch(r"[A-D][0-9]*\?[A-D0-9]*", text.strip())
        assert memory_string, f"the GRU card opened {text!r}, not a memory-task string"


# --- links: "Share this view" and the address bar, opened in a fresh browser ---------------


SHARED = {  # page: (query a teacher arrives with, a change they make before sharing)
    "step_through": ("model=shakespeare-char&text=Hello+there,+my+friend.&layer=1&step=4&colour=cell", "next"),
    "heatmaps": ("model=memory-gru&text=C0123456789%3FC&step=6&quantity=update_gate", "unit"),  # a GRU's own gate
    "equations": ("model=memory-gru&text=B0123456789%3FB&step=3&unit=5", "unit"),
    "neuron_lab": ("model=words-lm&text=the+king+said+to+the+queen&step=2", "unit"),
    "generate": ("model=authors-lm&prime=It+was&length=60&temperature=0.5", "style"),
    "classify": ("model=authors&text=Call+me+Ishmael.+Some+years+ago.", None),
}


def _share_link(page) -> str:
    """Open "Share this view" and read the link it offers."""
    page.get_by_role("button", name=re.compile("Share this view")).first.click()
    code = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"], [data-testid="stPopoverBody"] code')
    code.first.wait_for()
    return code.first.inner_text().strip()


def _change(page, what: str | None) -> None:
    if what == "next":
        page.locator(".lv-stepper").get_by_role("button", name=re.compile("Next")).click()
        page.wait_for_timeout(600)
    elif what == "unit":
        box = page.locator('[data-testid="stMain"] [data-testid="stNumberInput"] input').first
        box.fill("7")
        box.press("Enter")
        wait_for_render(page, SLOW_MS)
    elif what == "style":
        styles = _options(page, "Write in the style of")
        choose(page, "Write in the style of", styles[-1])
    page.wait_for_timeout(800)


@pytest.mark.parametrize("path", list(SHARED))
def test_share_this_view_opens_the_same_view_in_a_fresh_browser(browser, app_url, path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    query, change = SHARED[path]
    with tab(browser, 1400, 900) as page:
        page.goto(f"{app_url}/{path}?{query}")
        wait_for_render(page, SLOW_MS)
        assert faults_on_page(page) == [], f"{path} does not open whole before sharing"
        _change(page, change)
        shown = view_of(page)
        address = page.url
        link = _share_link(page)
        assert faults_on_page(page) == []
    where = f"{path} ({query})"
    problems = []
    a, b = urllib.parse.urlsplit(address), urllib.parse.urlsplit(link)
    if b.path != a.path:
        problems.append(f"{where}: the share link's path {b.path!r} is not the page's {a.path!r} ({link})")
    if urllib.parse.parse_qs(b.query) != urllib.parse.parse_qs(a.query):
        problems.append(f"{where}: the share link {link} does not say what the address bar says {address}")
    if change == "style" and shown.get("Write in the style of", "§") not in urllib.parse.unquote_plus(a.query):
        style = shown.get("Write in the style of")
        problems.append(f"{where}: the chosen style {style!r} is not in the link {address}")
    for label, url in (("share link", link), ("address bar", address)):
        if label == "address bar" and url == link:
            continue
        with tab(browser, 1400, 900) as fresh:  # no session, no cookies: what a student gets
            fresh.goto(url)
            try:
                wait_for_render(fresh, 60_000)
            except (TimeoutError, PlaywrightTimeout):
                problems.append(f"{where}: the {label} {url} opens a blank page")
                screenshot(fresh, f"journey-share-{path}-blank")
                continue
            problems += [f"{where}, {label}: {f}" for f in faults_on_page(fresh)]
            again = view_of(fresh, expected=shown)
            if again != shown:
                problems.append(f"{where}: the {label} shows {again}, not {shown}")
    assert not problems, "\n".join(problems)


def test_a_lesson_link_in_the_address_bar_opens_the_same_stop(browser, app_url):
    """A teacher presents stop 2 of a lesson; the address bar, opened by a student, shows that stop."""
    with tab(browser, 1400, 900) as page:
        page.goto(f"{app_url}/lessons")
        wait_for_render(page, SLOW_MS)
        assert faults_on_page(page, "Lessons") == []
        page.locator(".st-key-lesson_next").get_by_role("button").first.click()
        wait_for_render(page, SLOW_MS)
        heading = page.locator('[data-testid="stMain"] h2').first.inner_text()
        stop = re.search(r"Stop \d+ of \d+", main_text(page)).group(0)
        address = page.url
    assert "stop=2" in address
    with tab(browser, 1400, 900) as fresh:
        fresh.goto(address)
        wait_for_render(fresh, SLOW_MS)
        assert faults_on_page(fresh, "Lessons") == []
        assert fresh.locator('[data-testid="stMain"] h2').first.inner_text() == heading
        assert stop in main_text(fresh)


# --- every lesson stop: what the narration names is what is drawn and what Step Through opens --


def _lesson_ids() -> list[str]:
    files = sorted((ROOT / "assets" / "lessons").glob("*.json"))
    return [json.loads(p.read_text(encoding="utf-8"))["id"] for p in files]


def _labels() -> dict[str, str]:
    """Every quantity's label as the pages write it (forget gate, cell state, ...) -> its name."""
    from lstm_viz.engine import cell

    return {q.label.lower(): name for name, q in cell.QUANTITY.items()}


def _narration(page) -> str:
    return page.evaluate(
        """() => {
            const h = [...document.querySelectorAll('[data-testid="stMain"] h2')].pop();
            const box = h && h.closest('[data-testid="stElementContainer"]');
            const next = box && box.nextElementSibling;
            return next ? next.innerText : '';
        }"""
    )


def _beside_the_chart(page) -> str:
    """The stop's words once revealed: the setting, the question, the verdict and the answer (up to the chart)."""
    text = main_text(page)
    start = text.find(_narration(page)[:40])
    ends = [text.find(words) for words in ("Each token coloured", "The numbers:", "Open in Step Through")]
    end = min([at for at in ends if at > start] or [len(text)])
    return text[max(start, 0) : end]


def _named(narration: str) -> dict:
    labels = _labels()
    return {
        "units": {int(u) for u in re.findall(r"\bunits? (\d+)", narration, re.I)},
        "layers": {int(u) for u in re.findall(r"\blayer (\d+)", narration, re.I)},
        "quantities": {labels[q] for q in labels if re.search(rf"\b{re.escape(q)}", narration, re.I)},
        "steps": {int(s) for s in re.findall(r"\bstep (\d+)\b", narration, re.I)},
    }


@pytest.mark.parametrize("lesson", _lesson_ids())
def test_every_lesson_stop_draws_and_opens_what_its_narration_names(browser, app_url, lesson):
    found: list[str] = []
    labels = _labels()
    with tab(browser, 1600, 1000) as page:
        page.goto(f"{app_url}/lessons?lesson={lesson}&stop=1")
        wait_for_render(page, SLOW_MS)
        assert faults_on_page(page, "Lessons") == [], f"the lesson {lesson} does not open"
        first = re.search(r"Stop 1 of (\d+)", main_text(page))
        assert first, f"the lesson {lesson} does not open at its first stop"
        count = int(first.group(1))
        for k in range(1, count + 1):
            if k > 1:
                page.goto(f"{app_url}/lessons?lesson={lesson}&stop={k}")  # faster than the sidebar and Next
                wait_for_render(page, SLOW_MS)
            where = f"{lesson}, stop {k}"
            found += [f"{where}: {f}" for f in faults_on_page(page, "Lessons")]
            if f"Stop {k} of {count}" not in main_text(page):
                found.append(f"{where}: the page does not show stop {k}")
                continue
            reveal = page.get_by_role("button", name=re.compile("Reveal the answer"))
            if reveal.count():  # the chart, its unit and "Open in Step Through" come with the reveal
                reveal.click()
                wait_for_render(page, SLOW_MS)
            narration = _beside_the_chart(page)
            named = _named(narration)
            drawn = {}
            caption = re.search(r"Each token coloured by unit (\d+)'s (.+?) \(layer (\d+)\); the outlined token is step"
                                r" (\d+)", main_text(page))  # fmt: skip
            if caption:
                drawn = {"unit": int(caption.group(1)), "quantity": labels.get(caption.group(2).lower()),
                         "layer": int(caption.group(3)), "step": int(caption.group(4))}  # fmt: skip
                if named["units"] and drawn["unit"] not in named["units"]:
                    found.append(f"{where}: the narration names unit(s) {sorted(named['units'])}, the strip draws"
                                 f" unit {drawn['unit']}")  # fmt: skip
                if named["quantities"] and drawn["quantity"] not in named["quantities"]:
                    found.append(f"{where}: the narration speaks of {sorted(named['quantities'])}, the strip is"
                                 f" coloured by {caption.group(2)}")  # fmt: skip
                if named["layers"] and drawn["layer"] not in named["layers"]:
                    found.append(f"{where}: the narration names layer(s) {sorted(named['layers'])}, the strip draws"
                                 f" layer {drawn['layer']}")  # fmt: skip
            page.get_by_role("button", name=re.compile("Open in Step Through")).click()
            page.wait_for_url(re.compile(r"/step_through"), timeout=60_000)
            wait_for_render(page, SLOW_MS)
            found += [f"{where} -> Step Through: {f}" for f in faults_on_page(page, "Step Through")]
            opened = _stepper_state(page) or {}
            unit = int(opened["unit"]) if opened.get("unit") not in (None, "") else None
            want_unit = drawn.get("unit", next(iter(named["units"])) if len(named["units"]) == 1 else None)
            if want_unit is not None and unit != want_unit:
                found.append(f"{where}: Step Through opens unit {unit}, the stop shows unit {want_unit}")
            elif want_unit is None and named["units"] and unit not in named["units"]:
                found.append(f"{where}: Step Through opens unit {unit}, the narration names {sorted(named['units'])}")
            want_layer = drawn.get("layer", next(iter(named["layers"])) if len(named["layers"]) == 1 else None)
            if want_layer is not None and opened.get("layer") != want_layer:
                found.append(f"{where}: Step Through opens layer {opened.get('layer')}, the stop shows {want_layer}")
            want_q = drawn.get("quantity") or (next(iter(named["quantities"])) if len(named["quantities"]) == 1
                                               else None)  # fmt: skip
            if want_q is not None and opened.get("colour") != want_q:
                found.append(f"{where}: Step Through colours by {opened.get('colourLabel')!r}, the stop {want_q}")
            if "step" in drawn and opened.get("step") != drawn["step"]:
                found.append(f"{where}: Step Through opens step {opened.get('step')}, the stop shows {drawn['step']}")
    assert not found, "\n".join(found)


def test_back_from_step_through_the_lesson_is_where_the_teacher_left_it(browser, app_url):
    """In class: stop 3 of a lesson, "Open in Step Through" to explore, then Lessons again: still stop 3."""
    with tab(browser, 1600, 1000) as page:
        page.goto(f"{app_url}/lessons?lesson=writing-shakespeare&stop=3")
        wait_for_render(page, SLOW_MS)
        assert faults_on_page(page, "Lessons") == []
        heading = page.locator('[data-testid="stMain"] h2').first.inner_text()
        page.get_by_role("button", name=re.compile("Reveal the answer")).click()  # the unit comes with the reveal
        wait_for_render(page, SLOW_MS)
        page.get_by_role("button", name=re.compile("Open in Step Through")).click()
        page.wait_for_url(re.compile(r"/step_through"), timeout=60_000)
        wait_for_render(page, SLOW_MS)
        go_to_page(page, "Lessons")
        assert faults_on_page(page, "Lessons") == []
        back = page.locator('[data-testid="stMain"] h2').first.inner_text()
        stop = re.search(r"Stop \d+ of \d+", main_text(page))
        assert (back, stop and stop.group(0)) == (heading, "Stop 3 of 3"), (
            f"back on Lessons the page shows {back!r} ({stop and stop.group(0)}), not {heading!r} (Stop 3 of 3)"
        )
        assert page.get_by_text("Reveal the answer").count() == 0, "the reveal was kept"


# --- a teacher's own lesson: a scene from each explorer page, export, import in a fresh browser, play --


def test_a_lesson_made_of_scenes_survives_export_and_import(browser, app_url, tmp_path):
    scenes = {  # page title: (the model the teacher picks there, scene name)
        "Step Through": ("shakespeare-char", "Stepping"),
        "Gate Heatmaps": ("memory-gru", "GRU heatmap"),
        "Equations": ("memory-rnn", "RNN equation"),
        "Neuron Lab": ("words-lm", "Word unit"),
    }
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    found: list[str] = []
    with tab(browser, 1600, 1000) as page:
        page.goto(f"{app_url}/step_through?model=shakespeare-char&text=To+be,+or+not+to+be&step=3&unit=5")
        wait_for_render(page, SLOW_MS)
        for title, (model, scene) in scenes.items():  # through the sidebar: a reload would start a new session
            if title != "Step Through":
                go_to_page(page, title)
                choose(page, "Model", _card(model)["title"])
            assert faults_on_page(page, title) == [], title
            page.get_by_role("button", name=re.compile("Share this view")).first.click()
            popover = page.locator('[data-testid="stPopoverBody"]')
            popover.get_by_label(re.compile("Save this view as a scene")).fill(scene)
            popover.get_by_role("button", name=re.compile("Add to my lesson")).click()
            try:
                page.get_by_text(re.compile(r"Added: your lesson has \d+ scene")).wait_for(timeout=10_000)
            except PlaywrightTimeout:
                found.append(f"{title}: 'Add to my lesson' shows no confirmation (the popover closed)")
            page.keyboard.press("Escape")
            wait_for_render(page, SLOW_MS)
        go_to_page(page, "Lessons")
        assert faults_on_page(page, "Lessons") == []
        listed = main_text(page)
        for title, (_model, scene) in scenes.items():
            assert scene in listed, f"the scene {scene!r} from {title} is not in 'Your own lesson'"
        with page.expect_download() as download:
            page.get_by_role("button", name=re.compile("Export your lesson")).click()
        exported = tmp_path / "my-lesson.json"
        download.value.save_as(exported)
    doc = json.loads(exported.read_text(encoding="utf-8"))
    assert [s["title"] for s in doc["stops"]] == [s for _m, s in scenes.values()]
    assert [s["model"] for s in doc["stops"]] == [m for m, _s in scenes.values()]
    with tab(browser, 1600, 1000) as page:  # a fresh browser: a student, or the teacher's classroom computer
        page.goto(f"{app_url}/lessons")
        wait_for_render(page, SLOW_MS)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(exported))
        wait_for_render(page, SLOW_MS)
        assert faults_on_page(page, "Lessons") == []
        choose(page, "Lesson", doc["title"])  # on this page, without leaving it
        played = []
        for k, (_model, scene) in enumerate(scenes.values()):
            assert f"Stop {k + 1} of {len(scenes)}" in main_text(page)
            assert faults_on_page(page, "Lessons") == [], scene
            played.append(page.locator('[data-testid="stMain"] h2').first.inner_text())
            if k + 1 < len(scenes):
                page.locator(".st-key-lesson_next").get_by_role("button").first.click()
                wait_for_render(page, SLOW_MS)
        assert played == [s for _m, s in scenes.values()]
        address, last = page.url, played[-1]
    with tab(browser, 1600, 1000) as page:  # the address bar of the played lesson, sent to a student
        page.goto(address)
        wait_for_render(page, SLOW_MS)
        assert faults_on_page(page, "Lessons") == []
        shown = page.locator('[data-testid="stMain"] h2').first.inner_text()
        assert (shown, f"Stop {len(scenes)} of {len(scenes)}" in main_text(page)) == (last, True), (
            f"the lesson's address {address} opens {shown!r}, not the scene {last!r} at its last stop"
        )
    assert not found, "\n".join(found)


# --- Generate, autocomplete and Classify with every model that can be chosen there -------------


def _cut(page) -> list[str]:
    """Values, labels and choices cut short on this screen (tilted chart labels whose boxes overlap are not cut)."""
    return [c for c in page.evaluate(CUT_JS) if not c.startswith("x labels overlap")]


def _charlm_titles() -> set[str]:
    return {_card(p.name)["title"] for p in MODELS.iterdir() if (p / "card.json").exists() and
            _card(p.name)["task"] == "charlm"}  # fmt: skip


def _same_as_another() -> set[str]:
    """The titles of the one-author generators but one (same kind, size and page path as each other)."""
    names = sorted(p.name for p in MODELS.iterdir() if p.name.startswith("author-") and (p / "card.json").exists())
    return {_card(name)["title"] for name in names[1:]}


def test_generate_and_autocomplete_with_every_language_model(browser, app_url):
    """On a classroom projector (1024x768): write with each model offered, then autocomplete with it."""
    found: list[str] = []
    with tab(browser, 1024, 768) as page:
        page.goto(f"{app_url}/generate")
        wait_for_render(page, SLOW_MS)
        offered = [o.split(" · ")[0] for o in _options(page, "Language model")]
        assert _charlm_titles() <= set(offered), f"Generate offers {offered}"
        for title in offered:
            if title in _same_as_another():  # seven generators of one design: the first stands for them all
                continue
            choose(page, "Language model", title)
            where = f"Generate with {title!r}"
            found += [f"{where}: {f}" for f in faults_on_page(page, "Generate")]
            page.get_by_role("tab", name="Autocomplete").click()
            typed = "the king and the qu" if "Words" in title else "To be, or no"
            box = page.get_by_label("Start typing")
            box.fill(typed)
            box.press("Enter")
            wait_for_render(page, SLOW_MS)
            found += [f"{where}, autocomplete: {f}" for f in faults_on_page(page, "Generate")]
            shown = page.locator(".next-bars .nb-tok:visible").all_inner_texts()
            if not shown:
                found.append(f"{where}, autocomplete: no completion shown for {typed!r}")
            seen = [s.strip() for s in shown]
            if len(set(seen)) != len(seen):
                found.append(f"{where}, autocomplete: a completion is listed twice: {shown}")
            page.get_by_role("tab", name="Write").click()
            length = page.get_by_label(re.compile(r"^Length \((characters|words)\)"))
            length.fill("40")
            length.press("Enter")
            wait_for_render(page, SLOW_MS)
            page.locator(".st-key-gen_go").get_by_role("button").first.click()
            wait_for_render(page, SLOW_MS)
            faults = faults_on_page(page, "Generate")
            found += [f"{where}: {f}" for f in faults]
            if faults:
                continue
            found += [f"{where}, at 1024x768: {c}" for c in _cut(page)]
            written = re.search(r"(Characters|Words) written\s*([\d,]+)", main_text(page))
            if not written or written.group(2) != "40":
                found.append(f"{where}: did not write 40 tokens ({written.group(0) if written else 'nothing'})")
        if found:
            screenshot(page, "journey-generate")
    assert not found, "\n".join(found)


def test_classify_with_every_classifier(browser, app_url):
    """On a classroom projector (1024x768): each classifier offered, on its own example and on a typed text."""
    found: list[str] = []
    with tab(browser, 1024, 768) as page:
        page.goto(f"{app_url}/classify")
        wait_for_render(page, SLOW_MS)
        offered = [o.split(" · ")[0] for o in _options(page, "Classifier")]
        classifiers = {_card(p.name)["title"]: p.name for p in MODELS.iterdir() if (p / "card.json").exists()
                       and _card(p.name)["task"] == "classify"}  # fmt: skip
        assert set(classifiers) <= set(offered), f"Classify offers {offered}"
        for title in offered:
            choose(page, "Classifier", title)
            where = f"Classify with {title!r}"
            found += [f"{where}: {f}" for f in faults_on_page(page, "Classify")]
            found += [f"{where}, at 1024x768: {c}" for c in _cut(page)]
            labels = _card(classifiers[title])["labels"] if title in classifiers else []
            text = page.get_by_label("Text to classify")
            text.fill("It was a truly wonderful evening, and the food was good.")
            text.press("Control+Enter")
            wait_for_render(page, SLOW_MS)
            found += [f"{where}, own text: {f}" for f in faults_on_page(page, "Classify")]
            body = main_text(page)
            if labels and not any(label in body for label in labels):
                found.append(f"{where}: none of its labels {labels} is on the page")
            if not re.search(r"\d+(\.\d)?%", body):
                found.append(f"{where}: no probability shown")
    assert not found, "\n".join(found)
