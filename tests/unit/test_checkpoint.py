"""Checkpoints: save/load round trip, one test per malformed file, the zoo's names and listing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save, save_file

from lstm_viz.engine.network import SequenceModel
from lstm_viz.store import checkpoint, zoo
from tests.factory import VOCAB, char_card, model_for


def make_card(**changes) -> dict:
    """The tiny character model's card (2 layers of 8 units over VOCAB, named "tiny"), with ``changes``."""
    defaults = {"title": "Tiny test model", "labels": None, "num_layers": 2, "metrics": {"val_loss": 2.0}}
    return char_card(**{**defaults, **changes})


def make_model(card: dict | None = None, seed: int = 0) -> SequenceModel:
    return model_for(card or make_card(), seed)


def write(path: Path, state: dict | bytes | None = None, card: dict | str | bytes | None = None) -> Path:
    """A model folder with the given weights (state_dict or raw bytes) and card."""
    path.mkdir(parents=True, exist_ok=True)
    state = make_model().state_dict() if state is None else state
    card = make_card() if card is None else card
    weights = state if isinstance(state, bytes) else save({k: v.contiguous() for k, v in state.items()})
    (path / "model.safetensors").write_bytes(weights)
    card_bytes = card if isinstance(card, bytes) else (card if isinstance(card, str) else json.dumps(card)).encode()
    (path / "card.json").write_bytes(card_bytes)
    return path


def refused(path: Path, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        checkpoint.load_dir(path)


# --- round trip ---------------------------------------------------------------------------


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    model = make_model(seed=3)
    card = make_card()
    checkpoint.save_dir(model, card, tmp_path / "tiny")
    loaded, card_back = checkpoint.load_dir(tmp_path / "tiny")
    weights = (tmp_path / "tiny" / "model.safetensors").read_bytes()
    assert card_back == {**card, "weights_sha256": hashlib.sha256(weights).hexdigest()}  # the card names its weights
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    assert loaded.state_dict().keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    ids = torch.randint(0, len(VOCAB), (2, 17))
    with torch.no_grad():
        assert torch.equal(model(ids)[0], loaded(ids)[0])
    via_zoo = zoo.load_path(tmp_path / "tiny")
    tr = via_zoo.trace("abc def")
    assert tr.tokens == list("abc def") and tr.probs.shape == (7, len(VOCAB))
    assert via_zoo.labels == VOCAB and via_zoo.task == "charlm" and via_zoo.name == "tiny"


def test_round_trip_rnn_classifier_with_word_tokenizer(tmp_path):
    card = make_card(
        task="classify",
        cell="rnn",
        labels=["negative", "positive"],
        tokenizer={"kind": "word", "vocab": ["<pad>", "<unk>", "good", "bad"], "unknown": "<unk>"},
        num_layers=1,
    )
    model = make_model(card, seed=4)
    checkpoint.save_dir(model, card, tmp_path / "clf")
    loaded = zoo.load_path(tmp_path / "clf")
    assert loaded.labels == ["negative", "positive"] and loaded.task == "classify"
    tr = loaded.trace("good bad ugly")
    assert [u.piece for u in tr.unknown] == ["ugly"]
    with torch.no_grad():
        expected = torch.softmax(model(torch.tensor([[2, 3, 1]]))[0][0], -1).numpy()
    np.testing.assert_allclose(tr.probs, expected, atol=1e-6)


def test_plain_pytorch_state_dict_in_half_precision_loads(tmp_path):
    """Users can bring a model saved with safetensors.torch.save_file from plain PyTorch modules."""
    model = make_model(seed=5)
    state = {k: v.half() for k, v in model.state_dict().items()}
    (tmp_path / "m").mkdir()
    save_file(state, tmp_path / "m" / "model.safetensors")
    (tmp_path / "m" / "card.json").write_text(json.dumps(make_card()))
    loaded, _ = checkpoint.load_dir(tmp_path / "m")
    assert loaded.embedding.weight.dtype == torch.float32
    assert torch.equal(loaded.head.weight, state["head.weight"].float())


def test_atomic_save_leaves_no_temp_files_and_survives_a_failed_write(tmp_path, monkeypatch):
    target = tmp_path / "tiny"
    checkpoint.save_dir(make_model(seed=1), make_card(), target)
    checkpoint.save_dir(make_model(seed=2), make_card(), target)  # overwrite in place
    assert sorted(p.name for p in target.iterdir()) == ["card.json", "model.safetensors"]
    assert oct((target / "model.safetensors").stat().st_mode & 0o777) == oct(0o644)
    before = (target / "model.safetensors").read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save_dir(make_model(seed=3), make_card(), target)
    monkeypatch.undo()
    assert sorted(p.name for p in target.iterdir()) == ["card.json", "model.safetensors"]
    assert (target / "model.safetensors").read_bytes() == before  # the last good checkpoint is intact
    checkpoint.load_dir(target)


def test_save_refuses_a_card_it_could_not_read_back(tmp_path):
    with pytest.raises(ValueError, match="missing the field 'cell'"):
        checkpoint.save_dir(make_model(), {k: v for k, v in make_card().items() if k != "cell"}, tmp_path / "x")
    assert not (tmp_path / "x" / "model.safetensors").exists()


def test_non_finite_metrics_are_stored_as_null(tmp_path):
    checkpoint.save_dir(make_model(), make_card(metrics={"val_loss": float("nan")}), tmp_path / "m")
    assert json.loads((tmp_path / "m" / "card.json").read_text())["metrics"]["val_loss"] is None


# --- malformed weights --------------------------------------------------------------------


def state_with(**changes) -> dict:
    state = dict(make_model().state_dict())
    for key, value in changes.items():
        if value is None:
            state.pop(key)
        else:
            state[key] = value
    return state


def test_missing_key(tmp_path):
    refused(write(tmp_path, state_with(**{"rnn.bias_hh_l1": None})), r"missing 1 key: 'rnn.bias_hh_l1'")


def test_extra_key(tmp_path):
    refused(
        write(tmp_path, state_with(**{"rnn.weight_ih_l2": torch.zeros(32, 8)})),
        r"1 unexpected key: 'rnn.weight_ih_l2'",
    )


def test_old_style_lstm_naming_is_named_in_the_error(tmp_path):
    state = {k.replace("rnn.", "lstm."): v for k, v in make_model().state_dict().items()}
    refused(write(tmp_path, state), "missing 8 keys, the first 5: 'rnn.weight_ih_l0'.*nn.LSTM / nn.RNN naming")


def test_wrong_shape(tmp_path):
    refused(
        write(tmp_path, state_with(**{"rnn.weight_hh_l0": torch.zeros(32, 7)})),
        r"wrong shape for rnn.weight_hh_l0: expected \(32, 8\), got \(32, 7\)",
    )


def test_scalar_embedding_is_a_shape_error_not_a_crash(tmp_path):
    refused(write(tmp_path, state_with(**{"embedding.weight": torch.tensor(1.0)})), "wrong shape for embedding.weight")


def test_vocabulary_size_not_matching_embedding(tmp_path):
    refused(
        write(tmp_path, state_with(**{"embedding.weight": torch.zeros(12, 4)})),
        "vocabulary size mismatch: the card's tokenizer has 10 tokens but embedding.weight has 12 rows",
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_weights(tmp_path, bad):
    weight = make_model().state_dict()["rnn.weight_ih_l1"].clone()
    weight[3, 2] = bad
    refused(write(tmp_path, state_with(**{"rnn.weight_ih_l1": weight})), "rnn.weight_ih_l1 contains NaN or infinite")


def test_integer_weights(tmp_path):
    refused(
        write(tmp_path, state_with(**{"head.bias": torch.zeros(10, dtype=torch.int32)})), "head.bias must hold floating"
    )


def test_weights_file_that_is_not_safetensors(tmp_path):
    refused(write(tmp_path, b"hello, I am a text file and not a tensor archive"), "not a valid safetensors file")
    refused(write(tmp_path / "short", b"\x01\x02"), "not a valid safetensors file")
    refused(write(tmp_path / "empty", b""), "not a valid safetensors file")


def test_torch_save_pickle_is_refused_with_the_pickle_message(tmp_path):
    buffer = io.BytesIO()
    torch.save(make_model().state_dict(), buffer)  # the default zip container
    assert zipfile.is_zipfile(io.BytesIO(buffer.getvalue()))
    refused(write(tmp_path, buffer.getvalue()), "looks like a PyTorch pickle .* can run code")
    legacy = io.BytesIO()
    torch.save(make_model().state_dict(), legacy, _use_new_zipfile_serialization=False)
    refused(write(tmp_path / "legacy", legacy.getvalue()), "looks like a PyTorch pickle")


def test_oversized_file(tmp_path, monkeypatch):
    path = write(tmp_path)
    monkeypatch.setattr(checkpoint, "MAX_WEIGHTS_BYTES", 1024)
    refused(path, r"the weights file is 0\.0 MB; the limit is 0 MB")
    with pytest.raises(ValueError, match="the limit is"):
        checkpoint.read_weights(b"\0" * 2048)


def test_missing_files(tmp_path):
    write(tmp_path / "a").joinpath("model.safetensors").unlink()
    refused(tmp_path / "a", "has no model.safetensors")
    write(tmp_path / "b").joinpath("card.json").unlink()
    refused(tmp_path / "b", "has no card.json")


# --- malformed cards ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "task", "cell", "tokenizer", "embed_dim", "hidden_size", "num_layers"])
def test_missing_card_field(tmp_path, field):
    card = {k: v for k, v in make_card().items() if k != field}
    refused(write(tmp_path, card=card), f"card.json is missing the field '{field}'")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"hidden_size": "8"}, "card.json: hidden_size must be a whole number from 1 to 4,096, got '8'"),
        ({"num_layers": True}, "card.json: num_layers must be a whole number from 1 to 8, got True"),
        ({"embed_dim": 4.0}, "card.json: embed_dim must be a whole number from 1 to 4,096, got 4.0"),
        ({"name": 7}, "card.json: name must be a string of at most 200 characters, got 7"),
        ({"tokenizer": ["a", "b"]}, "card.json: tokenizer must be an object with 'kind' and 'vocab', got"),
        ({"task": "regression"}, "card.json: task must be one of 'charlm', 'classify', 'sequence', got 'regression'"),
        ({"cell": "lstm2"}, "card.json: cell must be one of 'lstm', 'rnn'"),
        ({"tokenizer": {"kind": "bpe", "vocab": VOCAB}}, "card.json: tokenizer.kind must be 'char' or 'word'"),
        ({"tokenizer": {"kind": "char", "vocab": "abc"}}, "card.json: tokenizer.vocab must be a list of single char"),
        ({"tokenizer": {"kind": "char", "vocab": ["a", "bc"]}}, r"tokenizer.vocab\[1\] must be a single character"),
        ({"tokenizer": {"kind": "word", "vocab": ["a", "b"]}}, "must contain the unknown token"),
        ({"num_layers": 0}, "card.json: num_layers must be a whole number from 1 to 8, got 0"),
        ({"task": "classify"}, "card.json: labels must list 2 to 1,000 class names"),
        ({"task": "classify", "labels": ["only"]}, "card.json: labels must list 2 to 1,000"),
    ],
)
def test_malformed_card_field(tmp_path, changes, message):
    refused(write(tmp_path, card=make_card(**changes)), message)


@pytest.mark.parametrize("text", ["{not json", "\xff\xfe garbage", ""])
def test_card_not_json(tmp_path, text):
    refused(write(tmp_path, card=text.encode("latin-1")), "card.json is not valid JSON")


def test_card_json_but_not_an_object(tmp_path):
    refused(write(tmp_path, card="[1, 2, 3]"), "card.json must hold a JSON object")


# --- the zoo ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["no-such-model", "shakespeare-char-typo"])
def test_zoo_load_unknown_name(name, tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=f"no model named '{name}'; available: "):
        zoo.load(name)


@pytest.mark.parametrize("name", ["../etc/passwd", "", " spaced", "a" * 65, ".hidden", None, 3])
def test_zoo_load_invalid_name(name):
    with pytest.raises(ValueError, match="invalid model name"):
        zoo.load(name)


def test_zoo_list_shows_user_models_from_lstm_viz_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_HOME", str(tmp_path))
    checkpoint.save_dir(make_model(seed=8), make_card(name="mine"), tmp_path / "mine")
    write(tmp_path / "broken-card", card="{oops")  # unreadable card: skipped, not a crash
    (tmp_path / "no-weights").mkdir()
    (tmp_path / "no-weights" / "card.json").write_text(json.dumps(make_card()))
    (tmp_path / "stray-file.txt").write_text("not a model")
    infos = {info.name: info for info in zoo.list()}
    assert "mine" in infos and not infos["mine"].shipped
    assert infos["mine"].path == tmp_path / "mine" and infos["mine"].title == "Tiny test model"
    assert "broken-card" not in infos and "no-weights" not in infos and "stray-file.txt" not in infos
    assert all(info.shipped for name, info in infos.items() if name != "mine")
    assert zoo.user_dir() == tmp_path
    loaded = zoo.load("mine")
    assert loaded.path == tmp_path / "mine" and loaded.name == "mine"
    with pytest.raises(ValueError, match="card.json is not valid JSON"):
        zoo.load("broken-card")  # named explicitly: the error says why


def test_the_command_line_loads_a_model_folder_by_path_and_zoo_load_does_not(tmp_path):
    checkpoint.save_dir(make_model(seed=9), make_card(name="folder"), tmp_path / "folder")
    loaded = zoo.load_name_or_folder(str(tmp_path / "folder"))
    assert loaded.name == "folder" and loaded.card["name"] == "folder"
    with pytest.raises(ValueError, match="invalid model name"):  # a page, link or lesson names a listed model only
        zoo.load(str(tmp_path / "folder"))


def test_loaded_model_trace_max_tokens(tmp_path):
    checkpoint.save_dir(make_model(seed=10), make_card(), tmp_path / "m")
    loaded = zoo.load_path(tmp_path / "m")
    assert loaded.trace("abcdef", max_tokens=4).tokens == list("abcd")
    assert len(loaded.trace("abc", max_tokens=99)) == 3
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_tokens must be at least 1"):
            loaded.trace("abcdef", max_tokens=bad)
    with pytest.raises(ValueError, match="no tokens to trace"):
        loaded.trace("")
