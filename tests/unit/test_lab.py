"""The neuron lab's core: unit search on planted units, interventions against the equations stepped
by hand in float64, features and their bad input, saturation, connectivity, and the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_viz.analysis import connectivity, counting, features, search
from lstm_viz.analysis.intervene import generate_clamped, intervene
from lstm_viz.data import tasks
from lstm_viz.engine import cell
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.engine.tokenizers import CharTokenizer
from lstm_viz.engine.trace import Clamp, trace
from lstm_viz.store import zoo
from lstm_viz.store.zoo import LoadedModel

ROOT = Path(__file__).resolve().parents[2]
VOCAB = list(" abxD.")
H = 4


def planted() -> LoadedModel:
    """A one-layer LSTM built by hand: unit 1's h is high exactly at 'x'; unit 3's forget gate drops at 'D'.

    Every other unit sits still (gates shut or open by their biases), so a search that works must
    find units 1 and 3 and no other.
    """
    cfg = ModelConfig(vocab_size=len(VOCAB), num_outputs=len(VOCAB), embed_dim=len(VOCAB), hidden_size=H, num_layers=1)
    model = SequenceModel(cfg).eval().requires_grad_(False)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.embedding.weight.copy_(torch.eye(len(VOCAB)))  # one-hot inputs
        w_ih, b = model.rnn.weight_ih_l0, model.rnn.bias_ih_l0
        i, f, g, o = (cell.gate_rows(q, H).start for q in cell.GATES)
        b[i : i + H] = 10.0  # write everything
        b[o : o + H] = 10.0  # show everything
        b[f : f + H] = 10.0  # keep everything...
        w_ih[f + 1, :] = -20.0  # ...except unit 1, which never keeps: its cell is the candidate of this step
        w_ih[g + 1, :] = -3.0  # unit 1's candidate: -1 for every character...
        w_ih[g + 1, VOCAB.index("x")] = 3.0  # ...and +1 at 'x'
        w_ih[f + 3, VOCAB.index("D")] = -20.0  # unit 3 forgets at 'D'
        w_ih[g + 3, :] = 0.5  # and slowly fills up otherwise
    card = {"task": "charlm", "labels": None, "name": "planted", "tokenizer": {}}
    return LoadedModel("planted", model, CharTokenizer(VOCAB), card)


TEXT = "ab a xx ab. D a b xab D ab a."


def test_selection_finds_the_unit_that_is_high_at_x():
    model = planted()
    tr = model.trace(TEXT)
    start = TEXT.index("xx")
    ranked = search.by_selection(tr.layers[0].hidden, start, start + 2, top=H)
    assert ranked[0][0] == 1 and ranked[0][1] > 1.0 and all(abs(s) < 0.2 for u, s in ranked[1:]), ranked
    low = search.by_selection(tr.layers[0].hidden, start, start + 2, high=False, top=1)
    assert low[0][0] != 1
    for bad in ((5, 5), (-1, 3), (0, len(TEXT) + 1), (0, len(TEXT))):
        with pytest.raises(ValueError, match="select tokens|whole text"):
            search.by_selection(tr.layers[0].hidden, *bad)


def test_match_finds_the_other_x():
    model = planted()
    tr = model.trace(TEXT)
    start = TEXT.index("xx")
    values = tr.layers[0].hidden[:, [1]]
    found = search.match(values[start : start + 1], values, tr.tokens, top=3, exclude=(start, start + 2))
    assert TEXT[found[0].start] == "x" and found[0].distance < 1e-3 and "[x]" in found[0].context


def test_feature_ranks_the_planted_unit_first_and_refuses_bad_patterns():
    model = planted()
    tr = model.trace(TEXT)
    x_feature = features.feature(TEXT, tr.spans, pattern="x")
    (unit, r), *_ = search.by_feature(tr.layers[0].hidden, x_feature, top=H)
    assert unit == 1 and r > 0.99
    for pattern, message in (("(", "not a valid regular expression"), ("q", "occurs nowhere"), (".", "every token")):
        with pytest.raises(ValueError, match=message):
            features.feature(TEXT, tr.spans, pattern=pattern)
    with pytest.raises(ValueError, match="at most 200"):
        features.feature(TEXT, tr.spans, pattern="a" * 500)
    with pytest.raises(ValueError, match="unknown feature"):
        features.feature(TEXT, tr.spans, name="nope")


def test_moment_finds_the_forget_drop_and_says_where_else_it_drops():
    model = planted()
    tr = model.trace(TEXT)
    step = TEXT.index("D")
    top = search.by_moment(tr.layers[0], step, "forget_drop", top=2)
    assert top[0].unit == 3 and top[0].before > 0.99 and top[0].after < 0.01
    assert list(top[0].also) == [TEXT.index("D", step + 1)]  # the other 'D', and nowhere else
    write = search.by_moment(tr.layers[0], TEXT.index("x"), "write", top=1)[0]
    assert write.unit == 1 and write.after == pytest.approx(np.tanh(3.0), abs=1e-3)
    with pytest.raises(ValueError, match="step must be"):
        search.by_moment(tr.layers[0], 999, "forget_drop")
    with pytest.raises(ValueError, match="unknown moment|has no"):
        search.by_moment(tr.layers[0], 1, "nope")


def test_saturation_fractions():
    tr = planted().trace(TEXT)
    sat = search.saturation(tr.layers[0])
    assert set(sat) == {"input_gate", "forget_gate", "output_gate"}
    left, right = sat["forget_gate"]
    assert right[0] == 1.0 and left[1] == 1.0  # unit 0 always keeps, unit 1 never does
    assert left[3] == pytest.approx(TEXT.count("D") / len(TEXT))


def reference_clamped(module, ids, clamp: Clamp) -> dict:
    """The clamped run stepped by hand in float64 from the equations (not the trace's code)."""
    cfg = module.config
    p = {k: v.double() for k, v in module.state_dict().items()}
    x_seq = p["embedding.weight"][torch.as_tensor(ids)]
    end = len(ids) if clamp.end is None else clamp.end
    out = {}
    for k in range(cfg.num_layers):
        w_ih, w_hh, b_ih, b_hh = (p[f"rnn.{n}_l{k}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        h = torch.zeros(cfg.hidden_size, dtype=torch.float64)
        c = torch.zeros(cfg.hidden_size, dtype=torch.float64)
        hs, cs, fs = [], [], []
        for t in range(len(ids)):
            held = k == clamp.layer and clamp.start <= t < end
            pre = w_ih @ x_seq[t] + b_ih + w_hh @ h + b_hh
            i_, f_, g_, o_ = pre.chunk(4)
            i_, f_, g_, o_ = torch.sigmoid(i_), torch.sigmoid(f_), torch.tanh(g_), torch.sigmoid(o_)
            gates = {"input_gate": i_, "forget_gate": f_, "candidate": g_, "output_gate": o_}
            if held and clamp.quantity in gates:
                gates[clamp.quantity][clamp.unit] = clamp.value
            c = f_ * c + i_ * g_
            if held and clamp.quantity == "cell":
                c[clamp.unit] = clamp.value
            h = o_ * torch.tanh(c)
            if held and clamp.quantity == "hidden":
                h[clamp.unit] = clamp.value
            hs.append(h.clone())
            cs.append(c.clone())
            fs.append(f_.clone())
        out[k] = {"hidden": torch.stack(hs), "cell": torch.stack(cs), "forget_gate": torch.stack(fs)}
        x_seq = out[k]["hidden"]
    out["probs"] = torch.softmax(x_seq @ p["head.weight"].T + p["head.bias"], dim=-1)
    return out


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("quantity", cell.QUANTITIES)
@pytest.mark.parametrize(("layer", "start", "end"), [(0, 0, None), (1, 5, 40), (0, 70, 90)])
def test_a_clamped_trace_is_the_equations_stepped_by_hand(quantity, layer, start, end, parallel):
    torch.manual_seed(5)
    cfg = ModelConfig(vocab_size=9, num_outputs=9, embed_dim=6, hidden_size=16, num_layers=2)
    module = SequenceModel(cfg).eval().requires_grad_(False)
    ids = np.random.default_rng(1).integers(0, 9, 100)
    clamp = Clamp(layer, 7, quantity, 0.3 if quantity.endswith("gate") else -0.8, start, end)
    got = trace(module, ids, clamp=clamp, parallel=parallel)  # parallel: the other spans record on a worker
    want = reference_clamped(module, ids, clamp)
    for k in range(2):
        for name in ("hidden", "cell", "forget_gate"):
            assert np.abs(getattr(got.layers[k], name) - want[k][name].numpy()).max() <= 1e-5, (k, name)
    assert np.abs(got.probs - want["probs"].numpy()).max() <= 1e-5
    if quantity != "hidden":  # the held value is what the trace shows at the held steps
        shown = got.layers[layer].quantity(quantity)[start : end or 100, 7]
        assert np.allclose(shown, clamp.value)


def test_clamp_errors_are_clear():
    module = planted().module
    for clamp, message in (
        (Clamp(1, 0, "cell", 0.0), "layer must be between 0 and 0"),
        (Clamp(0, 9, "cell", 0.0), "unit must be between 0 and 3"),
        (Clamp(0, 0, "gate", 0.0), "can clamp"),
        (Clamp(0, 0, "cell", float("nan")), "finite number"),
        (Clamp(0, 0, "cell", 0.0, 5, 5), "steps must be A:B"),
    ):
        with pytest.raises(ValueError, match=message):
            trace(module, np.arange(5) % 6, clamp=clamp)


def test_closing_the_counting_units_forget_gate_breaks_the_depth_on_deep_strings():
    model = zoo.load("brackets-lstm")
    unit, _ = counting.find_counting_unit(model)
    task = tasks.BracketsTask(tokenizer=model.tokenizer)
    worst = 1.0
    for seed in range(6):
        text = task.example(seed)
        depth = np.array(tasks.bracket_depths(text))
        result = intervene(model, text, Clamp(0, unit, "forget_gate", 0.0))
        assert (result.before.probs.argmax(1) == depth).mean() == 1.0
        worst = min(worst, (result.after.probs.argmax(1) == depth).mean())
    assert worst < 0.8  # on some strings the model loses count without that unit's memory


def test_the_depth_feature_finds_a_counting_unit():
    model = zoo.load("brackets-lstm")
    task = tasks.BracketsTask(tokenizer=model.tokenizer)
    text = task.example(0)
    tr = model.trace(text)
    (_, r), *_ = search.by_feature(tr.layers[0].cell, features.feature(text, tr.spans, name="bracket_depth"), top=1)
    assert abs(r) >= 0.9


def test_generation_goes_on_from_the_clamped_state():
    model = zoo.load("shakespeare-char")
    free = generate_clamped(model, "ROMEO:", Clamp(1, 3, "hidden", 0.0, 0, 1), length=40, seed=2)
    held = generate_clamped(model, "ROMEO:", Clamp(1, 3, "hidden", 25.0), length=40, seed=2)
    assert len(free) == len(held) == 40 and free != held
    with pytest.raises(ValueError, match="only a language model"):
        generate_clamped(zoo.load("brackets-lstm"), "(a)", Clamp(0, 0, "cell", 0.0))


def test_connectivity_is_the_gradient_of_the_log_probability():
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=7, num_outputs=7, embed_dim=5, hidden_size=6, num_layers=2)
    module = SequenceModel(cfg).eval().requires_grad_(False)
    ids = np.array([1, 4, 2, 6, 0, 3])
    got = connectivity.connectivity(module, ids, step=4, target=2)
    x = module.embedding(torch.as_tensor(ids[:5])).double().detach().requires_grad_(True)
    m64 = SequenceModel(cfg).double().eval()
    m64.load_state_dict({k: v.double() for k, v in module.state_dict().items()})
    out, _ = m64.rnn(x[None])
    torch.log_softmax(m64.head(out[0, -1]), dim=-1)[2].backward()
    np.testing.assert_allclose(got, x.grad.norm(dim=1).numpy(), rtol=1e-4)
    assert all(p.grad is None for p in module.parameters())  # the model itself gets no gradient


def test_memory_connectivity_lstm_reaches_the_letter_rnn_does_not():
    lstm, rnn = zoo.load("memory-lstm"), zoo.load("memory-rnn")
    text, _ = tasks.MemoryTask().example(50, seed=1)
    share = {}
    for name, model in (("lstm", lstm), ("rnn", rnn)):
        norms = connectivity.connectivity(model.module, model.encode(text).ids, len(text) - 1)
        share[name] = norms[0] / norms.sum()
    assert share["lstm"] > 10 * share["rnn"]


def test_repeated_words_counts_each_word_written_again():
    assert features.repeated_words("the king and the queen, the KING!") == 3 / 7  # the, the, king again
    assert features.repeated_words("") == 0.0 and features.repeated_words("... 12 ;") == 0.0
    assert features.repeated_words("Ay me! ay ME") == 0.5


def test_the_opening_unit_is_the_labs_first_and_its_line_says_why():
    tr = planted().trace(TEXT)
    layer, at = tr.layers[0], TEXT.index("D")
    how, found = search.opening_unit(layer, at)
    first = search.by_moment(layer, at, "forget_drop", top=1)[0]
    assert (how, found.unit, found.score) == ("forget_drop", first.unit, first.score) and found.unit == 3
    line = search.describe_opening(found, how, at, tr.tokens[at], H)
    assert line == f"Unit 3: of all {H} units, its forget gate drops most at step {at} ('D'): 1.00 → 0.00."
    how, found = search.opening_unit(layer, 0)  # a gate has no step before step 0: the biggest write instead
    assert (how, found.unit) == ("write", 1)
    assert search.describe_opening(found, how, 0, "a", H) == (
        f"Unit 1: of all {H} units, it writes most into its cell at step 0 ('a'): |i · g| = {found.score:.2f}."
    )
    assert search.opening_unit(layer, 1)[0] == "write"  # no forget gate drops at 'b': the next moment ranks


@pytest.mark.parametrize(("name", "gate"), [("memory-gru", "update gate"), ("memory-rnn", None)])
def test_a_gru_opens_on_its_update_gate_and_an_rnn_on_its_hidden_state(name, gate):
    model = zoo.load(name)
    text = "D52300018695697655928?"
    tr = model.trace(text)
    layer = tr.layers[0]
    for step in (0, 4):
        how, found = search.opening_unit(layer, step)
        expected = "update_drop" if gate and step else "hidden_change"
        first = search.by_moment(layer, step, expected, top=1)[0]
        assert (how, found.unit, found.score) == (expected, first.unit, first.score)
        line = search.describe_opening(found, how, step, tr.tokens[step], layer.hidden_size)
        label = gate if how == "update_drop" else "hidden state"
        assert line.startswith(f"Unit {found.unit}: of all 48 units, its {label} ")
        assert f"at step {step} ({text[step]!r})" in line and "forget" not in line and "cell" not in line
        assert ("(the initial state)" in line) == (step == 0)


def test_the_female_subject_feature_follows_the_last_gendered_word():
    text = "The king sat. She rose and took her hat; Mr. Brown, her husband, took his."
    values = features.FEATURES["female_subject"][1](text)
    at = {word: values[text.index(word)] for word in ("king", "sat", "rose", "took", "Mr", "husband", "his")}
    assert values[0] == 0.0  # nothing gendered yet
    assert (at["king"], at["sat"]) == (0.0, 0.0)
    assert (at["rose"], at["took"]) == (1.0, 1.0)  # from "She" on
    assert (at["Mr"], at["husband"], at["his"]) == (0.0, 0.0, 0.0)  # "Mr" is male, and so is "her husband"
    assert values[text.index("her husband")] == 1.0
    assert features.FEATURES["female_subject"][1]("").shape == (0,)
    assert features.FEATURES["female_subject"][1]("Herbert hesitated").sum() == 0  # whole words only
