"""Classify's charts, drawn as HTML and an SVG image: every number read back from what the browser gets."""

from __future__ import annotations

import base64
import html
import math
import re

import numpy as np
import pytest

from lstm_viz.data import authors
from lstm_viz.plots import classify, colours
from lstm_viz.ui.cards import accuracy_markdown

RNG = np.random.default_rng(7)
WORDS = "The pasta was delicious and the staff were friendly , but the wait was over an hour and our table was filthy"
REVIEW = WORDS.split()


def polylines(page: str) -> list[tuple[str, np.ndarray]]:
    """(stroke colour, points as an (n, 2) array) of each line in the chart's SVG image."""
    src = re.search(r'<img class="tl-svg" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert src, "the chart's lines are an SVG image"
    svg = base64.b64decode(src.group(1)).decode("utf-8")
    assert 'preserveAspectRatio="none"' in svg and 'vector-effect="non-scaling-stroke"' in svg
    found = []
    for colour, points in re.findall(r'<polyline fill="none" stroke="(#[0-9A-Fa-f]{6})"[^>]* points="([^"]+)"', svg):
        found.append((colour, np.array([[float(v) for v in p.split(",")] for p in points.split()])))
    return found


def hovers(page: str) -> list[str]:
    hover = page[page.index('<div class="tl-hover">') :]
    return [html.unescape(t) for t in re.findall(r'<b title="([^"]*)"></b>', hover[: hover.index("</div>")])]


def token_marks(page: str) -> list[tuple[str, str]]:
    """(left %, token) of each token written under the lines."""
    labels = re.search(r'<div class="tl-labels"[^>]*>(.*?)</div>', page)
    return re.findall(r'<span style="left:([\d.]+)%">([^<]*)</span>', labels.group(1)) if labels else []


def tick_labels(page: str) -> dict[str, float]:
    """Each value-axis label and where it is, 0 (top) to 100 (bottom) per cent of the plot."""
    axis = re.search(r'<div class="tl-y"[^>]*>(.*?)</div>', page).group(1)
    return {label: float(top) for top, label in re.findall(r'<span style="top:([\d.]+)%">([^<]+)</span>', axis)}


def test_the_running_prediction_draws_each_probability_and_labels_every_token():
    probs = RNG.dirichlet([1, 1], size=len(REVIEW))
    page = classify.running_probabilities(probs, REVIEW, ["negative", "positive"])
    lines = polylines(page)
    assert [c for c, _ in lines] == [colours.class_colour(0), colours.class_colour(1)]
    for c, (_, points) in enumerate(lines):
        assert points[:, 0].tolist() == pytest.approx(np.arange(len(REVIEW)) + 0.5)
        assert (1 - points[:, 1] / 1000).tolist() == pytest.approx(probs[:, c].tolist(), abs=1e-5)  # 0..1, top 1
    assert tick_labels(page) == {"0.00": 100.0, "0.25": 75.0, "0.50": 50.0, "0.75": 25.0, "1.00": 0.0}
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", page).group(1)).decode()
    assert re.search(r'y1="500.00" y2="500.00" stroke="#999999"[^>]*stroke-dasharray', svg)  # the 0.5 line
    dots = re.findall(r'<i class="tl-dot" style="left:([\d.]+)%;top:([\d.]+)%;background:(#\w+)"></i>', page)
    assert len(dots) == 2 * len(REVIEW)  # a short text's points are dots one can count, each where its point is
    for k, (left, top, colour) in enumerate(dots):
        c, t = divmod(k, len(REVIEW))
        assert colour == colours.class_colour(c) and float(left) == pytest.approx(
            (t + 0.5) / len(REVIEW) * 100, abs=1e-3
        )
        assert float(top) == pytest.approx((1 - probs[t, c]) * 100, abs=1e-3)
    assert [m[1] for m in token_marks(page)] == REVIEW  # every token under its step: a projector has no hover
    assert all(
        float(left) == pytest.approx((t + 0.5) / len(REVIEW) * 100, abs=1e-3)
        for t, (left, _) in enumerate(token_marks(page))
    )
    found = hovers(page)
    assert len(found) == len(REVIEW)
    assert found[3] == f"step 3 'delicious': P(negative) = {probs[3, 0]:.3f} · P(positive) = {probs[3, 1]:.3f}"
    assert "negative</span>" in page and "positive</span>" in page  # the legend


def test_more_than_two_classes_are_stacked_bands():
    probs = RNG.dirichlet(np.ones(7), size=12)
    page = classify.running_probabilities(probs, [f"t{k}" for k in range(12)], authors.LABELS)
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", page).group(1)).decode()
    bands = re.findall(r'<polygon fill="(#\w+)" points="([^"]+)"/>', svg)
    assert [c for c, _ in bands] == [colours.class_colour(c) for c in range(7)]
    tops = np.cumsum(probs, axis=1)
    for c, (_, points) in enumerate(bands):  # the band's top edge left to right, then its bottom edge back
        edge = np.array([[float(v) for v in p.split(",")] for p in points.split()])
        assert (
            edge[:12, 0].tolist() == pytest.approx(np.arange(12) + 0.5)
            and edge[12:, 0].tolist() == edge[:12, 0][::-1].tolist()
        )
        assert (1 - edge[:12, 1] / 1000).tolist() == pytest.approx(tops[:, c].tolist(), abs=1e-5)
        below = tops[:, c - 1] if c else np.zeros(12)
        assert (1 - edge[12:, 1][::-1] / 1000).tolist() == pytest.approx(below.tolist(), abs=1e-5)
    assert "<polyline" not in svg and 'class="tl-dot"' not in page and "stroke-dasharray" not in svg  # no 0.5 line
    assert all(f"{label}</span>" in page for label in authors.LABELS)  # the legend
    assert hovers(page)[4] == "step 4 't4': " + " · ".join(
        f"{c} {p:.1%}" for c, p in zip(authors.LABELS, probs[4], strict=True)
    )
    with pytest.raises(ValueError):
        classify.running_probabilities(np.full((3, 2), 0.5), list("ab"), ["x", "y"])


def test_hostile_tokens_are_text_not_markup():
    tokens = ['<script>alert("x")</script>', "\n", '" onmouseover="x', "é\u0301", "\u202eevil"]
    page = classify.running_probabilities(RNG.dirichlet([1, 1], size=len(tokens)), tokens, ["<b>", "&amp;"])
    assert "<script>" not in page and 'onmouseover="x' not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "↵" in page  # escaped, and a newline made visible
    assert hovers(page)[0].startswith("step 0 '<script>alert(\"x\")</script>'")


@pytest.mark.parametrize(
    ("n", "every", "dots"), [(30, 1, True), (31, 2, True), (60, 2, True), (61, 3, False), (80, 3, False)]
)
def test_tokens_are_written_where_they_fit_and_dots_drawn_on_short_texts(n, every, dots):
    """At the narrowest plot (480 px, a 1024 px screen) each label needs 16 px: every k-th token past 30."""
    tokens = [f"w{t}" for t in range(n)]
    page = classify.running_probabilities(RNG.dirichlet([1, 1], size=n), tokens, ["a", "b"])
    assert [m[1] for m in token_marks(page)] == tokens[::every]
    assert ('class="tl-dot"' in page) is dots and "tl-steps" not in page


def test_a_long_text_gets_step_numbers_and_no_dots():
    n = 2000
    probs = RNG.dirichlet([1, 1], size=n)
    page = classify.running_probabilities(probs, ["word"] * n, ["negative", "positive"])
    assert token_marks(page) == [] and 'class="tl-dot"' not in page
    marks = re.findall(r'<span style="left:([\d.]+)%">(\d+)</span>', page[page.index('class="tl-steps"') :])
    assert [int(m) for _, m in marks] == list(range(0, 2000, 250))
    assert all(float(left) == pytest.approx((int(m) + 0.5) / n * 100, abs=1e-3) for left, m in marks)
    assert len(hovers(page)) == n and len(polylines(page)[0][1]) == n


def test_the_shares_of_the_logit_are_signed_bars_about_zero():
    shares = np.array([0.5, -2.0, 0.25, 1.0])
    page = classify.contribution_bars(shares, np.array([1, 3]), 0.1, -0.15, "positive")
    rows = re.findall(
        r'<div class="sb-name">([^<]+)</div><div class="sb-track" title="([^"]+)"><i style="left:([\d.]+)%"></i>'
        r'<b style="left:([\d.]+)%;width:([\d.]+)%;background:(#\w+)"></b></div><div class="sb-value">([^<]+)</div>',
        page,
    )
    assert [r[0] for r in rows] == ["unit 1", "unit 3", "all other units", "bias"]
    values = [-2.0, 1.0, 0.75, 0.1]  # the top units, then the rest (0.5 + 0.25), then the bias
    lo, hi = -2.0, 1.0
    for (_, hover, zero, left, width, _, text), v in zip(rows, values, strict=True):
        assert float(zero) == pytest.approx(2 / 3 * 100, abs=1e-3)  # zero sits at 2/3 of the way
        assert float(width) == pytest.approx(abs(v) / (hi - lo) * 100, abs=1e-3)
        assert float(left) == pytest.approx((min(v, 0) - lo) / (hi - lo) * 100, abs=1e-3)
        assert text == f"{v:+.3f}".replace("-", "−") and hover.endswith(f"{v:+.4f}")
    assert [r[5] for r in rows][2:] == [colours.REST, colours.BIAS]
    assert rows[0][5] != rows[1][5]  # a share that lowers the logit is the other colour
    assert "(-0.150 = bias + sum over all units)" in page
    # All zero: no division by zero, every bar of no width.
    flat = classify.contribution_bars(np.zeros(4), np.array([0, 1]), 0.0, 0.0, "x")
    assert flat.count("width:0.000%") == 4
    # Shares of one sign: the zero line at an edge, each bar from it.
    up = classify.contribution_bars(np.array([1.0, 3.0]), np.array([1]), 0.0, 4.0, "x")
    assert '<i style="left:0.000%">' in up and "left:0.000%;width:100.000%" in up  # 3 of 3
    down = classify.contribution_bars(np.array([-1.0, -3.0]), np.array([1]), 0.0, -4.0, "x")
    assert '<i style="left:100.000%">' in down and "left:0.000%;width:100.000%" in down


def test_the_top_units_cell_state_lines_read_back():
    cell = RNG.normal(scale=3, size=(40, 10))
    shares = RNG.normal(size=10)
    units = np.array([4, 0, 7])
    page = classify.unit_cell_traces(cell, units, [f"t{k}" for k in range(40)], shares)
    lo, hi = min(0.0, cell[:, units].min()), max(0.0, cell[:, units].max())
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    lines = polylines(page)
    assert len(lines) == 3
    for (colour, points), k, u in zip(lines, range(3), units, strict=True):
        assert colour == colours.class_colour(k)
        assert (hi - points[:, 1] / 1000 * (hi - lo)).tolist() == pytest.approx(
            cell[:, u].tolist(), abs=1e-4 * (hi - lo)
        )
        assert f"unit {u} ({shares[u]:+.2f})" in page
    for label, top in tick_labels(page).items():  # each axis label where its value is
        assert top == pytest.approx((hi - float(label.replace("−", "-"))) / (hi - lo) * 100, abs=1e-3)
    assert hovers(page)[5] == "step 5 't5': " + " · ".join(f"unit {u} C = {cell[5, u]:.3f}" for u in units)


def test_non_finite_and_flat_values_draw_without_error():
    cell = np.zeros((5, 3))
    page = classify.unit_cell_traces(cell, np.array([0, 1]), list("abcde"), np.zeros(3))
    assert len(polylines(page)) == 2
    assert tick_labels(page)["0.0"] == 50.0  # a flat line sits in the middle
    # A value that is not a number breaks its line: no point and no dot at its step (not one at the bottom).
    probs = np.full((5, 2), 0.5)
    probs[2] = np.nan
    page = classify.running_probabilities(probs, list("abcde"), ["x", "y"])
    assert [points[:, 0].tolist() for _, points in polylines(page)] == [[0.5, 1.5], [3.5, 4.5]] * 2
    lefts = re.findall(r'class="tl-dot" style="left:([\d.]+)%', page)
    assert len(lefts) == 8 and f"{2.5 / 5 * 100:.3f}" not in lefts
    # One past the range sits at its edge; a range that is not a number falls back to −1..1.
    past = classify.token_lines_html(
        "t", [("s", "#000000", np.array([1.5, -0.5, 0.5, np.inf]))], list("abcd"), (0, 1), "v", [""] * 4, "n"
    )
    assert [p.tolist() for _, p in polylines(past)] == [[[0.5, 0.0], [1.5, 1000.0], [2.5, 500.0]]]  # inf: no point
    odd = classify.token_lines_html(
        "t", [("s", "#000000", np.zeros(2))], list("ab"), (np.nan, np.nan), "v", ["", ""], "n"
    )
    assert "nan" not in odd and tick_labels(odd)["0.0"] == 50.0
    with pytest.raises(ValueError):
        classify.token_lines_html("t", [], [], (0, 1), "v", [], "n")


@pytest.mark.parametrize(
    ("lo", "hi", "labels"),
    [
        (0, 1, ["0.00", "0.25", "0.50", "0.75", "1.00"]),
        (
            -3e-8,
            3e-8,
            ["−0.00000002", "0.00000000", "0.00000002"],
        ),
        (0, 250, ["0", "100", "200"]),
        (-25, 75, ["−25", "0", "25", "50", "75"]),
    ],
)
def test_tick_labels_have_the_decimals_their_step_needs(lo, hi, labels):
    page = classify.token_lines_html("t", [("s", "#000000", np.zeros(2))], list("ab"), (lo, hi), "v", ["", ""], "n")
    assert list(tick_labels(page)) == labels


def test_the_confusion_matrix_is_a_table_shaded_by_row_share():
    page = classify.confusion_heatmap([[3, 1], [0, 4]], ["a", "b"])
    cells = re.findall(r'<td class="lv-probability-(\d+)" title="([^"]+)">([\d,]+)<small>(\d+%)</small></td>', page)
    assert [(c[2], c[3]) for c in cells] == [("3", "75%"), ("1", "25%"), ("0", "0%"), ("4", "100%")]
    assert [int(c[0]) for c in cells] == [24, 8, 0, 32]  # of 33 shades, 0 = 0 and 32 = the whole row
    assert cells[1][1] == "true a, predicted b: 1 (25% of the row)"
    assert ".lv-probability-32{" in __import__("lstm_viz.plots.html", fromlist=["stylesheet"]).stylesheet()
    with pytest.raises(ValueError):
        classify.confusion_heatmap([[1, 2]], ["a", "b"])
    assert 'class="cm"' in page  # two names fit side by side; seven are written upwards (1024 px wide)
    assert 'class="cm turned"' in classify.confusion_heatmap(np.eye(7), authors.LABELS)
    empty = classify.confusion_heatmap([[0, 0], [0, 0]], ["a", "b"])  # a class with no held-out text
    assert empty.count("<small>0%</small>") == 4


@pytest.mark.parametrize(("lo", "hi"), [(0, 1), (-2.3, 17.9), (-1e-3, 4e-3), (0, 1999), (-250, -3), (0.1, 0.1000001)])
def test_nice_ticks_are_round_evenly_spaced_and_inside(lo, hi):
    ticks = classify.nice_ticks(lo, hi)
    assert 2 <= len(ticks) <= 11
    assert all(lo - 1e-12 <= t <= hi + 1e-12 for t in ticks)
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0])
    mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
    assert round(mantissa, 6) in (1, 2, 2.5, 5)


def test_the_accuracy_table_is_markdown_with_its_text_escaped():
    table = accuracy_markdown(
        [{"measured on": "all held-out texts", "accuracy": 0.87349}, {"measured on": "a|b *c*", "accuracy": 1}]
    )
    assert table.splitlines() == [
        "| measured on | accuracy |",
        "| --- | ---: |",
        "| all held\\-out texts | 0.873 |",
        "| a\\|b \\*c\\* | 1.000 |",
    ]
