"""Explorer figures and the token strip: pure builders checked without a server."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lstm_viz import plots
from lstm_viz.ui import widgets

RNG = np.random.default_rng(0)


def test_gate_strip_rows_follow_the_order():
    values = {q: RNG.random(6) for q in ("forget_gate", "input_gate", "cell")}
    order = np.array([5, 0, 3, 1, 2, 4])
    fig = plots.gate_strip(values, order=order, unit=3)
    assert len(fig.data) == 3
    for trace_, (name, v) in zip(fig.data, values.items(), strict=True):
        assert np.allclose(np.asarray(trace_.z)[0], v[order])
        assert list(trace_.x) == [str(u) for u in order]
        assert name.split("_")[0] in trace_.y[0]


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
    assert "rank 4" in fig.layout.title.text


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
