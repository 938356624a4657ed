"""The whole Trace as a file: CSV (one row per layer, step and unit) or JSON (every array)."""

from __future__ import annotations

import csv
import io
import json

from lstm_viz import cell


def trace_csv(trace) -> str:
    """The whole Trace as CSV: one row per (layer, step, unit), every quantity and pre-activation a column.

    Values keep float32 precision (``repr`` of the float). An RNN layer has only ``hidden`` and
    ``hidden_pre``; the gate columns stay empty.
    """
    pre_names = [f"{g}_pre" for g in cell.GATES]
    header = ["layer", "step", "token", "token_id", "unit", *cell.QUANTITIES, *pre_names, "hidden_pre"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for k, layer in enumerate(trace.layers):
        cols = [getattr(layer, q) if getattr(layer, q) is not None else None for q in cell.QUANTITIES]
        if layer.has_gates:
            cols += [layer.gate_preactivation(g) for g in cell.GATES] + [None]
        else:
            cols += [None] * len(cell.GATES) + [layer.preactivation]
        # (T, H, Q) as Python floats once, then rows
        stacked = [c.tolist() if c is not None else None for c in cols]
        for t, token in enumerate(trace.tokens):
            head = [k, t, token, int(trace.token_ids[t])]
            per_step = [c[t] if c is not None else None for c in stacked]
            for j in range(layer.hidden_size):
                writer.writerow([*head, j, *("" if c is None else c[j] for c in per_step)])
    return buf.getvalue()


def trace_json(trace, model_name: str = "") -> str:
    """The whole Trace as JSON: tokens, outputs and every layer's arrays as nested lists."""
    layers = []
    for layer in trace.layers:
        arrays = {
            name: getattr(layer, name).tolist()
            for name in ("input", "h_prev", "preactivation", "c_prev", "input_gate", "forget_gate",
                         "candidate", "output_gate", "cell", "hidden")
            if getattr(layer, name) is not None
        }  # fmt: skip
        layers.append(arrays)
    doc = {
        "model": model_name,
        "task": trace.task,
        "cell_type": trace.cell_type,
        "tokens": list(trace.tokens),
        "token_ids": [int(i) for i in trace.token_ids],
        "output_labels": list(trace.output_labels),
        "probs": trace.probs.tolist(),
        "unknown": [u.to_dict() for u in trace.unknown],
        "gate_order_in_preactivation": list(cell.GATES),
        "layers": layers,
    }
    return json.dumps(doc)
