"""Explorer figures and the HTML views: pure builders checked without a server, colours against Plotly's own scales."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import plotly.colors
import pytest

from lstm_viz.engine import cell
from lstm_viz.plots import colours, diagram, heatmaps, html, strips
from lstm_viz.ui import clicks

RNG = np.random.default_rng(0)
ROOT = Path(__file__).resolve().parents[2]


def css_colours() -> dict[str, tuple[str, str]]:
    """class -> (background, text colour), read from the one stylesheet."""
    return {
        k: (bg, fg)
        for k, bg, fg in re.findall(
            r"\.(lv-\w+-\d+)\{background:(#[0-9a-f]{6});color:(#[0-9a-f]{6})\}", html.stylesheet()
        )
    }


def plotly_hex(name: str, reverse: bool = False) -> list[str]:
    stops = plotly.colors.get_colorscale(name)
    out = [
        "#{:02x}{:02x}{:02x}".format(
            *(int(v) for v in plotly.colors.unlabel_rgb(plotly.colors.convert_colors_to_same_type(c, "rgb")[0][0]))
        )
        for _, c in stops
    ]
    return out[::-1] if reverse else out


def strip_cells(out: str) -> list[list[tuple[str, int, str, float, bool]]]:
    """Per row: (background, unit, symbol, value, outlined) of each cell, colours read from the stylesheet."""
    css = css_colours()
    rows = []
    for row in re.findall(r'<div class="gs-row"[^>]*>(.*?)</div>', out):
        cells = re.findall(r'<i class="(lv-\w+-\d+)( on)?" data-unit="\d+" title="unit (\d+): (\S+) = (\S+)"></i>', row)
        rows.append([(css[k][0], int(u), q, float(v), bool(on)) for k, on, u, q, v in cells])
    return rows


def test_scales_are_plotly_scales_sampled_exactly():
    assert colours.GATE.plotly() == [
        [p, c] for (p, _), c in zip(plotly.colors.get_colorscale("Viridis"), plotly_hex("Viridis"), strict=True)
    ]
    signed = colours.SIGNED.colours(np.array([-1.0, 0.0, 1.0]), (-1.0, 1.0))
    assert signed == [plotly_hex("RdBu")[-1], "#f7f7f7", plotly_hex("RdBu")[0]]  # blue negative, white 0, red positive
    assert colours.SIGNED.colours(np.array([-7.0, 7.0]), (-1.0, 1.0)) == [signed[0], signed[-1]]  # clipped
    assert (
        colours.PROBABILITY.colour(0.0) == plotly_hex("Greens")[0]
        and colours.PROBABILITY.colour(1.0) == plotly_hex("Greens")[-1]
    )
    assert colours.SURPRISE.colour(colours.SURPRISE_MAX) == plotly_hex("Oranges")[-1] == colours.SURPRISE.colour(99.0)
    assert colours.text_on("#440154") == "#ffffff" and colours.text_on("#fde725") == "#000000"  # text stays readable
    css = css_colours()
    assert css["lv-gate-0"][0] == "#440154" and css[f"lv-gate-{colours.SHADES - 1}"][0] == "#fde725"
    assert len([k for k in css if k.startswith("lv-signed-")]) == colours.SHADES


def test_every_quantity_has_one_scale_and_range():
    assert {q: colours.for_quantity(q).name for q in cell.QUANTITIES} == {
        "forget_gate": "gate", "input_gate": "gate", "output_gate": "gate",
        "candidate": "signed", "cell": "signed", "hidden": "signed",
    }  # fmt: skip
    assert colours.quantity_range("forget_gate") == (0.0, 1.0) and colours.quantity_range("hidden") == (-1.0, 1.0)
    assert colours.quantity_range("cell", np.array([-3.0, 2.0])) == (-3.0, 3.0)


def test_only_the_colour_module_defines_colours():
    """Pages and builders take every colour from lstm_viz.plots.colours: no hex code or scale name elsewhere."""
    pattern = re.compile(
        r"[\"']#[0-9a-fA-F]{3,6}[\"']|rgba?\(|[\"'](black|white|red|blue|green|orange|grey|gray)[\"']"
        r"|\b(Viridis|RdBu|Blues|Greens|Oranges|Purples|Reds|Plasma|Cividis)\b"
    )
    offenders = []
    for path in [*ROOT.glob("lstm_viz/**/*.py"), *ROOT.glob("app_pages/*.py"), ROOT / "app.py"]:
        if path.name == "colours.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
    users = [p.name for p in ROOT.glob("lstm_viz/plots/*.py") if "colours" in p.read_text(encoding="utf-8")]
    assert {"strips.py", "heatmaps.py", "generation.py", "classify.py", "comparison.py", "training.py"} <= set(users)


def test_the_stylesheets_name_colours_only_as_variables_written_from_the_colour_module():
    """style.css and stepper.css hold no colour of their own: each is var(--lv-NAME), and the app's
    stylesheet and the stepper's write every such variable from colours.PAGE, before the rules."""
    written = html.css_variables()
    assert dict(re.findall(r"--lv-([\w-]+):(#[0-9a-fA-F]{6});", written)) == colours.PAGE
    used = set()
    for path in (ROOT / "lstm_viz/plots/templates/style.css", ROOT / "lstm_viz/ui/stepper_static/stepper.css"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", text), path.name
        assert not re.search(r":\s*(black|white|red|blue|green|orange|grey|gray)\b", text), path.name
        assert not re.search(r"--lv-[\w-]+\s*:", text), path.name  # it sets no variable of its own
        used |= set(re.findall(r"var\(--lv-([\w-]+)\)", text))
    assert used == set(colours.PAGE)  # every variable used is written, every colour written is used
    sheet = html.stylesheet()
    assert sheet.index(written) > sheet.index(".tok.cur")  # the app's stylesheet: the rules, then their colours
    assert (ROOT / "lstm_viz/ui/stepper.py").read_text(encoding="utf-8").count("html.css_variables() +") == 1
    assert colours.PAGE["outline"] == colours.OUTLINE and colours.PAGE["unknown"] in colours.OKABE_ITO


def test_gate_strip_rows_follow_the_order():
    values = {"forget_gate": RNG.random(6), "candidate": RNG.random(6) * 2 - 1, "cell": RNG.normal(size=6) * 4}
    order = np.array([5, 0, 3, 1, 2, 4])
    out = strips.gate_strip_html(values, order=order, unit=3)
    labels = re.findall(r'<div class="gs-label">(.*?)</div>', out)
    assert labels == [cell.title(q) for q in values]
    rows = strip_cells(out)
    assert len(rows) == 3
    for cells, (name, v) in zip(rows, values.items(), strict=True):
        assert [c[1] for c in cells] == order.tolist()  # left to right in the chosen order; hover: the unit
        assert [c[2] for c in cells] == [cell.symbol(name)] * 6
        assert np.allclose([c[3] for c in cells], v[order], atol=5e-5)  # hover: the exact value
        assert [c[4] for c in cells] == [False, False, True, False, False, False]  # unit 3 (third column) outlined
    (gates,) = strip_cells(strips.gate_strip_html({"forget_gate": np.array([0.0, 0.5, 1.0])}))
    assert [c[0] for c in gates] == [colours.palette("gate")[k][0] for k in (0, 16, 32)]
    assert gates[0][0] == "#440154" and gates[2][0] == "#fde725"  # gates: shut purple, open yellow
    (c_row,) = strip_cells(strips.gate_strip_html({"cell": np.array([-4.0, 2.0, 0.0])}))
    assert [c[0] for c in c_row] == [colours.palette("signed")[k][0] for k in (0, 24, 16)]  # c: ± its largest |c|
    assert not any(c[4] for c in c_row)  # no unit chosen, no outline
    assert '<div class="gs-axis">unit index, left to right</div>' in strips.gate_strip_html({"cell": np.ones(2)})
    assert "the outlined column is the chosen unit" in out


def test_quantity_heatmap_scale_axis_and_subset():
    c = RNG.normal(size=(4, 7)) * 3
    fig = heatmaps.quantity_heatmap(c, ["a", " ", "\n", "d"], "cell", units=np.array([6, 2]))
    hm = fig.data[0]
    assert not fig.layout.shapes  # nothing that depends on a step or unit unless asked
    marked = heatmaps.quantity_heatmap(c, list("abcd"), "cell", units=np.array([6, 2]), step=1, unit=2)
    assert [(s.x0, s.y0) for s in marked.layout.shapes] == [(1, 0), (0, "u2")]
    assert np.allclose(np.asarray(hm.z), c[:, [6, 2]].T)
    assert hm.zmin == -hm.zmax == -np.abs(c[:, [6, 2]]).max()
    assert list(hm.x) == [0, 1, 2, 3] and list(hm.y) == ["u6", "u2"]
    assert list(fig.layout.xaxis.ticktext) == ["a", "␣", "↵", "d"] and fig.layout.xaxis.tickangle == 0  # tokens as text
    assert [list(s) for s in hm.colorscale] == colours.SIGNED.plotly()
    gate = heatmaps.quantity_heatmap(RNG.random((4, 3)), list("abcd"), "forget_gate").data[0]
    assert (gate.zmin, gate.zmax) == (0.0, 1.0) and [list(s) for s in gate.colorscale] == colours.GATE.plotly()
    long = heatmaps.quantity_heatmap(RNG.random((200, 3)), ["x"] * 200, "forget_gate")
    assert len(long.layout.xaxis.tickvals) <= 30  # every k-th token labelled on a long text


def shown_labels(ticktext) -> list[str]:
    """The heatmap's x tick labels as read: a staggered label's blank first line dropped."""
    return [label.split("<br>")[-1] for label in ticktext]


def test_the_heatmap_labels_every_token_a_projector_can_read():
    text = "To be, or not to be, that is the question: Whether 'tis nobler in th"  # 68 characters
    axis = heatmaps.quantity_heatmap(RNG.random((len(text), 48)), list(text), "forget_gate").layout.xaxis
    assert list(axis.tickvals) == list(range(len(text)))  # every token, at 1024 pixels beside the sidebar
    assert shown_labels(axis.ticktext) == [html.visible(c) for c in text]
    assert axis.tickfont.size >= 12 and axis.tickangle == 0
    lower = [k for k, label in enumerate(axis.ticktext) if "<br>" in label]
    assert lower == list(range(1, len(text), 2))  # two rows, alternating: neighbours never touch
    words = ["the", "food", "was", "great", "but", "the", "service", "was", "slow", "and", "the", "waiter"] * 2
    turned = heatmaps.quantity_heatmap(RNG.random((len(words), 8)), words, "cell").layout.xaxis
    assert shown_labels(turned.ticktext) == words and turned.tickangle == -90 and turned.tickfont.size >= 12
    for n in (200, 2000):  # too many to label each: every k-th, from step 0, k the same all along
        axis = heatmaps.token_ticks(list("ab") * (n // 2))
        ticks = axis["tickvals"]
        gaps = set(np.diff(ticks).tolist())
        assert ticks[0] == 0 and len(gaps) == 1 and gaps.pop() > 1 and axis["tickfont"]["size"] >= 12
        assert shown_labels(axis["ticktext"]) == ["ab"[t % 2] for t in ticks]
        every_px = (ticks[1] - ticks[0]) * heatmaps.PLOT_PX / n
        assert every_px >= axis["tickfont"]["size"] * 0.62 + 4  # a label and a gap between two labelled tokens


def test_next_token_bars_top10_and_actual_marked():
    probs = np.arange(1, 21, dtype=float)
    probs /= probs.sum()
    labels = [chr(ord("a") + i) for i in range(20)]
    out = strips.next_token_bars_html(probs, labels, actual="q")  # 'q' has the 4th largest probability
    row = (
        r'<div class="nb-tok">(.*?)</div><div class="nb-track" title="next &\#39;(.)&\#39;: p = ([\d.]+)">'
        r'<div style="width:([\d.]+)%;background:(#[0-9A-Fa-f]{6})"></div></div><div class="nb-p">(.*?)</div>'
    )
    rows = re.findall(row, out)
    assert [r[0] for r in rows] == list("tsrqponmlk")  # the ten most likely, largest on top
    assert np.allclose([float(r[2]) for r in rows], np.sort(probs)[::-1][:10], atol=5e-5)
    assert [r[4] for r in rows].count(colours.HIGHLIGHT) == 1 and rows[3][4] == colours.HIGHLIGHT  # 'q' highlighted
    widths = [float(r[3]) for r in rows]
    assert widths == sorted(widths, reverse=True) and abs(widths[0] - 100 / 1.1) < 0.01
    assert rows[0][5] == f"{probs[19]:.1%}"
    assert "actual next &#39;q&#39;, rank 4, p = " in out
    assert "rank" not in strips.next_token_bars_html(probs, labels)
    assert "not in the vocabulary" in strips.next_token_bars_html(probs, labels, actual="é")
    assert "&lt;" in strips.next_token_bars_html(np.array([0.6, 0.4]), ["<", "b"])  # escaped


def test_cell_lines_and_class_probs():
    c = RNG.normal(size=(5, 4))
    fig = heatmaps.cell_lines(c, list("hello"), [1, 3], step=2)
    assert [t.name for t in fig.data] == ["unit 1", "unit 3"]
    assert np.allclose(fig.data[1].y, c[:, 3])
    assert [t.line.color for t in fig.data] == [colours.class_colour(0), colours.class_colour(1)]


def test_class_prob_columns_stack_each_tokens_probabilities():
    probs = RNG.dirichlet([1, 1, 1], size=5)
    out = strips.class_prob_columns_html(probs, ["neg", "mid", "pos"], list("ab<de"), step=1)
    columns = re.findall(r'<div class="cp-col( cur)?" title="(.*?)">(.*?)</div>', out)
    assert len(columns) == 5 and [bool(c[0]) for c in columns] == [False, True, False, False, False]
    for t, (_, hover, segments) in enumerate(columns):
        heights = [float(h) for h in re.findall(r"height:([\d.]+)%", segments)]
        assert np.allclose(heights, probs[t] * 100, atol=0.006)  # first class at the bottom
        assert hover.startswith(f"step {t} ") and f"pos {probs[t, 2]:.1%}" in hover
        assert re.findall(r"background:(#[0-9A-Fa-f]{6})", segments) == [colours.class_colour(k) for k in range(3)]
    assert "&#39;&lt;&#39;" in columns[2][1]  # the token is escaped in the hover text
    assert out.count('class="cp-key"') == 3
    # every token is written under its column: a projector has no hover
    assert re.findall(r'<span class="cp-lab">(.*?)</span>', out) == ["a", "b", "&lt;", "d", "e"]
    long = strips.class_prob_columns_html(RNG.dirichlet([1, 1], size=200), ["n", "p"], [f"w{t}" for t in range(200)])
    labels = re.findall(r'<span class="cp-lab">(.*?)</span>', long)
    assert len(labels) == 200 and 60 <= sum(bool(x) for x in labels) <= strips.COLUMN_LABELS


def test_annotated_cell_svg_fills_slots():
    svg = (ROOT / "assets" / "lstm_cell.svg").read_text()
    for label in ("f", "i", "g", "o", "c", "h"):
        assert f'id="val-{label}"' in svg
    out = diagram.annotated_cell_svg(svg, {"f": 0.97, "c": -1.5, "token": "<b>", "nope": 1.0})
    assert ">+0.970</text>" in out and ">-1.500</text>" in out and "&lt;b&gt;" in out


def test_token_strip_marks_current_unknown_and_window():
    tokens = list("abcdef")
    out = strips.token_strip_html(tokens, current=2, values=np.array([-1, -0.5, 0, 0.25, 0.5, 1.0]), unknown={4})
    boxes = re.findall(r'<span class="tok ?([^"]*)" data-step="(\d+)" title="([^"]*)">(.*?)</span>', out)
    assert [b[3] for b in boxes] == tokens and [int(b[1]) for b in boxes] == list(range(6))
    classes = [b[0].split() for b in boxes]
    assert [c[0] for c in classes] == [f"lv-signed-{k}" for k in (0, 8, 16, 20, 24, 32)]  # blue low, white 0, red high
    assert "cur" in classes[2] and sum("cur" in c for c in classes) == 1  # the third token is current
    assert "unk" in classes[4] and "(unknown to the model)" in boxes[4][2]
    assert boxes[3][2] == "step 3: &#39;d&#39; = 0.2500"  # hover: step and exact value
    gates = strips.token_strip_html(list("ab"), values=np.array([0.0, 1.0]), scale=colours.GATE)
    assert re.findall(r'class="tok (lv-[\w-]+)"', gates) == ["lv-gate-0", f"lv-gate-{colours.SHADES - 1}"]
    long = strips.token_strip_html(list("x" * 50), current=40, window=10)
    assert len(re.findall(r'<span class="tok[ "]', long)) == 10  # steps 35..44 around step 40
    assert "35 earlier" in long and "5 later" in long and "step 35:" in long and "step 45:" not in long
    assert "<script>" not in strips.token_strip_html(["<script>", "x"]) and "&lt;script&gt;" in strips.token_strip_html(
        ["<script>"]
    )


def test_quantity_heatmap_cells_are_clickable_points():
    values = RNG.random((3, 5))
    fig = heatmaps.quantity_heatmap(values, list("abc"), "input_gate", units=np.array([4, 1]))
    points = fig.data[1]  # invisible markers: heatmaps cannot report clicks to Streamlit
    assert points.type == "scattergl" and points.marker.opacity == 0
    assert points.selected.marker.opacity == 1 and points.unselected.marker.opacity == 0  # a clicked cell shows
    plain = heatmaps.quantity_heatmap(values, list("abc"), "input_gate", units=np.array([4, 1]), clickable=False)
    assert len(plain.data) == 1 and "%{z:.4f}" in plain.data[0].hovertemplate  # hover without click markers
    assert len(points.x) == 3 * 2
    for x, y, (_, v) in zip(points.x, points.y, points.customdata, strict=True):
        step, unit = clicks.parse_heatmap_point({"x": x, "y": y})
        assert v == values[step, unit]


def test_huge_heatmaps_skip_click_markers_but_keep_hover():
    values = RNG.random((500, 48))  # 24,000 cells
    fig = heatmaps.quantity_heatmap(values, ["x"] * 500, "cell")
    assert len(fig.data) == 1 and "%{z:.4f}" in fig.data[0].hovertemplate


def test_output_bars_keep_label_order_in_class_colours():
    out = strips.output_bars_html(np.array([0.2, 0.7, 0.1]), ["negative", "positive", "<odd>"], "After step 3")
    rows = re.findall(
        r'<div class="nb-tok">(.*?)</div><div class="nb-track" title="(.*?)"><div style="width:([\d.]+)%;'
        r'background:(#[0-9A-Fa-f]{6})"></div></div><div class="nb-p">(.*?)</div>',
        out,
    )
    assert [r[0] for r in rows] == [
        "negative",
        "positive ◀",
        "&lt;odd&gt;",
    ]  # label order, escaped, the prediction marked
    assert [float(r[2]) for r in rows] == [20.0, 70.0, 10.0]  # absolute: the full width is p = 1
    assert [r[3] for r in rows] == [colours.class_colour(k) for k in range(3)]  # the same class colours as Classify
    assert rows[1][1] == "positive: p = 0.7000" and rows[1][4] == "70.0%"
    assert '<div class="lv-title">After step 3</div>' in out


@pytest.mark.parametrize("scale", [colours.GATE, colours.SIGNED])
def test_strip_legend_shows_both_scales(scale):
    out = strips.strip_legend_html()
    for p, c in scale.plotly():
        assert f"{c} {p * 100:.0f}%" in out
