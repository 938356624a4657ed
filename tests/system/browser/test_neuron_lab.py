"""The Neuron Lab in Chromium: its ranking at a step moves in the browser, shows the core's ranking for every kind
of cell, loses no key press and reruns the server once per burst; a row chosen there becomes the unit of every
page; where its canvas cannot draw, the server's table and chart stand in. Screenshots go to test-artifacts/."""

from __future__ import annotations

import urllib.parse

import pytest

from lstm_viz.analysis import search
from lstm_viz.store import zoo
from tests.factory import HAMLET
from tests.system.browser.browser_helpers import screenshot, wait_for_render
from tests.system.browser.test_stepper import RUNS

BOB = "Bob is a nice person. Dan on the other hand is evil."
STEP = BOB.index("Dan")
MEMORY = "D5230001869569765592?"
ROOT = ".lv-moment"


def _unit_box(page):
    return page.locator('[data-testid="stNumberInput"] input:visible').first


def open_lab(page, app_url, how: str | None = None, **params) -> None:
    """The Neuron Lab from a link, ranking by ``how`` (chosen as a reader does) when given."""
    page.goto(f"{app_url}/neuron_lab?{urllib.parse.urlencode(params)}")
    wait_for_render(page, 180_000)
    page.wait_for_selector(f'{ROOT}[data-state="live"][data-loaded="true"]', timeout=30_000)
    if how is not None:
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Rank units by").click()
        page.get_by_role("option", name=search.MOMENTS[how][2], exact=True).click()
        wait_for_render(page)
        page.wait_for_selector(f'{ROOT}[data-state="live"][data-loaded="true"]', timeout=30_000)
    wait_for_render(page)


def shown_step(page) -> int:
    return int(page.locator(ROOT).get_attribute("data-step"))


def table(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{ROOT} tbody tr", "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))"
    )


def test_choosing_a_row_of_the_moment_ranking_selects_that_unit_everywhere(page, app_url):
    open_lab(page, app_url, model="shakespeare-char", text=BOB, layer=1, step=STEP, unit=0)
    ranked = search.by_moment(zoo.load("shakespeare-char").trace(BOB).layers[1], STEP, "forget_drop", top=8)
    assert [int(row[0]) for row in table(page)] == [m.unit for m in ranked]
    second = ranked[1].unit  # not the first: a row the page would not pick by itself
    page.locator(f'{ROOT} tbody tr[data-unit="{second}"]').click()
    page.wait_for_function(f"() => [...document.querySelectorAll('input')].some(i => i.value === '{second}')")
    wait_for_render(page)
    assert _unit_box(page).input_value() == str(second)
    assert page.locator(f'{ROOT} tbody tr[aria-selected="true"]').get_attribute("data-unit") == str(second)
    third = ranked[2].unit
    _unit_box(page).fill(str(third))  # the unit chosen elsewhere: the table outlines that one
    _unit_box(page).press("Enter")
    page.wait_for_selector(f'{ROOT} tbody tr[data-unit="{third}"][aria-selected="true"]')
    assert page.locator(f'{ROOT} tbody tr[aria-selected="true"]').count() == 1
    _unit_box(page).fill(str(second))
    _unit_box(page).press("Enter")
    page.wait_for_selector(f'{ROOT} tbody tr[data-unit="{second}"][aria-selected="true"]')
    wait_for_render(page)
    page.locator('[data-testid="stSidebarNav"] a[href$="/equations"]').click()
    wait_for_render(page, 120_000)
    page.wait_for_function(f"() => [...document.querySelectorAll('input')].some(i => i.value === '{second}')")
    assert _unit_box(page).input_value() == str(second)
    assert f"unit={second}" in page.url


@pytest.mark.parametrize(
    "name, text, how",
    [("shakespeare-char", HAMLET[:120], "cell_change"), ("memory-gru", MEMORY, "update_drop"),
     ("memory-rnn", MEMORY, "hidden_change"), ("words-lm", HAMLET[:120], "forget_drop")],
)  # fmt: skip
def test_each_step_shows_the_cores_ranking_for_every_kind_of_cell(page, app_url, name, text, how):
    open_lab(page, app_url, model=name, text=text, step=3, how=how)
    trace = zoo.load(name).trace(text)
    for step in (3, 4, len(trace) - 1):
        if step != 3:
            page.locator(ROOT).get_by_role("button", name="Last" if step > 4 else "Next").click()
        found = search.by_moment(trace.layers[0], step, how, top=8)
        units = ",".join(str(m.unit) for m in found)
        page.wait_for_function(  # the step, and the new ranking's view once the server sent it
            f"() => document.querySelector('{ROOT}').dataset.step === '{step}' && [...document.querySelectorAll("
            f"'{ROOT} tbody tr')].map(r => r.dataset.unit).join() === '{units}'"
        )
        rows = table(page)
        assert [int(r[0]) for r in rows] == [m.unit for m in found]
        assert [r[1] for r in rows] == [f"{m.score:.4f}" for m in found]
        assert [r[3] for r in rows] == [f"{m.after:.4f}" for m in found]
        assert f"Unit {found[0].unit}'s" in page.locator(f"{ROOT} [data-role=info]").inner_text()
    assert page.locator(f"{ROOT} canvas").get_attribute("data-rows") == "5"
    screenshot(page, f"neuron-lab-moment-{name}")


def test_keys_move_exactly_as_pressed_and_the_server_runs_once(page, app_url):
    sent = []  # what the page sends the server: each message asks for a run
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    open_lab(page, app_url, model="shakespeare-char", text=HAMLET, step=0, how="forget_drop")
    notice = page.locator(f"{ROOT} [data-role=info]").inner_text()
    assert "no step before" in notice and not page.locator(f"{ROOT} table").is_visible()  # a gate at step 0
    page.locator("h1").first.click()
    page.evaluate(RUNS)
    before = len(sent)
    for _ in range(20):  # 20 presses at 20 per second: 20 steps, none lost
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(50)
    assert shown_step(page) == 20 and page.evaluate("window.__runs") == 0 and len(sent) == before
    assert page.locator(f"{ROOT} table").is_visible()
    page.wait_for_function("() => /[?&]step=20(&|$)/.test(location.search)")  # the step reaches the server...
    wait_for_render(page, quiet_ms=1500)
    assert len(sent) == before + 1  # ...in one message
    text_box = page.locator('[data-testid="stSidebar"] textarea')
    text_box.click()
    text_box.press("ArrowRight")  # keys typed into a text box are the text box's
    assert shown_step(page) == 20
    canvas = page.locator(f"{ROOT} canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 48 + 2, box["y"] + 22 + 30)  # the first unit's plot, the first step
    tip = page.locator(f"{ROOT} [data-role=tip]")
    tip.wait_for(state="visible")
    trace = zoo.load("shakespeare-char").trace(HAMLET)
    unit = search.by_moment(trace.layers[0], 20, "forget_drop", top=8)[0].unit
    assert tip.inner_text().splitlines() == [
        f"unit {unit}",
        f'step 0: "{trace.tokens[0]}"',
        f"f = {float(trace.layers[0].forget_gate[0, unit]):.4f}",
    ]
    screenshot(page, "neuron-lab-moment-keys")


def test_where_the_canvas_cannot_draw_the_servers_table_stands_in(page, app_url):
    page.add_init_script(
        "const draw = HTMLCanvasElement.prototype.getContext;"
        "HTMLCanvasElement.prototype.getContext = function (...args) {"
        " return this.closest('.lv-moment') ? null : draw.apply(this, args); };"
    )
    page.goto(f"{app_url}/neuron_lab?model=shakespeare-char&text={urllib.parse.quote(BOB)}&step=5")
    wait_for_render(page, 180_000)
    page.locator('.st-key-lab_moment_fallback [data-testid="stDataFrame"]').wait_for(timeout=30_000)
    assert page.locator(f'{ROOT}[data-state="failed"]').count() == 1
    assert "could not start" in page.locator(f"{ROOT} .lvs-notice").inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "neuron-lab-moment-fallback")
