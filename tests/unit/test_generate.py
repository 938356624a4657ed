"""Text generation with the shipped character model, checked against independent computations.

Greedy and top-k are checked against a plain forward pass of the whole generated text through
the module (``nn.LSTM``), and the per-step probabilities against the Trace and a numpy softmax.
"""

import dataclasses
import re

import numpy as np
import pytest
import torch

from lstm_viz.analysis import expectation
from lstm_viz.cli import main
from lstm_viz.generation.generate import (
    MAX_GENERATE,
    MAX_PRIME,
    GenerationStream,
    check_settings,
    distribution,
    generate,
)
from lstm_viz.plots import colours, generation
from lstm_viz.store import zoo


@pytest.fixture(scope="module")
def model():
    return zoo.load("shakespeare-char")


def forward_logits(model, ids) -> np.ndarray:
    """Independent reference: the whole text through the module's fused nn.LSTM, (T, V)."""
    with torch.no_grad():
        logits, _ = model.module(torch.tensor(np.array(ids, dtype=np.int64))[None])
    return logits[0].double().numpy()


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_same_seed_same_text_and_distributions(model):
    a = model.generate("ROMEO:", 120, temperature=0.8, seed=7)
    b = model.generate("ROMEO:", 120, temperature=0.8, seed=7)
    c = model.generate("ROMEO:", 120, temperature=0.8, seed=8)
    assert a.text == b.text and a.seed == b.seed == 7
    np.testing.assert_array_equal(a.distributions, b.distributions)
    assert a.generated != c.generated
    assert a.text.startswith("ROMEO:") and len(a.generated) == 120


def test_unseeded_run_reports_a_seed_that_repeats_it(model):
    before = torch.get_num_threads()
    a = model.generate("KING:", 60)
    assert isinstance(a.seed, int)
    assert model.generate("KING:", 60, seed=a.seed).text == a.text
    assert torch.get_num_threads() == before  # the one-thread section restores the setting


def test_greedy_is_argmax_of_an_independent_forward_pass(model):
    g = model.generate("First Citizen:\n", 200, greedy=True)
    assert g.seed is None and g.greedy
    ids = g.trace.token_ids
    p = g.prime_length
    assert p == len("First Citizen:\n")
    ref = forward_logits(model, ids)
    # step t's output predicts token t + 1: every generated token is the argmax before it
    np.testing.assert_array_equal(ref[p - 1 : -1].argmax(axis=1), ids[p:])
    np.testing.assert_array_equal(g.trace.probs[p - 1 : -1].argmax(axis=1), ids[p:])
    np.testing.assert_allclose(g.chosen_probs, softmax(ref[p - 1 : -1]).max(axis=1), atol=2e-5)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_top_k_never_samples_outside_the_k_most_likely(model, k):
    for seed in range(3):
        g = model.generate("JULIET:\n", 80, temperature=1.5, top_k=k, seed=seed)
        ids, p = g.trace.token_ids, g.prime_length
        ref = forward_logits(model, ids)[p - 1 : -1]  # (N, V)
        rank = (ref > ref[np.arange(len(ref)), ids[p:]][:, None]).sum(axis=1)  # 0 = most likely
        assert rank.max() < k, f"seed {seed}: a character of rank {rank.max() + 1} was sampled with top_k={k}"
        assert ((g.distributions > 0).sum(axis=1) <= k).all()
        np.testing.assert_allclose(g.distributions.sum(axis=1), 1.0, atol=1e-5)
    greedy = model.generate("JULIET:\n", 80, greedy=True)
    if k == 1:
        assert g.text == greedy.text


def test_temperature_scales_logits_like_a_numpy_softmax():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=65)
    for temperature in (0.1, 0.5, 1.0, 2.0):
        got = distribution(torch.tensor(logits, dtype=torch.float32), temperature).numpy()
        np.testing.assert_allclose(got, softmax(logits / temperature), atol=1e-6)
    top = distribution(torch.tensor(logits, dtype=torch.float32), 0.7, top_k=5).numpy()
    keep = np.argsort(-logits)[:5]
    want = np.zeros_like(logits)
    want[keep] = softmax(logits[keep] / 0.7)
    np.testing.assert_allclose(top, want, atol=1e-6)


def test_temperature_towards_zero_approaches_greedy(model):
    greedy = model.generate("HAMLET:\n", 150, greedy=True)
    cold = model.generate("HAMLET:\n", 150, temperature=1e-3, seed=3)
    assert cold.text == greedy.text
    assert cold.chosen_probs.min() > 0.99
    # sharper as the temperature drops: the mean probability of the top character rises
    ref = forward_logits(model, greedy.trace.token_ids)
    tops = [distribution(torch.tensor(ref[-50:]), t).max(dim=-1).values.mean().item() for t in (2.0, 1.0, 0.5, 0.1)]
    assert tops == sorted(tops) and tops[-1] > 0.9


@pytest.mark.parametrize("length", [0, -5, MAX_GENERATE + 1, 10**6])
def test_length_out_of_range_is_refused_with_the_limit(model, length):
    with pytest.raises(ValueError, match="between 1 and 2,000 characters"):
        model.generate("ROMEO:", length)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 2.5}, "whole number"),
        ({"length": True}, "whole number"),
        ({"temperature": 0.0}, "temperature must be positive"),
        ({"temperature": -1.0}, "temperature must be positive"),
        ({"temperature": float("nan")}, "temperature must be a positive number"),
        ({"temperature": float("inf")}, "temperature must be a positive number"),
        ({"top_k": 0}, "top_k must be a whole number"),
        ({"seed": -1}, "seed must be"),
    ],
)
def test_bad_settings_have_clear_messages(model, kwargs, message):
    args = {"length": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        model.generate("ROMEO:", **args)


def test_limits_and_empty_prime(model):
    check_settings(MAX_GENERATE)  # the limit itself is allowed
    with pytest.raises(ValueError, match="prime is empty"):
        model.generate("", 10)
    with pytest.raises(ValueError, match=f"at most {MAX_PRIME:,}"):
        model.generate("a" * (MAX_PRIME + 1), 10)
    classifier = dataclasses.replace(model, card={**model.card, "task": "classify"})
    with pytest.raises(ValueError, match="only language models write text"):
        generate(classifier, "ROMEO:", 10)


def test_unknown_characters_in_the_prime_are_reported_not_dropped(model):
    prime = "Café — “ROMEO” 😀:"
    g = model.generate(prime, 40, seed=1)
    assert g.prime == prime and g.text.startswith(prime)
    found = {(u.piece, u.replacement) for u in g.unknown}
    assert {("é", "e"), ("—", "-"), ("“", '"' if '"' in model.tokenizer.vocab else " "), ("😀", " ")} <= found
    assert [u.position for u in g.unknown] == [prime.index(u.piece) for u in g.unknown]
    assert g.trace.tokens[: len(prime)] == list(prime)  # the trace shows the prime as typed
    fed = model.tokenizer.decode(g.trace.token_ids[: len(prime)])
    assert fed[prime.index("é")] == "e" and fed[prime.index("😀")] == " "
    assert g.prime_length == len(prime)


def test_teacher_forced_probabilities_equal_trace_lookups(model):
    g = model.generate("To be, or not to be", 100, temperature=1.0, seed=5)
    exp = expectation.expectation(g.trace)
    ids = g.trace.token_ids
    assert len(exp.probs) == len(ids) - 1
    np.testing.assert_allclose(exp.probs, g.trace.probs[np.arange(len(ids) - 1), ids[1:]])
    ref = softmax(forward_logits(model, ids))  # independent of the Trace
    np.testing.assert_allclose(exp.probs, ref[np.arange(len(ids) - 1), ids[1:]], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(exp.surprise, -np.log(exp.probs))
    assert exp.mean_nats == pytest.approx(float(np.mean(-np.log(exp.probs))))
    assert exp.bits_per_char == pytest.approx(exp.mean_nats / np.log(2))
    assert np.isnan(exp.per_token[0]) and np.array_equal(exp.per_token[1:], exp.surprise)
    assert expectation.nats_per_char(exp.probs) == pytest.approx(exp.mean_nats)
    aligned = expectation.generated_probs_per_token(g)
    assert np.isnan(aligned[: g.prime_length]).all() and np.array_equal(aligned[g.prime_length :], g.chosen_probs)
    # at temperature 1 without top-k, what a character was drawn from is what the model expects
    np.testing.assert_allclose(expectation.generated_probs(g), expectation.generated_probs(g, sampled=False), atol=2e-5)
    np.testing.assert_allclose(g.distributions, g.trace.probs[g.prime_length - 1 : -1], atol=2e-5)


def test_top_candidates_at_a_step(model):
    tr = model.trace("To be, or not to be, that is the question")
    step = tr.tokens.index("q") - 1  # predicting the "q"
    c = expectation.top_candidates(tr, step, k=10)
    order = np.argsort(-tr.probs[step])
    assert c.labels == [tr.output_labels[i] for i in order[:10]]
    assert list(c.probs) == sorted(c.probs, reverse=True)
    assert c.actual == "q" and c.actual_prob == pytest.approx(float(tr.probs[step, tr.token_ids[step + 1]]))
    assert c.actual_rank == int(np.where(order == tr.token_ids[step + 1])[0][0]) + 1
    last = expectation.top_candidates(tr, len(tr) - 1)
    assert last.actual is None and last.actual_rank is None
    with pytest.raises(ValueError, match="step must be"):
        expectation.top_candidates(tr, len(tr))
    with pytest.raises(ValueError, match="at least two characters"):
        expectation.expectation(model.trace("T"))


def test_stream_yields_the_text_as_it_is_written(model):
    stream = GenerationStream(model, "ROMEO:", 50, temperature=0.8, seed=11)
    assert stream.result is None and len(stream) == 50
    pieces = list(stream)
    assert (
        "".join(pieces) == stream.result.generated == model.generate("ROMEO:", 50, temperature=0.8, seed=11).generated
    )
    seen = []
    g = model.generate("ROMEO:", 20, seed=2, on_step=lambda i, token_id: seen.append((i, token_id)))
    assert seen == list(enumerate(g.trace.token_ids[g.prime_length :].tolist()))


def test_cli_prints_the_same_text_as_the_api(model, capsys):
    rc = main(
        ["generate", "shakespeare-char", "--prime", "ROMEO:", "--length", "60", "--temperature", "0.8", "--seed", "1"]
    )
    out = capsys.readouterr()
    assert rc == 0
    assert out.out == model.generate("ROMEO:", 60, temperature=0.8, seed=1).text + "\n"
    assert main(["generate", "shakespeare-char", "--prime", "Ñ", "--length", "5", "--seed", "1"]) == 0
    assert "'Ñ'" in capsys.readouterr().err
    assert main(["generate", "shakespeare-char", "--prime", "KING:", "--length", "30"]) == 0
    out = capsys.readouterr()
    seed = int(out.err.split("pass --seed ")[1].split()[0])  # an unseeded run says how to repeat it
    assert model.generate("KING:", 30, seed=seed).text + "\n" == out.out
    assert main(["generate", "shakespeare-char", "--length", "5000"]) == 2
    assert "between 1 and 2,000" in capsys.readouterr().err


def test_coloured_text_builder(model):
    g = model.generate("<b>&", 30, seed=4)
    values = np.concatenate([np.full(g.prime_length, np.nan), expectation.generated_probs(g)])
    out = generation.coloured_text_html(g.trace.tokens, values)
    assert "<b>" not in out and ">&lt;<" in out and ">&amp;<" in out  # escaped, never injected
    assert out.count("<span") == len(g.trace.tokens)
    assert out.count('class="given"') == g.prime_length  # the prime is grey: given, not predicted
    assert f"p = {g.chosen_probs[0]:.4f}" in out
    shades = colours.PROBABILITY.shade(values[g.prime_length :]).tolist()
    assert re.findall(r'class="lv-probability-(\d+)', out) == [str(k) for k in shades]  # the one probability scale
    with pytest.raises(ValueError, match="one value per piece"):
        generation.coloured_text_html(["a", "b"], np.zeros(1))
    assert "surprise" in generation.colour_legend_html("surprise") and "%" in generation.colour_legend_html()
    exp = expectation.expectation(g.trace)
    fig = generation.surprise_bars(exp.tokens, exp.surprise, step=3)
    np.testing.assert_allclose(fig.data[0].y, exp.surprise)
    assert fig.data[0].marker.line.width[3] == 3 and fig.data[0].marker.color[3] == colours.SURPRISE.colour(
        exp.surprise[3]
    )


def test_a_word_model_traces_exactly_the_words_it_read_and_wrote():
    words = zoo.load("words-lm")
    for prime in ("ROMEO:", "the king of", "Zyxwv unknownish words, and <unk> too"):
        g = words.generate(prime, 30, temperature=1.0, seed=1)
        enc = words.encode(prime)
        assert g.prime_length == len(enc)  # steps of the prime, never negative
        assert len(g.trace) == len(enc) + 30 == len(expectation.generated_probs_per_token(g))
        assert g.trace.token_ids[: len(enc)].tolist() == enc.ids
        # what it was fed after the prime is what it wrote (an <unk> it wrote stays one step)
        np.testing.assert_allclose(g.distributions, g.trace.probs[g.prime_length - 1 : -1], atol=2e-5)
        chosen = g.trace.token_ids[g.prime_length :]
        np.testing.assert_allclose(g.chosen_probs, g.distributions[np.arange(30), chosen], atol=1e-6)
        assert "".join(g.text[a:b] for a, b in g.trace.spans[g.prime_length :]).replace(" ", "") == g.generated.replace(
            " ", ""
        )


def test_a_word_models_text_is_shown_with_its_spaces():
    from lstm_viz.generation.generate import as_written

    words = zoo.load("words-lm")
    g = words.generate("ROMEO: the king", 20, seed=3)
    assert "".join(as_written(g.trace.tokens, g.trace.spans)) == g.text
    chars = zoo.load("shakespeare-char").trace("To be, or not")
    assert as_written(chars.tokens, chars.spans) == chars.tokens  # characters have no gaps to show
