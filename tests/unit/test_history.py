"""Gates over training: the checkpoints a run keeps, held to the weights they claim to be, and loaded as the model is.

References: step 0 is the untrained model (a fresh SequenceModel from the same seed); the kept
step 10 of a long run is the final model of a 10-step run (both runs take the same 10 updates
while the learning rate warms up, whatever their length). The float16 copies must match those
float32 weights to float16's rounding, and so must the gates they trace.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from lstm_viz.data.corpus import CharCorpus
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.store import checkpoint, history, zoo
from lstm_viz.training.train import TrainConfig, seed_everything, train

HALF = 2**-11  # float16's relative rounding


@pytest.fixture(scope="module")
def data() -> CharCorpus:
    return CharCorpus.shakespeare(seq_len=32)


def config(data) -> ModelConfig:
    return ModelConfig(vocab_size=len(data.tokenizer), num_outputs=data.num_outputs, embed_dim=8, hidden_size=16,
                       num_layers=1)  # fmt: skip


def fit(data, out, steps: int, **changes) -> dict:
    cfg = TrainConfig(
        steps=steps, batch_size=8, lr=1e-2, warmup_steps=10, eval_every=20, sample_chars=0, threads=1, **changes
    )
    return train(data, config(data), cfg, out, log=lambda *a: None)


@pytest.fixture(scope="module")
def long_run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "long"
    fit(data, out, steps=40)
    return zoo.load_path(out)


def test_the_grid_is_log_spaced_from_the_untrained_model():
    assert history.grid(3500) == [0, 10, 30, 100, 300, 1000, 3000]
    assert history.grid(9) == [0]


def test_a_run_keeps_the_grid_steps_and_lists_them_with_their_loss(long_run, data):
    kept = history.checkpoints(long_run)
    assert [c.training_step for c in kept] == [0, 10, 30, 40]
    assert [c.path.name for c in kept] == [*(f"step-{s:06d}.safetensors" for s in (0, 10, 30)), "model.safetensors"]
    assert abs(kept[0].val_loss - math.log(65)) < 0.15  # untrained: about uniform over 65 characters
    assert kept[-1].val_loss == long_run.card["metrics"]["val_loss"]
    fresh = data.evaluate(history.load(long_run, 10).module, torch.device("cpu"), full=True)["val_loss"]
    assert abs(fresh - kept[1].val_loss) < 1e-3  # the final kind of evaluation, of these weights (float16 aside)
    assert all(isinstance(c.val_loss, float) for c in kept)
    files = sorted(p.name for p in (long_run.path / "history").iterdir())
    assert files == [c.path.name for c in kept[:-1]]  # no temp files, nothing else
    assert [e["step"] for e in long_run.card["checkpoints"]] == [0, 10, 30]


def test_step_0_is_the_untrained_model(long_run, data):
    seed_everything(1337)
    reference = SequenceModel(config(data)).state_dict()
    loaded = history.load(long_run, 0).module.state_dict()
    for key, value in reference.items():
        torch.testing.assert_close(loaded[key], value, rtol=HALF, atol=1e-6)


def test_step_10_is_the_model_of_a_10_step_run_and_traces_like_it(long_run, data, tmp_path):
    fit(data, tmp_path / "short", steps=10)
    reference = zoo.load_path(tmp_path / "short")
    at_10 = history.load(long_run, 10)
    for key, value in reference.module.state_dict().items():
        torch.testing.assert_close(at_10.module.state_dict()[key], value, rtol=HALF, atol=1e-6)
    text = "To be, or not to be, that is the question"
    ours, theirs = at_10.trace(text).layers[0], reference.trace(text).layers[0]
    for name, values in theirs.quantities().items():
        np.testing.assert_allclose(ours.quantities()[name], values, atol=2e-3, err_msg=name)
    assert at_10.tokenizer is long_run.tokenizer and at_10.card is long_run.card and at_10.name == long_run.name


def test_the_final_step_is_the_model_itself(long_run):
    assert history.load(long_run, 40) is long_run


def test_a_step_not_kept_is_refused_with_the_kept_ones(long_run):
    with pytest.raises(ValueError, match="no checkpoint at step 20; kept steps: 0, 10, 30, 40"):
        history.load(long_run, 20)


def test_the_count_is_bounded_and_spread_over_the_run_on_a_log_scale(tmp_path):
    keeper = history.HistoryWriter(tmp_path, limit=8, total_steps=None, log=lambda *a: None)
    model = SequenceModel(ModelConfig(vocab_size=3, num_outputs=3, embed_dim=2, hidden_size=2, num_layers=1))
    for step in range(100_001):
        if keeper.due(step):
            keeper.save(step, model, None)
            keeper.prune()  # as each card written does
    steps = [e["step"] for e in keeper.entries]
    assert steps == [0, 10, 100, 1000, 10000, 30000, 100000]  # and the final weights make 8
    assert sorted(p.name for p in (tmp_path / "history").iterdir()) == [history.file_name(s) for s in steps]


def test_no_history_when_none_is_asked_for(data, tmp_path):
    fit(data, tmp_path / "none", steps=12, checkpoints=0)
    model = zoo.load_path(tmp_path / "none")
    assert history.checkpoints(model) == [] and not (tmp_path / "none" / "history").exists()
    assert model.card["checkpoints"] == []


def test_training_again_in_place_replaces_the_history(data, tmp_path):
    out = tmp_path / "again"
    fit(data, out, steps=40)
    fit(data, out, steps=25)
    model = zoo.load_path(out)
    assert [c.training_step for c in history.checkpoints(model)] == [0, 10, 25]
    assert sorted(p.name for p in (out / "history").iterdir()) == ["step-000000.safetensors", "step-000010.safetensors"]


@pytest.fixture
def copy(long_run, tmp_path):
    """A copy of the long run's folder, to damage."""
    target = tmp_path / "copy"
    (target / "history").mkdir(parents=True)
    for path in [long_run.path / checkpoint.WEIGHTS, long_run.path / checkpoint.CARD, *long_run.path.glob("history/*")]:
        (target / path.relative_to(long_run.path)).write_bytes(path.read_bytes())
    return target


def test_a_changed_checkpoint_is_refused(copy):
    path = copy / "history" / "step-000010.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"history/step-000010.safetensors is not the checkpoint card.json names"):
        history.load(zoo.load_path(copy), 10)


def test_a_checkpoint_is_checked_like_the_model_weights(copy, long_run):
    """A pickle, or weights of another shape, refused by the checks of checkpoint.py, sha256 aside."""
    card = json.loads((copy / checkpoint.CARD).read_text())
    path = copy / "history" / "step-000010.safetensors"
    for data, message in ((b"\x80\x04pickled", "PyTorch pickle"), (b"{}" * 10, "not a valid safetensors file")):
        path.write_bytes(data)
        card["checkpoints"][1]["sha256"] = checkpoint.weights_sha256(data)
        (copy / checkpoint.CARD).write_text(json.dumps(card))
        with pytest.raises(ValueError, match=message):
            history.load(zoo.load_path(copy), 10)


@pytest.mark.parametrize(
    "checkpoints, message",
    [
        ("all", "checkpoints must be a list"),
        ([{"step": 40, "sha256": "0" * 64}], r"checkpoints\[0\].step must be a whole number from 0 to 39"),
        ([{"step": -1, "sha256": "0" * 64}], r"checkpoints\[0\].step must be"),
        ([{"step": 1, "sha256": "../../x"}], r"checkpoints\[0\].sha256 must be 64 lowercase hex digits"),
        ([{"step": 1, "sha256": "0" * 64, "val_loss": "low"}], r"checkpoints\[0\].val_loss must be a number"),
    ],
)
def test_a_malformed_list_is_refused_naming_the_field(copy, checkpoints, message):
    card = json.loads((copy / checkpoint.CARD).read_text())
    card["checkpoints"] = checkpoints
    (copy / checkpoint.CARD).write_text(json.dumps(card))
    with pytest.raises(ValueError, match=message):
        history.checkpoints(zoo.load_path(copy))


def test_a_model_without_its_history_files_has_nothing_to_scrub(copy):
    for path in (copy / "history").iterdir():
        path.unlink()
    assert history.checkpoints(zoo.load_path(copy)) == []


def test_shipped_memory_models_carry_their_history():
    for name in ("memory-lstm", "memory-rnn"):
        model = zoo.load(name)
        kept = history.checkpoints(model)
        assert [c.training_step for c in kept] == [0, 10, 30, 100, 300, 1000, 2000], name
        for c in kept:
            assert history.load(model, c.training_step).trace("A0123?").layers[0].hidden.shape == (6, 48)
