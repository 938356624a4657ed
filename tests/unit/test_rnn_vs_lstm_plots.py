"""The RNN-versus-LSTM figure builders: pure numpy in, the right data and axes out."""

from __future__ import annotations

import numpy as np

from lstm_viz.plots import comparison


def test_accuracy_vs_gap_draws_each_model_in_gap_order():
    fig = comparison.accuracy_vs_gap({"LSTM": {50: 1.0, 5: 0.9}, "RNN": {5: 0.8, 50: 0.25}}, chance=0.25)
    lstm, rnn = fig.data
    assert list(lstm.x) == ["5", "50"] and list(lstm.y) == [0.9, 1.0] and list(lstm.text) == ["90%", "100%"]
    assert list(rnn.y) == [0.8, 0.25]
    assert lstm.marker.color != rnn.marker.color and fig.layout.barmode == "group"  # bars side by side, never hidden


def test_gradient_vs_distance_runs_back_from_the_query_on_a_log_axis():
    norms = np.array([1e-30, 1e-10, 0.0, 1.0])
    fig = comparison.gradient_vs_distance({"RNN ‖∂L/∂h_t‖": norms, "LSTM ‖∂L/∂c_t‖": norms})
    line, cell = fig.data
    assert line.name == "RNN ‖∂L/∂h_t‖" and cell.line.dash == "dot" and line.line.dash == "solid"
    assert list(line.x) == [3, 2, 1, 0]  # step 0 is farthest from the query
    assert line.y[2] > 0  # an exact zero is drawn at the floor of the log axis
    assert fig.layout.yaxis.type == "log"


def test_formula_vs_measured_and_forget_products():
    fig = comparison.formula_vs_measured(np.array([1e-3, 1e-2, 1.0]), np.array([1e-3, 1e-2, 1.0]))
    assert [t.name for t in fig.data] == ["measured (autograd)", "formula ∏ Vᵀ diag(1 − h²) · e"]
    products = np.array([[0.5, 0.1], [0.9, 0.5], [1.0, 1.0]])
    fig = comparison.forget_product_lines(products, [1], ["A", "3", "?"])
    assert list(fig.data[0].y) == [0.1, 0.5, 1.0] and fig.data[0].name == "unit 1"


def test_counter_vs_depth_and_loss_race():
    depth = np.array([0, 1, 2, 1, 0])
    fig = comparison.counter_vs_depth(-depth * 0.5, depth, list("((a))"), unit=3, r=-0.99)
    assert list(fig.data[0].y) == list(depth) and fig.data[0].yaxis == "y2"
    assert "unit 3" in fig.layout.title.text and "-0.990" in fig.layout.title.text
    assert list(fig.data[1].y) == list(depth * 0.5)  # a downward counter is drawn as -c: it rises with the depth
    assert fig.layout.yaxis.title.text == "−c[3]" and fig.layout.yaxis2.autorange is None
    rising = comparison.counter_vs_depth(depth * 0.5, depth, list("((a))"), unit=3, r=0.99)
    assert list(rising.data[1].y) == list(depth * 0.5) and rising.layout.yaxis.title.text == "c[3]"
    curves = comparison.training_progress({"LSTM": ([100, 200], [0.3, 1.0]), "GRU": ([100, 200], [0.25, 0.9])}, 0.25)
    assert [t.name for t in curves.data] == ["LSTM", "GRU"] and list(curves.data[1].y) == [0.25, 0.9]
    assert curves.data[0].line.color != curves.data[1].line.color
    fig = comparison.loss_race(
        {"new LSTM": ([10, 20], [1.3, 0.2]), "new RNN": ([10, 20], [1.4, 1.39])}, chance_loss=1.386
    )
    assert [t.name for t in fig.data] == ["new LSTM", "new RNN"]
