"""The training section of lstm_viz/plots.py: pure builders, checked on their data."""

import numpy as np

from lstm_viz.data.upload import vocabulary
from lstm_viz.plots import training


def test_training_curves_carry_both_losses():
    fig = training.training_curves([1, 10, 20], [4.2, 3.1, 2.5], [10, 20], [3.3, 2.7], unit="nats per character")
    train, held_out = fig.data
    assert list(train.x) == [1, 10, 20] and np.allclose(train.y, [4.2, 3.1, 2.5])
    assert list(held_out.x) == [10, 20] and np.allclose(held_out.y, [3.3, 2.7])
    assert held_out.name == "held-out loss" and "nats per character" in fig.layout.yaxis.title.text
    assert fig.layout.uirevision == "training"  # zoom survives the polling redraws


def test_vocabulary_bars_most_frequent_first_with_visible_whitespace():
    chars, counts = vocabulary("aaa bb\n\nc")
    fig = training.vocabulary_bars(chars, counts)
    (bars,) = fig.data
    assert list(bars.y) == [3, 2, 2, 1, 1]
    assert list(bars.customdata) == ["a", "↵", "b", "␣", "c"]
    assert training.vocabulary_text(chars) == "↵␣abc"
    assert len(training.vocabulary_bars(chars, counts, top=2).data[0].y) == 2
