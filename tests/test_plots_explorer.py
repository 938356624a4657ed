"""Explorer figures and the token strip: pure builders checked without a server."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lstm_viz import plots
from lstm_viz.ui import widgets

RNG = np.random.default_rng(0)


def test_gate_strip_rows_follow_the_order():
    values = {"forget_gate": RNG.random(6), "candidate": RNG.random(6) * 2 - 1, "cell": RNG.normal(size=6) * 4}
    order = np.array([5, 0, 3, 1, 2, 4])
    fig = plots.gate_strip(values, order=order, unit=3)
    hm = fig.data[0]
    raw = np.asarray(hm.customdata)[..., 0]
    assert list(hm.y) == [plots.QUANTITY_LABELS[q] for q in values]
    for row, v in enumerate(values.values()):
        assert np.allclose(raw[row], v[order])  # hover shows the exact values, in unit order
        assert np.allclose(np.asarray(hm.customdata)[row, :, 1], order)
    z = np.asarray(hm.z)
    assert np.allclose(z[0], values["forget_gate"][order] * 2 - 1)  # gates: 0..1 -> -1..1
    assert np.allclose(z[1], values["candidate"][order])  # g already -1..1
    assert np.abs(z[2]).max() == 1.0  # c scaled by its largest magnitude
    assert fig.layout.shapes[0].x0 == 1.5  # unit 3 is the third column


def test_quantity_heatmap_symmetric_cell_scale_and_subset():
    cell = RNG.normal(size=(4, 7)) * 3
    fig = plots.quantity_heatmap(cell, list("abcd"), "cell", units=np.array([6, 2]), step=1, unit=2)
    hm = fig.data[0]
    assert np.allclose(np.asarray(hm.z), cell[:, [6, 2]].T)
    assert hm.zmin == -hm.zmax == -np.abs(cell[:, [6, 2]]).max()
    assert list(hm.x) == ["0:a", "1:b", "2:c", "3:d"] and list(hm.y) == ["u6", "u2"]
    gate = plots.quantity_heatmap(RNG.random((4, 3)), list("abcd"), "forget_gate").data[0]
    assert (gate.zmin, gate.zmax) == (0.0, 1.0)


def test_next_token_bars_top10_and_actual_marked():
    probs = np.arange(1, 21, dtype=float)
    probs /= probs.sum()
    labels = [chr(ord("a") + i) for i in range(20)]
    fig = plots.next_token_bars(probs, labels, actual="q")  # 'q' has the 4th largest probability
    bar = fig.data[0]
    assert len(bar.x) == 10 and np.all(np.diff(bar.x) > 0)  # largest at the top
    assert bar.marker.color[list(bar.y).index(" q ")] == "#ff7f0e"
    assert "actual next 'q', rank 4" in fig.layout.title.text


def test_cell_lines_and_class_probs():
    cell = RNG.normal(size=(5, 4))
    fig = plots.cell_lines(cell, list("hello"), [1, 3], step=2)
    assert [t.name for t in fig.data] == ["unit 1", "unit 3"]
    assert np.allclose(fig.data[1].y, cell[:, 3])
    probs = RNG.dirichlet([1, 1], size=5)
    fig = plots.class_prob_lines(probs, ["neg", "pos"], list("abcde"), 1)
    assert np.allclose(fig.data[1].y, probs[:, 1])


def test_annotated_cell_svg_fills_slots():
    svg = (Path(plots.__file__).resolve().parents[1] / "assets" / "lstm_cell.svg").read_text()
    for label in ("f", "i", "g", "o", "c", "h"):
        assert f'id="val-{label}"' in svg
    out = plots.annotated_cell_svg(svg, {"f": 0.97, "c": -1.5, "token": "<b>", "nope": 1.0})
    assert ">+0.970</text>" in out and ">-1.500</text>" in out and "&lt;b&gt;" in out


def test_token_strip_marks_current_unknown_and_window():
    tokens = list("abcdef")
    html = widgets.token_strip_html(tokens, current=2, values=np.linspace(-1, 1, 6), unknown={4})
    assert html.count('class="tok"') == 6
    assert "outline:3px" in html.split('class="tok"')[3]  # the third token
    assert "wavy" in html.split('class="tok"')[5]
    long = widgets.token_strip_html(list("x" * 50), current=40, window=10)
    assert long.count('class="tok"') == 10 and "earlier" in long


def test_quantity_heatmap_cells_are_clickable_points():
    values = RNG.random((3, 5))
    fig = plots.quantity_heatmap(values, list("abc"), "input_gate", units=np.array([4, 1]))
    points = fig.data[1]  # invisible markers: heatmaps cannot report clicks to Streamlit
    assert points.type == "scatter" and points.marker.opacity == 0
    assert len(points.x) == 3 * 2
    for x, y, v in zip(points.x, points.y, points.customdata, strict=True):
        step, unit = widgets.parse_heatmap_point({"x": x, "y": y})
        assert v == values[step, unit]


def test_huge_heatmaps_skip_click_markers_but_keep_hover():
    values = RNG.random((500, 48))  # 24,000 cells
    fig = plots.quantity_heatmap(values, ["x"] * 500, "cell")
    assert len(fig.data) == 1 and "%{z:.4f}" in fig.data[0].hovertemplate
