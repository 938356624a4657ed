"""Synthetic tasks (lstm_viz.data.tasks): the generators produce what they claim, for many seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_viz.data.tasks import EVAL_GAPS, BracketsTask, MemoryTask, accuracy_by_gap, bracket_depths
from lstm_viz.engine.network import ModelConfig, SequenceModel

MEMORY = MemoryTask(gap_range=(1, 100))
BRACKETS = BracketsTask(max_depth=6, length=64)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), batch=st.integers(1, 16))
def test_memory_batch_answer_is_the_first_symbol(seed, batch):
    ids, targets = MEMORY.batch(batch, np.random.default_rng(seed))
    assert ids.shape == targets.shape and ids.dtype == torch.long
    for row_ids, row_targets in zip(ids.tolist(), targets.tolist(), strict=True):
        text = MEMORY.tokenizer.decode(row_ids)
        scored = [t for t, y in enumerate(row_targets) if y != -100]
        assert len(scored) == 1, "exactly one query per string"
        query = scored[0]
        assert text[query] == "?" and "?" not in text[:query]
        gap = query - 1
        assert 1 <= gap <= 100
        assert MEMORY.labels[row_targets[query]] == text[0]
        assert MEMORY.answer(text[: query + 1]) == text[0]
        assert set(text[1:query]) <= set(MEMORY.distractors)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), gap=st.integers(0, 150))
def test_memory_example_has_the_asked_gap(seed, gap):
    text, answer = MemoryTask().example(gap, seed=seed)
    assert len(text) == gap + 2 and text[-1] == "?" and answer == text[0]


def test_memory_gaps_cover_the_range_and_answers_are_balanced():
    rng = np.random.default_rng(0)
    ids, targets = MEMORY.batch(4000, rng)
    query = (targets != -100).int().argmax(dim=1)
    assert int(query.min()) - 1 == 1 and int(query.max()) - 1 == 100
    answers = targets[targets != -100]
    counts = np.bincount(answers.numpy(), minlength=4) / len(answers)
    assert np.all(np.abs(counts - 0.25) < 0.03)
    log_task = MemoryTask(gap_range=(1, 100), log_gaps=True)
    gaps = log_task.draw_gaps(20000, rng)
    assert gaps.min() >= 1 and gaps.max() <= 100 and np.mean(gaps <= 10) > 0.4


def test_memory_answer_rejects_strings_of_other_shapes():
    assert MEMORY.answer("C4821?") == "C"
    assert MEMORY.answer("A?") == "A"
    for bad in ("", "?", "C", "C12", "x12?", "CAB?", "C1?2?", "C1é?"):
        assert MEMORY.answer(bad) is None


def test_memory_rejects_bad_gap_range():
    with pytest.raises(ValueError, match="gap_range"):
        MemoryTask(gap_range=(5, 2))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_brackets_label_is_the_depth(seed):
    ids, depths = BRACKETS.batch(8, np.random.default_rng(seed))
    for row_ids, row_depths in zip(ids.tolist(), depths.tolist(), strict=True):
        text = BRACKETS.tokenizer.decode(row_ids)
        assert bracket_depths(text) == row_depths
        assert min(row_depths) >= 0 and max(row_depths) <= BRACKETS.max_depth
        # never closes a bracket that is not open
        assert all(
            not (c == ")" and d == 0 and (t == 0 or row_depths[t - 1] == 0))
            for t, (c, d) in enumerate(zip(text, row_depths, strict=True))
        )


def test_bracket_depths_by_hand():
    assert bracket_depths("a(b(c)d)") == [0, 1, 1, 2, 2, 1, 1, 0]
    assert bracket_depths("") == []
    assert bracket_depths("))(") == [0, 0, 1]


def test_brackets_reach_every_depth_and_labels_match():
    ids, depths = BRACKETS.batch(500, np.random.default_rng(1))
    assert set(depths.unique().tolist()) == set(range(BRACKETS.max_depth + 1))
    assert BRACKETS.labels == [f"depth {d}" for d in range(7)] and BRACKETS.num_outputs == 7


def test_same_seed_same_data():
    a = MEMORY.batch(5, np.random.default_rng(42))
    b = MEMORY.batch(5, np.random.default_rng(42))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


class Oracle(torch.nn.Module):
    """A 'model' that answers the memory task perfectly (or always 'A'): checks the evaluation."""

    def __init__(self, task: MemoryTask, cheat: bool):
        super().__init__()
        self.task, self.cheat = task, cheat
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, ids):
        logits = torch.zeros(*ids.shape, 4)
        if self.cheat:
            logits[:, :, :] = torch.nn.functional.one_hot(ids[:, :1].clamp(max=3), 4).float() * 10
        else:
            logits[:, :, 0] = 10.0
        return logits, None


def test_memory_evaluate_scores_an_oracle_and_a_constant():
    perfect = MEMORY.evaluate(Oracle(MEMORY, cheat=True), torch.device("cpu"), full=False)
    assert perfect["val_accuracy"] == 1.0 and set(perfect["accuracy_by_gap"]) == {str(g) for g in EVAL_GAPS}
    assert all(v == 1.0 for v in perfect["accuracy_by_gap"].values())
    constant = MEMORY.evaluate(Oracle(MEMORY, cheat=False), torch.device("cpu"), full=False)
    assert 0.18 < constant["val_accuracy"] < 0.32
    fresh = accuracy_by_gap(Oracle(MEMORY, cheat=True), MEMORY, gaps=(3, 7), per_gap=50)
    assert fresh == {3: 1.0, 7: 1.0}


def test_evaluate_leaves_a_training_model_in_training_mode():
    cfg = ModelConfig(
        vocab_size=len(BRACKETS.tokenizer), num_outputs=7, task="sequence", embed_dim=4, hidden_size=8, num_layers=1
    )
    model = SequenceModel(cfg)
    model.train()
    metrics = BRACKETS.evaluate(model, torch.device("cpu"), full=False)
    assert model.training and metrics["val_loss"] > 0 and 0 <= metrics["val_accuracy"] <= 1
    assert set(metrics["accuracy_by_depth"]) <= {str(d) for d in range(7)}
