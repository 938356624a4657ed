"""Hostile input and faults: every refusal is a ValueError with a short message naming the field,
and no crash or failed write leaves a half-written model.

Classes covered: hostile card.json (deep nesting, huge integers, huge sizes, lone surrogates,
duplicate or non-string tokens); messages built from user data (bounded, a count and the
first few); corpus encodings (UTF-16 without a byte-order mark); names that do not survive a
zip on Windows; a server killed (SIGKILL) or a disk that refuses a write in the middle of a save.
Random cards and random bytes go into every parser through Hypothesis.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save

from lstm_viz.analysis import features
from lstm_viz.data.upload import decode_corpus
from lstm_viz.engine.network import SequenceModel
from lstm_viz.engine.tokenizers import CharTokenizer, WordTokenizer, tokenizer_from_dict
from lstm_viz.store import checkpoint, usermodels, zoo
from tests.factory import VOCAB, assert_consistent, char_card, model_for, weights

ROOT = Path(__file__).resolve().parents[2]
MAX_MESSAGE = 600  # characters: every message about user data stays readable
HYPOTHESIS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_card(**changes) -> dict:
    return char_card(**{"name": "hostile", **changes})


def make_model(card: dict | None = None, seed: int = 0) -> SequenceModel:
    return model_for(card or make_card(), seed)


def pair(card_data: bytes | None = None) -> list[tuple[str, bytes]]:
    """The tiny model's weights with this card (the tiny card by default), as uploaded files."""
    card_data = json.dumps(make_card()).encode() if card_data is None else card_data
    return [("model.safetensors", save(weights(make_model()))), ("card.json", card_data)]


def card_with(field: str, raw: str) -> bytes:
    """The tiny card's JSON with ``field`` set to the raw JSON text ``raw`` (which json.dumps could not make)."""
    text = json.dumps({**make_card(), field: "PLACEHOLDER"})
    return text.replace('"PLACEHOLDER"', raw).encode()


def refused(card_data: bytes, match: str) -> str:
    """Install the tiny weights with this card: a ValueError matching ``match``, short, nothing written."""
    with pytest.raises(ValueError, match=match) as err:
        usermodels.install(pair(card_data))
    assert len(str(err.value)) <= MAX_MESSAGE, len(str(err.value))
    assert [m.name for m in zoo.list() if not m.shipped] == []
    return str(err.value)


def bounded_value_error(call) -> None:
    """``call()`` either returns or raises a ValueError with a short message, nothing else."""
    try:
        call()
    except ValueError as err:
        assert len(str(err)) <= MAX_MESSAGE, str(err)[:200]
        str(err).encode("utf-8")  # the message itself is text a page can send


# --- hostile card.json ---------------------------------------------------------------------


@pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"a":', "}")])
def test_a_card_nested_100000_levels_is_refused_without_a_traceback(home, opener, closer):
    deep = opener * 100_000 + "1" + closer * 100_000
    refused(card_with("metrics", deep), r"card.json nests arrays or objects 100,00[01] levels deep; the limit")


def test_brackets_inside_strings_do_not_count_as_nesting():
    card = checkpoint.parse_card(json.dumps({**make_card(), "description": "[" * 50_000 + '\\"{' * 100}))
    assert card["description"].startswith("[[[")


def test_an_integer_of_thousands_of_digits_names_the_field(home):
    refused(
        card_with("hidden_size", "9" * 5000),
        "card.json: hidden_size is a whole number of 5,000 digits; at most 20",
    )
    nested = card_with("metrics", '{"val_loss": [1, -' + "7" * 6000 + "]}")
    refused(nested, r"card.json: metrics.val_loss\[1\] is a whole number of 6,000 digits")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("hidden_size", 3_000_000, "card.json: hidden_size must be a whole number from 1 to 4,096, got 3000000"),
        ("num_layers", 200_000, "card.json: num_layers must be a whole number from 1 to 8, got 200000"),
        ("embed_dim", 10**9, "card.json: embed_dim must be a whole number from 1 to 4,096, got 1000000000"),
        ("num_layers", 9, "card.json: num_layers must be a whole number from 1 to 8, got 9"),
        ("hidden_size", -1, "card.json: hidden_size must be a whole number from 1 to 4,096, got -1"),
    ],
)
def test_sizes_in_the_millions_are_refused_before_anything_is_allocated(home, monkeypatch, field, value, message):
    def never(*args, **kwargs):
        raise AssertionError("a model was built from a card that was not checked")

    monkeypatch.setattr(checkpoint, "SequenceModel", never)
    tracemalloc.start()
    try:
        refused(json.dumps(make_card(**{field: value})).encode(), message)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB allocated before the card was refused"


def test_the_parameter_count_the_fields_imply_is_checked_before_allocation():
    with pytest.raises(
        ValueError, match=r"card.json describes a model of [\d,]+ parameters .* the limit is 16,777,216"
    ):
        checkpoint.config_from_card(make_card(hidden_size=4096, num_layers=8, embed_dim=4096))
    assert checkpoint.parameter_count(checkpoint.config_from_card(make_card())) == sum(
        p.numel() for p in make_model().parameters()
    )


def test_a_lone_surrogate_in_the_vocabulary_is_refused_on_upload_not_on_write(home):
    vocab = json.dumps(VOCAB[:-1])[:-1] + ', "\\ud800"]'  # the JSON escape of a lone surrogate
    card = card_with("tokenizer", '{"kind": "char", "vocab": ' + vocab + "}")
    refused(card, r"card.json: tokenizer.vocab\[9\] holds a lone surrogate \('\\ud800'\), which is not text")
    emoji = card_with("title", '"\\ud83d\\ude00 a valid pair"')  # an escaped pair is one character: fine
    usermodels.install(pair(emoji))
    assert zoo.load("hostile").card["title"].startswith("\U0001f600")


def test_a_card_that_is_not_text_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"card.json: title holds a lone surrogate"):
        checkpoint.save_dir(make_model(), make_card(title="bad \udcff"), tmp_path / "m")
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


@pytest.mark.parametrize(
    "vocab, message",
    [
        (
            ["a", "b", "a"],
            r"card.json: tokenizer.vocab must be a list without duplicates, but 'a' is entry 0 and entry 2",
        ),
        (["a", 3], r"card.json: tokenizer.vocab\[1\] must be a string, got 3"),
        (["a", None], r"card.json: tokenizer.vocab\[1\] must be a string, got None"),
        (["a", ["b"]], r"card.json: tokenizer.vocab\[1\] must be a string, got \['b'\]"),
        (["a", ""], r"card.json: tokenizer.vocab\[1\] must be a single character, got ''"),
        ([], r"card.json: tokenizer.vocab must be a non-empty list of single characters"),
        ({"a": 1}, r"card.json: tokenizer.vocab must be a list of single characters, got \{'a': 1\}"),
    ],
)
def test_duplicate_or_non_string_tokens_name_the_entry(vocab, message):
    with pytest.raises(ValueError, match=message):
        checkpoint.config_from_card(make_card(tokenizer={"kind": "char", "vocab": vocab}))


def test_word_vocabularies_and_labels_are_checked_entry_by_entry():
    words = {"kind": "word", "vocab": ["<pad>", "<unk>", "good", ""]}
    with pytest.raises(ValueError, match=r"card.json: tokenizer.vocab\[3\] is an empty string"):
        checkpoint.config_from_card(make_card(tokenizer=words))
    too_many = {"kind": "word", "vocab": ["<unk>", *(f"w{i}" for i in range(100_000))]}
    with pytest.raises(ValueError, match="at most 100,000.*got 100,001"):
        checkpoint.config_from_card(make_card(tokenizer=too_many))
    classify = {"task": "classify", "tokenizer": {"kind": "word", "vocab": ["<pad>", "<unk>", "good"]}}
    for labels, message in [
        (["bad", "bad"], "card.json: labels must be different from each other, but 'bad' is there twice"),
        ([f"c{i}" for i in range(1001)], "card.json: labels must list 2 to 1,000 class names"),
        (["good", 2], "card.json: labels must list 2 to 1,000"),
        (["good", "x" * 101], "each a string of 1 to 100 characters"),
    ]:
        with pytest.raises(ValueError, match=message):
            checkpoint.config_from_card(make_card(**classify, labels=labels))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"title": ["not", "text"]}, "card.json: title must be a string of at most 200 characters"),
        ({"description": "x" * 10_001}, "card.json: description must be a string of at most 10,000 characters"),
        ({"metrics": [1, 2]}, r"card.json: metrics must be an object, got \[1, 2\]"),
        ({"training": "fast"}, "card.json: training must be an object, got 'fast'"),
        ({"num_parameters": "many"}, "card.json: num_parameters must be a whole number"),
        ({"weights_sha256": "abc"}, "card.json: weights_sha256 must be 64 lowercase hex digits, got 'abc'"),
    ],
)
def test_the_optional_fields_the_pages_read_are_checked_too(changes, message):
    with pytest.raises(ValueError, match=message):
        checkpoint.config_from_card(make_card(**changes))


def test_a_field_given_twice_is_refused():
    with pytest.raises(ValueError, match="card.json has the field 'hidden_size' twice in one object"):
        checkpoint.parse_card(b'{"hidden_size": 8, "hidden_size": 3000000}')


def test_an_oversized_card_is_refused_before_it_is_parsed(tmp_path):
    with pytest.raises(ValueError, match="card.json is 4.0 MB; the limit is 4 MB"):
        checkpoint.parse_card(b" " * (checkpoint.MAX_CARD_BYTES + 1))
    checkpoint.save_dir(make_model(), make_card(), tmp_path / "m")
    (tmp_path / "m" / "card.json").write_bytes(b" " * (checkpoint.MAX_CARD_BYTES + 1))
    with pytest.raises(ValueError, match="card.json is 4.0 MB; the limit is 4 MB"):
        checkpoint.load_dir(tmp_path / "m")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
CARD_FIELDS = [*make_card(), "labels", "title", "description", "metrics", "training", "num_parameters"]


@HYPOTHESIS
@given(st.dictionaries(st.sampled_from(CARD_FIELDS), JSON_VALUES, max_size=5), st.sets(st.sampled_from(CARD_FIELDS)))
def test_random_cards_give_a_config_or_a_short_value_error(changes, dropped):
    card = {k: v for k, v in {**make_card(), **changes}.items() if k not in dropped}
    bounded_value_error(lambda: checkpoint.config_from_card(card))
    text = json.dumps(card)  # escapes any lone surrogate the strategy drew
    bounded_value_error(lambda: checkpoint.config_from_card(checkpoint.parse_card(text.encode())))


@HYPOTHESIS
@given(st.binary(max_size=2000))
def test_random_bytes_into_the_card_weights_and_zip_parsers(data):
    bounded_value_error(lambda: checkpoint.parse_card(data))
    bounded_value_error(lambda: checkpoint.read_weights(data))
    bounded_value_error(lambda: usermodels.collect([("model.zip", data)]))
    bounded_value_error(lambda: usermodels.validate({"model.safetensors": data, "card.json": data}))


@HYPOTHESIS
@given(st.text(alphabet='[]{}"\\:,0123456789-e. \nabc', max_size=300))
def test_random_json_like_text_into_the_card_parser(text):
    bounded_value_error(lambda: checkpoint.parse_card(text.encode()))


def model_zip(compression: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in pair():
            archive.writestr(f"m/{name}", data)
    return buffer.getvalue()


ZIPS = [model_zip(c) for c in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)]


def test_a_zip_whose_compressed_data_is_damaged_gives_a_value_error(home):
    data = bytearray(ZIPS[1])
    entry = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("m/model.safetensors")
    start = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
    data[start : start + 16] = b"\xff" * 16  # deflate block type 3 does not exist: zlib refuses the stream
    with pytest.raises(ValueError, match="model.safetensors in the zip cannot be read"):
        usermodels.install([("m.zip", bytes(data))])
    assert [m.name for m in zoo.list() if not m.shipped] == []


@HYPOTHESIS
@given(st.sampled_from(ZIPS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6), st.data())
def test_damaged_model_zips_give_a_short_value_error(archive, changes, data):
    damaged = bytearray(archive)
    for position, byte in changes:
        damaged[position % len(damaged)] = byte
    damaged = damaged[: data.draw(st.integers(1, len(damaged)))]
    bounded_value_error(lambda: usermodels.validate(usermodels.collect([("m.zip", bytes(damaged))])))


# --- bounded messages ----------------------------------------------------------------------


def test_fifty_thousand_unexpected_keys_give_a_count_and_the_first_few(tmp_path):
    state = dict(make_model().state_dict())
    state |= {f"junk.{'x' * 200}.{i}": torch.zeros(1) for i in range(50_000)}
    with pytest.raises(ValueError) as err:
        checkpoint.build_model(state, make_card())
    message = str(err.value)
    assert message.startswith("the weights have 50,000 unexpected keys, the first 5: 'junk.")
    assert len(message) < 500, len(message)


def test_count_and_first():
    from lstm_viz import messages

    assert messages.count_and_first([], "key") == "no keys"
    assert messages.count_and_first(["a"], "key") == "1 key: 'a'"
    assert messages.count_and_first(["a", "b"], "key") == "2 keys: 'a', 'b'"
    many = messages.count_and_first([f"k{i}" for i in range(9)], "entry", "entries", shown=2)
    assert many == "9 entries, the first 2: 'k0', 'k1'"
    long = messages.count_and_first(["x" * 100_000] * 100_000, "word")
    assert long.startswith("100,000 words, the first 5: 'xxx") and len(long) < 500


@HYPOTHESIS
@given(st.lists(st.text(max_size=200) | JSON_VALUES, max_size=30))
def test_described_values_are_short_and_printable(values):
    from lstm_viz import messages

    for value in [values, *values]:
        text = messages.describe(value)
        assert len(text) <= 400
        text.encode("utf-8")
    assert len(messages.count_and_first(values, "value")) <= 2500
    assert messages.describe(10**5000).startswith("a whole number of about 5,00")


def test_a_100000_character_unknown_word_gives_a_short_report():
    from lstm_viz.engine.tokenizers import describe_unknown

    words = WordTokenizer(["<pad>", "<unk>", "good"])
    word = "supercalifragilistic" * 5000
    report = describe_unknown(words.encode(f"good {word} good").unknown)
    assert report.startswith("1 unknown piece: 'supercali") and "→ '<unk>'" in report
    assert len(report) < 200
    chars = CharTokenizer(VOCAB)
    report = describe_unknown(chars.encode("\u00e9" * 100_000).unknown)
    assert report.startswith("100,000 unknown pieces, the first 5: 'é' → 'e'") and len(report) < 200


@pytest.mark.parametrize(
    "call",
    [
        lambda: tokenizer_from_dict({"kind": "x" * 100_000, "vocab": ["a"]}),
        lambda: tokenizer_from_dict({"kind": "char", "vocab": ["ab" * 50_000]}),
        lambda: checkpoint.config_from_card(make_card(task="t" * 100_000)),
        lambda: checkpoint.config_from_card(make_card(num_layers=[1] * 100_000)),
        lambda: zoo.load("x" * 100_000),
        lambda: zoo.check_portable_name("con" + "." * 100_000),
        lambda: usermodels.collect([("n" * 100_000 + ".txt", b"x")]),
        lambda: usermodels.collect([("w" * 100_000 + ".pt", b"x")]),
    ],
)
def test_messages_quoting_user_data_are_bounded(call):
    with pytest.raises(ValueError) as err:
        call()
    assert len(str(err.value)) <= MAX_MESSAGE, len(str(err.value))


def test_a_zip_entry_with_a_60000_character_name_gives_a_short_message(home):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("e" * 60_000 + ".txt", b"x")
    with pytest.raises(ValueError, match="the zip contains 'eeee") as err:
        usermodels.install([("m.zip", buffer.getvalue())])
    assert len(str(err.value)) <= MAX_MESSAGE


# --- corpus encodings ----------------------------------------------------------------------

CORPUS = "Café au lait, s'il vous plaît. Ärger über Öl — “quotes” too. " * 60


@pytest.mark.parametrize("encoding, order", [("utf-16-le", "little"), ("utf-16-be", "big")])
def test_utf16_without_a_byte_order_mark_is_read(encoding, order):
    text, notices = decode_corpus(CORPUS.encode(encoding))
    assert text == CORPUS
    assert notices == [f"the file has no byte-order mark; it was read as UTF-16 ({order}-endian), as its bytes show"]
    mixed = CORPUS + "一二三四 Āā" * 5  # a few characters with a zero low byte are fine
    assert decode_corpus(mixed.encode(encoding))[0] == mixed


def test_binary_files_with_zero_bytes_are_still_refused():
    for blob in (bytes(range(256)) * 20, b"\x01\x00\x02\x00" * 2000, b"\x00\x00\x00\x41" * 2000, b"\x00" * 5000):
        with pytest.raises(ValueError, match="binary file"):
            decode_corpus(blob)
    with pytest.raises(ValueError, match=r"binary file .*\(UTF-8, UTF-16 or Windows-1252\)"):
        decode_corpus(CORPUS.encode("utf-16-le") + b"\x00")  # odd length: not UTF-16


@HYPOTHESIS
@given(st.binary(max_size=6000) | st.text(max_size=3000).map(lambda t: t.encode("utf-16-le", "surrogatepass")))
def test_random_bytes_into_the_corpus_decoder(data):
    try:
        text, notices = decode_corpus(data)
    except ValueError as err:
        assert len(str(err)) <= 200
        return
    text.encode("utf-8")  # no lone surrogate reaches the trainer
    assert all(len(n) <= 200 for n in notices)


# --- portable names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, why",
    [
        ("con", "Windows reserves 'con'"),
        ("NUL", "Windows reserves 'NUL'"),
        ("Aux.txt", "Windows reserves 'Aux'"),
        ("prn.tar.gz", "Windows reserves 'prn'"),
        ("com1", "Windows reserves 'com1'"),
        ("LPT9.model", "Windows reserves 'LPT9'"),
        ("my-model.", "Windows drops a final dot"),
    ],
)
def test_names_that_a_windows_zip_cannot_hold_are_refused(home, name, why):
    with pytest.raises(ValueError, match=f"cannot name a model: {why}"):
        usermodels.install(pair(), name=name)
    with pytest.raises(ValueError, match=why):
        usermodels.install(pair(json.dumps(make_card(name=name)).encode()))  # the card's own name
    assert [m.name for m in zoo.list() if not m.shipped] == []
    with pytest.raises(ValueError, match=why):
        zoo.check_portable_name(name)


def test_a_trailing_space_is_refused_and_near_misses_are_fine():
    with pytest.raises(ValueError, match="drops a final dot or space"):
        zoo.check_portable_name("model ")
    for fine in ("console", "com10", "lpt", "nul-model", "aux_1", "con-text.v2", "my.model"):
        assert zoo.check_portable_name(fine) == fine


def previous(folder: Path) -> tuple[bytes, bytes]:
    return (folder / "model.safetensors").read_bytes(), (folder / "card.json").read_bytes()


class FullDiskFile:
    """A file whose writes fail as they do on a full disk."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()

    def __getattr__(self, name):
        return getattr(self.file, name)


def fill_the_disk(monkeypatch) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *args, **kwargs: FullDiskFile(real_fdopen(fd, *args, **kwargs)))


@pytest.mark.parametrize("failing_call", [1, 2, 3])
def test_a_failed_rename_keeps_the_previous_model_with_a_message(tmp_path, monkeypatch, failing_call):
    folder = tmp_path / "m"
    checkpoint.save_dir(make_model(seed=1), {**make_card(), "metrics": {"step": 1}}, folder)
    before = previous(folder)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match=r"could not save the model in .*\(Input/output error\)"):
        checkpoint.save_dir(make_model(seed=2), {**make_card(), "metrics": {"step": 2}}, folder)
    monkeypatch.undo()
    assert previous(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.safetensors"]
    assert_consistent(folder, make_card())


def test_a_full_disk_keeps_the_previous_model_with_a_message(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    checkpoint.save_dir(make_model(seed=1), {**make_card(), "metrics": {"step": 1}}, folder)
    before = previous(folder)

    fill_the_disk(monkeypatch)
    with pytest.raises(OSError, match=r"could not save the model .*No space left on device.*unchanged"):
        checkpoint.save_dir(make_model(seed=2), {**make_card(), "metrics": {"step": 2}}, folder)
    with pytest.raises(OSError, match="could not save the model .*No space left on device"):
        checkpoint.write_card({**make_card(), "metrics": {"step": 3}}, folder)
    monkeypatch.undo()
    assert previous(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.safetensors"]


def test_an_upload_onto_a_full_disk_is_refused_with_a_message_and_leaves_nothing(home):
    with pytest.MonkeyPatch.context() as full:  # the disk is full, LSTM_VIZ_HOME (home's) stays set after
        fill_the_disk(full)
        refused = r"could not write the model \(No space left on device\); nothing was added"
        with pytest.raises(ValueError, match=refused):
            usermodels.install(pair())
    assert [m.name for m in zoo.list() if not m.shipped] == []
    assert not [p for p in home.rglob("*") if p.is_file()]


def test_a_read_only_folder_keeps_the_previous_model_with_a_message(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    checkpoint.save_dir(make_model(seed=1), {**make_card(), "metrics": {"step": 1}}, folder)
    before = previous(folder)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)  # as a read-only mount answers, even to root
    with pytest.raises(OSError, match=r"could not save the model .*Read-only file system"):
        checkpoint.save_dir(make_model(seed=2), make_card(), folder)
    monkeypatch.undo()
    assert previous(folder) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_folder_without_write_permission_keeps_the_previous_model(tmp_path):
    folder = tmp_path / "m"
    checkpoint.save_dir(make_model(seed=1), make_card(), folder)
    before = previous(folder)
    folder.chmod(0o555)
    try:
        with pytest.raises(OSError, match="could not save the model .*Permission denied"):
            checkpoint.save_dir(make_model(seed=2), make_card(), folder)
    finally:
        folder.chmod(0o755)
    assert previous(folder) == before


def test_a_training_run_whose_save_fails_stops_with_the_message_and_keeps_its_last_checkpoint(tmp_path, monkeypatch):
    from lstm_viz.data.corpus import CharCorpus
    from lstm_viz.engine.network import ModelConfig
    from lstm_viz.training.train import TrainConfig, train

    text = "".join(f"line {i} of a corpus whose disk fills up.\n" for i in range(300))
    data = CharCorpus(text, seq_len=32, name="full.txt")
    config = ModelConfig(len(data.tokenizer), data.num_outputs, embed_dim=8, hidden_size=16, num_layers=1)

    def after_the_first_checkpoint(event, info):
        if event == "eval":
            fill_the_disk(monkeypatch)

    out = tmp_path / "full"
    with pytest.raises(OSError, match="could not save the model .*No space left on device"):
        train(
            data,
            config,
            TrainConfig(steps=30, batch_size=8, eval_every=5, sample_chars=0, threads=1),
            out,
            callback=after_the_first_checkpoint,
            log=lambda *a: None,
        )
    monkeypatch.undo()
    _, card = checkpoint.load_dir(out)
    assert card["metrics"]["measured_at_step"] == 5
    assert sorted(p.name for p in out.iterdir()) == ["card.json", "history", "model.safetensors"]


def test_a_card_naming_other_weights_is_a_half_written_model(tmp_path):
    folder = tmp_path / "m"
    checkpoint.save_dir(make_model(seed=1), make_card(), folder)
    other = tmp_path / "other"
    checkpoint.save_dir(make_model(seed=2), make_card(), other)
    (folder / "card.json").write_bytes((other / "card.json").read_bytes())
    with pytest.raises(ValueError, match="from different saves .* half-written model"):
        checkpoint.load_dir(folder)
    uploads = [(name, (folder / name).read_bytes()) for name in ("model.safetensors", "card.json")]
    with pytest.raises(ValueError, match="card.json belongs to other weights: its weights_sha256 is"):
        usermodels.validate(usermodels.collect(uploads))


# --- hostile lesson files (Lessons: import, links, scenes) ---------------------------------


def _lesson_doc(**stop_changes) -> dict:
    """A valid one-stop lesson (the counting stop) with ``stop_changes`` applied."""
    from lstm_viz.lessons import schema

    doc = json.loads(schema.to_json(schema.find("counting-brackets")))
    doc["stops"] = [{**doc["stops"][0], **stop_changes}]
    return doc


HOSTILE_LESSONS = {
    "width": (_lesson_doc(narration="{unit:999999999}"), r"stop 1\.narration.*width"),
    "precision": (_lesson_doc(narration="{r:.999999999f}"), r"stop 1\.narration.*precision"),
    "per_gap": (_lesson_doc(view="memory", facts=[{"kind": "memory", "per_gap": 30_000_000}]), "per_gap"),
    "strings": (_lesson_doc(facts=[{"kind": "counting", "strings": 5_000_000}]), "strings"),
    "contrast": (
        _lesson_doc(view="strip", facts=[{"kind": "next_tokens", "candidates": ["a", "b"], "contrast": "x" * 250_000}]),
        "contrast",
    ),
    "empty spans": (_lesson_doc(view="strip", facts=[{"kind": "writes", "spans": []}]), "spans"),
    "empty span": (_lesson_doc(view="strip", facts=[{"kind": "writes", "spans": [""]}]), "spans"),
    "unknown setting": (_lesson_doc(facts=[{"kind": "counting", "colour": 1}]), "colour"),
    "unknown fact": (_lesson_doc(view="strip", facts=[{"kind": "astrology"}]), "astrology"),
    "a bool count": (_lesson_doc(facts=[{"kind": "counting", "strings": True}]), "strings"),
    "a nan temperature": (
        _lesson_doc(view="generation", facts=[{"kind": "generation", "temperature": float("nan")}]),
        "temperature",
    ),
    "model path": (_lesson_doc(model="../../elsewhere/pm"), r"stop 1: model"),
    "absolute model path": (_lesson_doc(model="/tmp/pm"), r"stop 1: model"),
    "quantity": (_lesson_doc(quantity="x" * 30), "quantity"),
}


@pytest.mark.parametrize("name", list(HOSTILE_LESSONS))
def test_a_hostile_lesson_file_is_refused_naming_the_field(name):
    from lstm_viz.lessons import schema

    doc, field = HOSTILE_LESSONS[name]
    data = json.dumps(doc, allow_nan=True)
    assert len(data) <= schema.MAX_LESSON_BYTES  # refused for what it asks, not for its size
    with pytest.raises(ValueError, match=field) as err:
        schema.parse(data, "upload.json")
    assert "upload.json" in str(err.value) and len(str(err.value)) <= MAX_MESSAGE


def test_a_fact_that_does_not_fit_the_model_is_a_value_error():
    from lstm_viz.lessons import facts, schema

    stop = schema.parse(json.dumps(_lesson_doc(model="memory-rnn"))).stops[0]
    with pytest.raises(ValueError, match="counting.*memory-rnn|memory-rnn.*counting"):
        facts.compute(stop, zoo.load)
    stop = schema.parse(json.dumps(_lesson_doc(view="strip", facts=[{"kind": "writes", "spans": ["(("]}])))
    stop = schema.Stop(**{**stop.stops[0].__dict__, "model": "memory-rnn", "text": "A0123?"})
    with pytest.raises(ValueError, match="writes"):
        facts.compute(stop, zoo.load)


def test_a_model_is_named_only_by_its_listed_name_never_by_a_path(tmp_path, monkeypatch):
    """``zoo.load`` (every page, link, lesson and scene) takes a listed name; a folder elsewhere is
    the developer's ``zoo.load_path``, never reached from a name."""
    elsewhere = tmp_path / "elsewhere" / "pm"
    checkpoint.save_dir(make_model(seed=3), make_card(), elsewhere)
    monkeypatch.chdir(tmp_path / "elsewhere")
    for name in ("pm/", str(elsewhere), "../elsewhere/pm", "./pm"):
        with pytest.raises(ValueError, match="invalid model name"):
            zoo.load(name)
    assert zoo.load_path(elsewhere).card["name"] == make_card()["name"]


SPEC_CHARS = st.text(alphabet="0123456789.,+- #<>^=%fdegs_x!:{}", max_size=16)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SPEC_CHARS)
def test_a_format_spec_either_is_refused_or_fills_a_short_string(spec):
    """Any template the schema accepts fills with a short string (a number 10**6 at most as wide)."""
    from lstm_viz.lessons import render, schema

    template = "{x:" + spec + "}"
    try:
        schema.parse(json.dumps(_lesson_doc(narration=template)))
    except ValueError as err:
        assert len(str(err)) <= MAX_MESSAGE
        return
    for value in (1, -2.5, 123456.789, "text"):
        try:
            filled = render.fill(template, {"x": value})
        except ValueError:  # a spec for numbers given text: a clear error of the template
            continue
        assert len(filled) <= 200, (spec, len(filled))


FACT_VALUES = (
    st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | st.text(max_size=40)
    | st.lists(st.text(max_size=30), max_size=4)
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_fact_settings_are_refused_or_within_the_schema_bounds(data):
    from lstm_viz.lessons import schema

    kind = data.draw(st.sampled_from(sorted(schema.FACTS)))
    names = sorted(schema.FACTS[kind]) + ["bogus"]
    params = data.draw(st.dictionaries(st.sampled_from(names), FACT_VALUES, max_size=4))
    view = {"memory": "memory", "counting": "counting", "generation": "generation"}.get(kind, "strip")
    try:
        lesson = schema.parse(json.dumps(_lesson_doc(view=view, facts=[{"kind": kind, **params}])))
    except ValueError as err:
        assert len(str(err)) <= MAX_MESSAGE
        return
    for key, value in lesson.stops[0].facts[0].items():
        if key == "kind":
            continue
        bound = schema.FACTS[kind][key]
        assert bound.admits(value), (kind, key, value)


# --- hostile input on the explorer surfaces: regular expressions, clamps, link numbers, seeds ---------------------

@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a{99999999999}", "repetition"),
        ("a{1001}", "repetition"),
        (r"(a)\1", "backreferences"),
        ("(?=a)a", "lookaround"),
        ("(?<!a)b", "lookaround"),
        ("a++", "RE2"),
        ("\ud800", "not a valid"),
        ("(" * 150 + ")" * 50, "not a valid"),
    ],
)
def test_patterns_the_engine_refuses_get_a_message_saying_why(pattern, message):
    with pytest.raises(ValueError, match=message) as err:
        features.regex_feature("some text", pattern)
    assert len(str(err.value)) <= MAX_MESSAGE


def test_a_text_with_a_lone_surrogate_is_a_message_not_a_crash():
    with pytest.raises(ValueError, match="cannot be searched"):
        features.regex_feature("ab\ud800c", "b")


def test_matches_are_read_at_characters_not_bytes():
    text = "café über Ärger"
    assert features.regex_feature(text, "[üÄ]").nonzero()[0].tolist() == [5, 10]


def cli(capsys, *argv: str) -> tuple[int, str]:
    from lstm_viz.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().err


def test_the_cli_refuses_a_huge_repetition_with_a_message(capsys):
    code, err = cli(capsys, "units", "brackets-lstm", "a(b)c", "--feature", "a{99999999999}")
    assert code == 2 and err.startswith("error:") and "repetition" in err


@pytest.mark.parametrize("setting", ["cell=1e308", "forget_gate=-1e308", "hidden=3.5e38", "candidate=1e39"])
def test_clamp_values_beyond_the_limit_are_refused_with_the_range(capsys, setting):
    from lstm_viz.engine.trace import MAX_CLAMP

    code, err = cli(capsys, "intervene", "brackets-lstm", "a((b))c", "--unit", "0", "--set", setting)
    assert code == 2 and "error: the clamp value must lie between" in err and f"{MAX_CLAMP:,g}" in err


@pytest.mark.parametrize("quantity", ["forget_gate", "cell", "input_gate"])
def test_the_largest_clamp_allowed_keeps_every_output_finite(quantity):
    from lstm_viz.analysis.intervene import intervene
    from lstm_viz.engine.trace import MAX_CLAMP, Clamp

    model = zoo.load("brackets-lstm")
    for value in (MAX_CLAMP, -MAX_CLAMP):
        result = intervene(model, "((a))" * 80, Clamp(0, 0, quantity, value))
        assert np.isfinite(result.after.probs).all()


def test_a_seed_out_of_range_names_the_range(capsys):
    from lstm_viz.generation.generate import SEED_MAX

    for seed in (str(10**30), str(2**63), "-1"):
        code, err = cli(capsys, "generate", "shakespeare-char", "--length", "3", f"--seed={seed}")
        assert code == 2 and f"seed must be a whole number from 0 to {SEED_MAX:,}" in err, err


# --- numbers in links: one bounded parser, ASCII digits only ---------------------------------------------------


@HYPOTHESIS
@given(st.text(max_size=40) | st.from_regex(r"[+-]?[0-9]{1,30}(\.[0-9]*)?([eE][+-]?[0-9]{1,5})?", fullmatch=True))
def test_link_numbers_parse_to_a_bounded_number_or_a_short_message(raw):
    from lstm_viz.ui.state import MAX_NUMBER_CHARS, link_number

    for kind in (int, float):
        try:
            value = link_number(raw, kind)
        except ValueError as err:
            assert 0 < len(str(err)) <= 200
        else:
            assert type(value) is kind and raw.strip().isascii() and len(raw.strip()) <= MAX_NUMBER_CHARS
            assert math.isfinite(value)


@pytest.mark.parametrize(
    "raw", ["²", "١٢", "１２", "1_000", pytest.param("5" * 5000, id="5000 digits"), "12\u200b", "0x10", "1e400", "nan"]
)
def test_link_numbers_that_python_would_accept_or_choke_on_are_refused(raw):
    from lstm_viz.ui.state import link_number

    with pytest.raises(ValueError, match="not a"):
        link_number(raw, float if raw in ("1e400", "nan") else int)


def test_plain_numbers_still_read():
    from lstm_viz.ui.state import link_number

    assert link_number(" 42 ", int) == 42 and link_number("-3", int) == -3 and link_number("0.25", float) == 0.25


# --- autocomplete: only the last state, and one row per completion as shown ------------------------------------

def test_completions_that_show_the_same_are_one_row_with_their_probabilities_summed():
    from lstm_viz.generation import autocomplete

    rows = autocomplete.merge([("een", math.log(0.5)), ("een\n", math.log(0.2)), ("een's", math.log(0.1)),
                               ("een's\u200b", math.log(0.05)), ("een.", math.log(0.05))])  # fmt: skip
    assert [(r.text, round(r.prob, 6)) for r in rows] == [("een", 0.75), ("een's", 0.15)]


def test_the_shakespeare_model_lists_queen_once():
    from lstm_viz.generation import autocomplete

    found = autocomplete.complete(zoo.load("shakespeare-char"), "the king and the qu", width=10)
    shown = [c.text for c in found]
    assert len(shown) == len(set(shown)) and all(t == t.rstrip() for t in shown), shown
    assert shown.count("een") == 1 and shown.count("een's") == 1


