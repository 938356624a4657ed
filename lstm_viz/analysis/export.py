"""The whole Trace as a file: CSV (one row per layer, step and unit) or JSON (every array)."""

from __future__ import annotations

import csv
import io
import json

from lstm_viz.engine import cell


def trace_csv(trace) -> str:
    """The whole Trace as CSV: one row per (layer, step, unit), every quantity and pre-activation a column.

    The columns are the model's kind's (``cell.Kind.export_columns``): an LSTM's f, i, g, o, c, h and the
    pre-activations of i, f, g, o; a GRU's r, z, n, h and the pre-activations of r, z, n; a vanilla RNN's h
    and its pre-activation ``hidden_pre``. Values keep float32 precision (``repr`` of the float).
    """
    spec = cell.KINDS[trace.cell_type]
    values = [q for q in spec.quantities if q != "preactivation"]
    header = ["layer", "step", "token", "token_id", "unit", *spec.export_columns]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for k, layer in enumerate(trace.layers):
        cols = [layer.quantity(q) for q in values] + [layer.gate_preactivation(b) for b in spec.blocks]
        stacked = [c.tolist() for c in cols]  # (T, H) each, as Python floats once, then rows
        for t, token in enumerate(trace.tokens):
            head = [k, t, token, int(trace.token_ids[t])]
            per_step = [c[t] for c in stacked]
            for j in range(layer.hidden_size):
                writer.writerow([*head, j, *(c[j] for c in per_step)])
    return buf.getvalue()


def trace_json(trace, model_name: str = "") -> str:
    """The whole Trace as JSON: tokens, outputs and every layer's arrays (its kind's) as nested lists."""
    spec = cell.KINDS[trace.cell_type]
    names = ("input", "h_prev", "preactivation", *spec.entry, *spec.quantities)
    layers = [{name: getattr(layer, name).tolist() for name in dict.fromkeys(names)} for layer in trace.layers]
    doc = {
        "model": model_name,
        "task": trace.task,
        "cell_type": trace.cell_type,
        "tokens": list(trace.tokens),
        "token_ids": [int(i) for i in trace.token_ids],
        "output_labels": list(trace.output_labels),
        "probs": trace.probs.tolist(),
        "unknown": [u.to_dict() for u in trace.unknown],
        "gate_order_in_preactivation": list(spec.blocks),  # the blocks of H columns of each "preactivation"
        "layers": layers,
    }
    return json.dumps(doc)
