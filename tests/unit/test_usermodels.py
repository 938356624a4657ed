"""User models: every bad upload gets its own message and leaves nothing behind; good ones
install atomically, export as a zip and delete; shipped models can never be deleted.
Also the uploaded-corpus checks the Train page relies on."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from safetensors.torch import save

from lstm_viz.data.upload import decode_corpus, vocabulary
from lstm_viz.engine.tokenizers import CharTokenizer
from lstm_viz.store import checkpoint, usermodels, zoo
from lstm_viz.training import jobs
from lstm_viz.training.runspec import RunSpec
from tests.factory import VOCAB, char_card, model_for, weights


def make_card(**changes) -> dict:
    return char_card(**{"name": "uploaded", "title": "An uploaded model", **changes})


def make_state(card: dict | None = None, seed: int = 0) -> dict[str, torch.Tensor]:
    return weights(model_for(card or make_card(), seed))


def pair(state=None, card=None) -> list[tuple[str, bytes]]:
    state = make_state() if state is None else state
    card = make_card() if card is None else card
    return [("model.safetensors", save(state)), ("card.json", json.dumps(card).encode())]


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def assert_nothing_written(home) -> None:
    """No model folder and no leftover staging files after a refused upload."""
    assert [m.name for m in zoo.list() if not m.shipped] == []
    leftovers = [p for p in home.rglob("*") if p.is_file()] if home.exists() else []
    assert leftovers == []
    if home.exists():
        assert {p.name for p in home.iterdir()} <= {usermodels.STAGING}


def test_a_valid_pair_installs_and_loads_the_same_weights(home):
    state = make_state(seed=3)
    info = usermodels.install(pair(state))
    assert info.name == "uploaded" and info.path == home / "uploaded"
    assert [m.name for m in zoo.list() if not m.shipped] == ["uploaded"]
    model = zoo.load("uploaded")
    for key, value in state.items():
        assert torch.equal(model.module.state_dict()[key], value)
    assert model.card["uploaded"]["files"] == ["model.safetensors", "card.json"]
    assert not any((home / usermodels.STAGING).iterdir())  # staging emptied


def test_export_then_upload_round_trip_under_a_new_name(home):
    usermodels.install(pair(make_state(seed=5)))
    data = usermodels.export_zip("uploaded")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(names) == ["uploaded/card.json", "uploaded/model.safetensors"]
    with pytest.raises(ValueError, match="already exists"):
        usermodels.install([("uploaded.zip", data)])
    usermodels.install([("uploaded.zip", data)], name="copy")
    a, b = zoo.load("uploaded"), zoo.load("copy")
    assert b.card["name"] == "copy"
    for key, value in a.module.state_dict().items():
        assert torch.equal(b.module.state_dict()[key], value)


def test_a_flat_zip_installs(home):
    files = dict(pair())
    usermodels.install(
        [("m.zip", zipped({"model.safetensors": files["model.safetensors"], "card.json": files["card.json"]}))]
    )
    assert zoo.load("uploaded").task == "charlm"


@pytest.mark.parametrize("filename", ["model.pt", "model.pth", "pytorch_model.bin", "weights.pkl", "MODEL.PT"])
def test_pickle_files_are_refused_with_how_to_convert(home, filename):
    buffer = io.BytesIO()
    torch.save(make_state(), buffer)
    with pytest.raises(ValueError) as err:
        usermodels.install([(filename, buffer.getvalue())])
    message = str(err.value)
    assert "pickle" in message and "run arbitrary code" in message
    assert "safetensors.torch.save_file" in message and "README" in message
    assert_nothing_written(home)


def test_a_pickle_inside_a_zip_or_renamed_is_refused(home):
    buffer = io.BytesIO()
    torch.save(make_state(), buffer)
    with pytest.raises(ValueError, match="model.pt is a PyTorch pickle"):
        usermodels.install([("m.zip", zipped({"model.pt": buffer.getvalue(), "card.json": b"{}"}))])
    renamed = [("model.safetensors", buffer.getvalue()), ("card.json", json.dumps(make_card()).encode())]
    with pytest.raises(ValueError, match="looks like a PyTorch pickle"):
        usermodels.install(renamed)
    assert_nothing_written(home)


def test_wrong_shapes_are_refused(home):
    state = make_state(make_card(hidden_size=6))  # weights of a 6-unit model, card says 8
    with pytest.raises(ValueError, match=r"wrong shape for rnn.weight_ih_l0: expected \(32, 4\), got \(24, 4\)"):
        usermodels.install(pair(state))
    assert_nothing_written(home)


def test_wrong_keys_are_refused(home):
    state = make_state()
    state["lstm.weight_ih_l0"] = state.pop("rnn.weight_ih_l0")
    with pytest.raises(ValueError, match=r"missing 1 key: 'rnn.weight_ih_l0'"):
        usermodels.install(pair(state))
    assert_nothing_written(home)


def test_a_vocabulary_mismatch_is_refused(home):
    state = make_state()
    card = make_card(tokenizer=CharTokenizer(VOCAB[:-1]).to_dict())
    with pytest.raises(ValueError, match="vocabulary size mismatch: the card's tokenizer has 9 tokens"):
        usermodels.install(pair(state, card))
    assert_nothing_written(home)


def test_nan_weights_are_refused(home):
    state = make_state()
    state["rnn.weight_hh_l0"][3, 2] = float("nan")
    with pytest.raises(ValueError, match="rnn.weight_hh_l0 contains NaN"):
        usermodels.install(pair(state))
    assert_nothing_written(home)


def test_oversized_uploads_are_refused(home, monkeypatch):
    files = pair()
    monkeypatch.setattr(usermodels, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ValueError, match="the upload is .* MB; the limit is 0 MB"):
        usermodels.install(files)
    monkeypatch.setattr(usermodels, "MAX_UPLOAD_BYTES", 10**9)
    monkeypatch.setattr(checkpoint, "MAX_WEIGHTS_BYTES", 500)
    with pytest.raises(ValueError, match="the weights file is .* MB; the limit is 0 MB"):
        usermodels.install(files)
    assert_nothing_written(home)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(home):
    bomb = zipped({"model.safetensors": bytes(checkpoint.MAX_WEIGHTS_BYTES + 1), "card.json": b"{}"})
    assert len(bomb) < 1_000_000  # tiny on the wire
    with pytest.raises(ValueError, match="model.safetensors in the zip unpacks to 64.0 MB; the limit is 64 MB"):
        usermodels.install([("bomb.zip", bomb)])
    assert_nothing_written(home)


@pytest.mark.parametrize("entry", ["../card.json", "a/../../model.safetensors", "/etc/card.json", "C:/x/card.json"])
def test_a_zip_with_unsafe_paths_is_refused(home, entry):
    files = dict(pair())
    archive = zipped({entry: files["card.json"], "model.safetensors": files["model.safetensors"]})
    with pytest.raises(ValueError, match="unsafe path|nested too deep"):
        usermodels.install([("evil.zip", archive)])
    assert_nothing_written(home)
    assert not (home.parent / "card.json").exists()


@pytest.mark.parametrize(
    ("uploads", "message"),
    [
        ([], "upload a .zip"),
        ([("card.json", b"{}")], "model.safetensors missing"),
        ([("notes.txt", b"hello")], "expected model.safetensors and card.json"),
        ([("m.zip", b"not a zip")], "the zip file cannot be read"),
        ([("m.zip", zipped({"card.json": b"{}", "model.safetensors": b"x", "run.sh": b"rm"}))], "contains 'run.sh'"),
        ([("model.safetensors", b"garbage bytes"), ("card.json", b"{}")], "card.json is missing the field 'name'"),
        ([("model.safetensors", b"garbage bytes"), ("card.json", b"{nope")], "card.json is not valid JSON"),
        ([("model.safetensors", b""), ("card.json", json.dumps(make_card()).encode())], "not a valid safetensors"),
    ],
)
def test_other_bad_uploads_each_get_a_message(home, uploads, message):
    with pytest.raises(ValueError, match=message):
        usermodels.install(uploads)
    assert_nothing_written(home)


def test_bad_names_are_refused_on_install(home):
    for bad in ("../escape", "a b", ".staging"):
        with pytest.raises(ValueError, match="invalid model name"):
            usermodels.install(pair(), name=bad)
    assert_nothing_written(home)


def test_delete_removes_only_user_models(home, tmp_path, monkeypatch):
    shipped_root = tmp_path / "shipped"
    checkpoint.save_dir(model_for(make_card()), make_card(name="ship"), shipped_root / "ship")
    monkeypatch.setattr(zoo, "SHIPPED_DIR", shipped_root)
    usermodels.install(pair())
    with pytest.raises(ValueError, match="'ship' is a shipped model"):
        usermodels.delete("ship")
    for bad in ("..", "../home", "/tmp", "a/b", ""):
        with pytest.raises(ValueError, match="invalid model name"):
            usermodels.delete(bad)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    os.symlink(outside, home / "link")
    with pytest.raises(ValueError, match="no user model called 'link'"):
        usermodels.delete("link")
    with pytest.raises(ValueError, match="no user model called 'ghost'"):
        usermodels.delete("ghost")
    usermodels.delete("uploaded")
    assert not (home / "uploaded").exists()
    assert (shipped_root / "ship" / "card.json").is_file() and (outside / "keep.txt").is_file()
    assert [m.name for m in zoo.list()] == ["ship"]


def test_a_model_being_trained_cannot_be_deleted(home):
    text = "".join(f"line {i} of a tiny corpus for testing.\n" for i in range(800))
    request = RunSpec(
        "busy", corpus_text=text, overrides={"num_layers": 1, "hidden_size": 8, "minutes": 5, "eval_every": 5}
    )
    job = jobs.manager().start("s1", request)
    assert jobs.wait_until(lambda: job.snapshot().saved, timeout=120)
    with pytest.raises(ValueError, match="being trained right now"):
        usermodels.delete("busy")
    job.stop()
    jobs.manager().wait("s1", 60)
    usermodels.delete("busy")
    assert not (home / "busy").exists()


# --- uploaded corpora ---------------------------------------------------------------------


def test_corpus_messages():
    with pytest.raises(ValueError, match="the file is empty"):
        decode_corpus(b"")
    with pytest.raises(ValueError, match="binary file"):
        decode_corpus(bytes(range(256)) * 20)
    with pytest.raises(ValueError, match="binary file"):
        decode_corpus(b"\x01\x02\x03\x04\x05" * 1000)  # control characters without NUL
    with pytest.raises(ValueError, match="at least 200 are needed"):
        decode_corpus(b"too short")


def test_corpus_notices_for_recoded_and_cut_files():
    text = "Café au lait, s'il vous plaît. " * 100
    decoded, notices = decode_corpus(text.encode("cp1252"))
    assert decoded == text and notices == ["the file is not UTF-8; it was read as Windows-1252"]
    decoded, notices = decode_corpus(text.encode("utf-16"))
    assert decoded == text and notices == []
    decoded, notices = decode_corpus(text.encode(), max_chars=2500)
    assert len(decoded) == 2500 and "only the first 2,500 are used" in notices[0]


def test_vocabulary_matches_the_tokenizer_and_counts():
    text = "abba\ncab "
    chars, counts = vocabulary(text)
    assert chars == CharTokenizer.from_corpus(text).vocab
    assert dict(zip(chars, counts, strict=True)) == {"\n": 1, " ": 1, "a": 3, "b": 3, "c": 1}


def _readme_recipe() -> str:
    """The python block under the README's 'Bring your own model' heading, verbatim."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bring your own model", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_recipe_turns_a_plain_nn_lstm_into_an_accepted_upload(home, tmp_path, monkeypatch):
    """The README's 'Bring your own model' code, run as written in a scratch folder."""
    text = "hello world, hello lstm\n" * 10
    torch.save(nn.LSTM(3, 5).state_dict(), tmp_path / "old.pt")  # someone's pickled checkpoint
    monkeypatch.chdir(tmp_path)
    scope = {"text": text}
    exec(compile(_readme_recipe(), "README.md", "exec"), scope)  # noqa: S102 - our own README
    lstm, embedding = scope["lstm"], scope["embedding"]
    torch.load(tmp_path / "old.pt", weights_only=True)  # the safe loader the comment names works
    uploads = [(n, (tmp_path / n).read_bytes()) for n in ("model.safetensors", "card.json")]
    usermodels.install(uploads)
    model = zoo.load("my-lstm")
    ids = torch.tensor([model.encode("hello").ids])
    with torch.no_grad():
        expected, _ = lstm(embedding(ids))
    assert torch.allclose(torch.tensor(model.trace("hello").layers[1].hidden), expected[0], atol=1e-5)
