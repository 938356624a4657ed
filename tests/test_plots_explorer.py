"""Explorer figures and the token strip: pure builders checked without a server."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lstm_viz import plots
from lstm_viz.ui import widgets

RNG = np.random.default_rng(0)


def strip_cells(out: str) -> list[list[tuple[str, int, str, float, bool]]]:
    """Per row: (colour, unit, quantity, value, outlined) of each cell, colours read from the CSS."""
    palette = dict(re.findall(r"\.gs-row \.(k\d+)\{background:(#[0-9a-f]{6})\}", out))
    rows = []
    for row in re.findall(r'<div class="gs-row">(.*?)</div>', out):
        cells = re.findall(r'<i class="(k\d+)( on)?" title="unit (\d+): (\S+) = (\S+)"></i>', row)
        rows.append([(palette[k], int(u), q, float(v), bool(on)) for k, on, u, q, v in cells])
    return rows


def test_gate_strip_rows_follow_the_order():
    values = {"forget_gate": RNG.random(6), "candidate": RNG.random(6) * 2 - 1, "cell": RNG.normal(size=6) * 4}
    order = np.array([5, 0, 3, 1, 2, 4])
    out = plots.gate_strip_html(values, order=order, unit=3)
    labels = re.findall(r'<div class="gs-label">(.*?)</div>', out)
    assert labels == [plots.QUANTITY_LABELS[q] for q in values]
    rows = strip_cells(out)
    assert len(rows) == 3
    for cells, (name, v) in zip(rows, values.items(), strict=True):
        assert [c[1] for c in cells] == order.tolist()  # left to right in the chosen order; hover: the unit
        assert [c[2] for c in cells] == [plots.QUANTITY_LABELS[name].split()[0]] * 6
        assert np.allclose([c[3] for c in cells], v[order], atol=5e-5)  # hover: the exact value
        assert [c[4] for c in cells] == [False, False, True, False, False, False]  # unit 3 (third column) outlined
    (gates,) = strip_cells(plots.gate_strip_html({"forget_gate": np.array([0.0, 0.5, 1.0, 0.75])}))
    shades = plots.scale_colours(np.linspace(-1, 1, plots.STRIP_SHADES))
    assert [c[0] for c in gates] == [shades[0], shades[16], shades[32], shades[24]]  # gates: 0..1 over the scale
    assert [c[0] for c in gates[:3]] == ["#053061", "#f7f7f7", "#67001f"]  # blue, white, red
    (cell,) = strip_cells(plots.gate_strip_html({"cell": np.array([-4.0, 2.0, 0.0])}))
    assert [c[0] for c in cell] == [shades[0], shades[24], shades[16]]  # c: scaled by its largest magnitude
    assert not any(c[4] for c in cell)  # no unit chosen, no outline
    assert '<div class="gs-axis">unit index, left to right</div>' in plots.gate_strip_html({"cell": np.ones(2)})
    assert "the outlined column is the chosen unit" in out


def test_scale_colours_match_plotly_scale_stops():
    import plotly.colors

    stops = plotly.colors.get_colorscale(plots.SIGNED_SCALE)
    x = np.array([p for p, _ in stops]) * 2 - 1
    expected = ["#{:02x}{:02x}{:02x}".format(*(int(v) for v in plotly.colors.unlabel_rgb(c))) for _, c in stops]
    assert plots.scale_colours(x) == expected
    assert plots.scale_colours(np.array([-7.0, 7.0])) == [expected[0], expected[-1]]  # clipped


def test_quantity_heatmap_symmetric_cell_scale_and_subset():
    cell = RNG.normal(size=(4, 7)) * 3
    fig = plots.quantity_heatmap(cell, list("abcd"), "cell", units=np.array([6, 2]))
    hm = fig.data[0]
    assert not fig.layout.shapes  # nothing that depends on a step or unit unless asked
    marked = plots.quantity_heatmap(cell, list("abcd"), "cell", units=np.array([6, 2]), step=1, unit=2)
    assert [(s.x0, s.y0) for s in marked.layout.shapes] == [("1:b", 0), (0, "u2")]
    assert np.allclose(np.asarray(hm.z), cell[:, [6, 2]].T)
    assert hm.zmin == -hm.zmax == -np.abs(cell[:, [6, 2]]).max()
    assert list(hm.x) == ["0:a", "1:b", "2:c", "3:d"] and list(hm.y) == ["u6", "u2"]
    gate = plots.quantity_heatmap(RNG.random((4, 3)), list("abcd"), "forget_gate").data[0]
    assert (gate.zmin, gate.zmax) == (0.0, 1.0)


def test_next_token_bars_top10_and_actual_marked():
    probs = np.arange(1, 21, dtype=float)
    probs /= probs.sum()
    labels = [chr(ord("a") + i) for i in range(20)]
    out = plots.next_token_bars_html(probs, labels, actual="q")  # 'q' has the 4th largest probability
    row = (
        r'<div class="nb-tok">(.*?)</div><div class="nb-track" title="next &\#x27;(.)&\#x27;: p = ([\d.]+)">'
        r'<div style="width:([\d.]+)%;background:(#[0-9a-f]{6})"></div></div><div class="nb-p">(.*?)</div>'
    )
    rows = re.findall(row, out)
    assert [r[0] for r in rows] == list("tsrqponmlk")  # the ten most likely, largest on top
    assert np.allclose([float(r[2]) for r in rows], np.sort(probs)[::-1][:10], atol=5e-5)
    assert [r[4] for r in rows].count("#ff7f0e") == 1 and rows[3][4] == "#ff7f0e"  # 'q' in orange
    widths = [float(r[3]) for r in rows]
    assert widths == sorted(widths, reverse=True) and abs(widths[0] - 100 / 1.1) < 0.01
    assert rows[0][5] == f"{probs[19]:.1%}"
    assert "actual next &#x27;q&#x27;, rank 4" in out
    assert "rank" not in plots.next_token_bars_html(probs, labels)
    assert "not in the vocabulary" in plots.next_token_bars_html(probs, labels, actual="é")
    assert "&lt;" in plots.next_token_bars_html(np.array([0.6, 0.4]), ["<", "b"])  # escaped


def test_cell_lines_and_class_probs():
    cell = RNG.normal(size=(5, 4))
    fig = plots.cell_lines(cell, list("hello"), [1, 3], step=2)
    assert [t.name for t in fig.data] == ["unit 1", "unit 3"]
    assert np.allclose(fig.data[1].y, cell[:, 3])


def test_class_prob_columns_stack_each_tokens_probabilities():
    probs = RNG.dirichlet([1, 1, 1], size=5)
    out = plots.class_prob_columns_html(probs, ["neg", "mid", "pos"], list("ab<de"), step=1)
    columns = re.findall(r'<div class="cp-col( cur)?" title="(.*?)">(.*?)</div>', out)
    assert len(columns) == 5 and [bool(c[0]) for c in columns] == [False, True, False, False, False]
    for t, (_, hover, segments) in enumerate(columns):
        heights = [float(h) for h in re.findall(r"height:([\d.]+)%", segments)]
        assert np.allclose(heights, probs[t] * 100, atol=0.006)  # first class at the bottom
        assert hover.startswith(f"step {t} ") and f"pos {probs[t, 2]:.1%}" in hover
    assert "&#x27;&lt;&#x27;" in columns[2][1]  # the token is escaped in the hover text
    assert out.count('class="cp-key"') == 3


def test_annotated_cell_svg_fills_slots():
    svg = (Path(plots.__file__).resolve().parents[1] / "assets" / "lstm_cell.svg").read_text()
    for label in ("f", "i", "g", "o", "c", "h"):
        assert f'id="val-{label}"' in svg
    out = plots.annotated_cell_svg(svg, {"f": 0.97, "c": -1.5, "token": "<b>", "nope": 1.0})
    assert ">+0.970</text>" in out and ">-1.500</text>" in out and "&lt;b&gt;" in out


def test_token_strip_marks_current_unknown_and_window():
    tokens = list("abcdef")
    out = widgets.token_strip_html(tokens, current=2, values=np.array([-1, -0.5, 0, 0.25, 0.5, 1.0]), unknown={4})
    boxes = re.findall(r'<span class="tok ?([^"]*)" title="([^"]*)">(.*?)</span>', out)
    assert [b[2] for b in boxes] == tokens
    classes = [b[0].split() for b in boxes]
    assert [c[0] for c in classes] == ["b16", "b8", "b0", "r4", "r8", "r16"]  # blue low, white 0, red high
    assert "cur" in classes[2] and sum("cur" in c for c in classes) == 1  # the third token is current
    assert "unk" in classes[4] and "(unknown to the model)" in boxes[4][1]
    assert boxes[3][1] == "step 3: &#x27;d&#x27; = 0.2500"  # hover: step and exact value
    css = out[: out.index("</style>")]
    assert ".tok.b16{background:rgba(31,119,180,0.850)}" in css and ".tok.r8{background:rgba(214,39,40,0.425)}" in css
    assert ".tok.cur{outline:3px solid" in css and ".tok.unk{text-decoration:underline wavy" in css
    gates = widgets.token_strip_html(list("ab"), values=np.array([0.0, 1.0]))  # 0..1 values: 0 is blue, 1 red
    assert re.findall(r'class="tok (\w+)"', gates) == ["b16", "r16"]
    long = widgets.token_strip_html(list("x" * 50), current=40, window=10)
    assert len(re.findall(r'<span class="tok[ "]', long)) == 10  # steps 35..44 around step 40
    assert "35 earlier" in long and "5 later" in long and "step 35:" in long and "step 45:" not in long


def test_quantity_heatmap_cells_are_clickable_points():
    values = RNG.random((3, 5))
    fig = plots.quantity_heatmap(values, list("abc"), "input_gate", units=np.array([4, 1]))
    points = fig.data[1]  # invisible markers: heatmaps cannot report clicks to Streamlit
    assert points.type == "scatter" and points.marker.opacity == 0
    assert points.selected.marker.opacity == 1 and points.unselected.marker.opacity == 0  # a clicked cell shows
    plain = plots.quantity_heatmap(values, list("abc"), "input_gate", units=np.array([4, 1]), clickable=False)
    assert len(plain.data) == 1 and "%{z:.4f}" in plain.data[0].hovertemplate  # hover without click markers
    assert len(points.x) == 3 * 2
    for x, y, v in zip(points.x, points.y, points.customdata, strict=True):
        step, unit = widgets.parse_heatmap_point({"x": x, "y": y})
        assert v == values[step, unit]


def test_huge_heatmaps_skip_click_markers_but_keep_hover():
    values = RNG.random((500, 48))  # 24,000 cells
    fig = plots.quantity_heatmap(values, ["x"] * 500, "cell")
    assert len(fig.data) == 1 and "%{z:.4f}" in fig.data[0].hovertemplate


def test_output_bars_keep_label_order_and_mark_the_prediction():
    out = plots.output_bars_html(np.array([0.2, 0.7, 0.1]), ["negative", "positive", "<odd>"], "After step 3")
    rows = re.findall(
        r'<div class="nb-tok">(.*?)</div><div class="nb-track" title="(.*?)"><div style="width:([\d.]+)%;'
        r'background:(#[0-9a-f]{6})"></div></div><div class="nb-p">(.*?)</div>',
        out,
    )
    assert [r[0] for r in rows] == ["negative", "positive", "&lt;odd&gt;"]  # label order, escaped
    assert [float(r[2]) for r in rows] == [20.0, 70.0, 10.0]  # absolute: the full width is p = 1
    assert [r[3] for r in rows] == ["#1f77b4", "#ff7f0e", "#1f77b4"]  # the predicted class in orange
    assert rows[1][1] == "positive: p = 0.7000" and rows[1][4] == "70.0%"
    assert '<div class="nb-title">After step 3</div>' in out
