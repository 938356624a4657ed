"""Whether a lesson's fact fits the stop's model: a lesson file can ask any fact of any listed model
(counting on the memory model, a next-word table of a classifier), and the answer is a sentence, never
a KeyError from deep inside the measurement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lstm_viz.analysis import search

if TYPE_CHECKING:
    from lstm_viz.engine.trace import LayerTrace
    from lstm_viz.store.zoo import LoadedModel


def misfit(kind: str, params: dict, model: LoadedModel, layer: LayerTrace) -> str | None:
    """Why the fact ``kind`` cannot run on ``model`` (a LoadedModel) and ``layer`` (its LayerTrace); None if it can."""
    if kind in ("next_tokens", "generation") and model.task != "charlm":
        return "it reads a language model's next-token probabilities"
    if kind == "prediction" and model.task != "classify":
        return "it reads a classifier's running label"
    if kind == "writes" and layer.kind != "lstm":
        return "it measures an LSTM's input gate and candidate"
    if kind == "counting" and not (
        {"(", ")"} <= set(model.tokenizer.vocab) and model.task == "sequence" and model.labels[0] == "depth 0"
    ):
        return "it needs a brackets model (one that predicts the depth after each bracket)"
    if kind == "moment" and params.get("how", "forget_drop") not in search.moments_for(layer):
        return f"this layer answers only {', '.join(search.moments_for(layer))}"
    if kind == "clamp" and model.task != "charlm":
        return "it reads a language model's next-token probabilities"
    quantity = params.get("quantity", "cell")
    if kind == "feature_unit" and quantity != "hidden" and quantity not in layer.quantities():
        return f"this layer has no {quantity.replace('_', ' ')}"
    return None
