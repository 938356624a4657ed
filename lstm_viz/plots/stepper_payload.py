"""What the browser-side stepper needs of one layer of a Trace, as JSON-ready data: exact float32, sent in chunks.

The Step Through page steps, plays and hovers in the browser (:mod:`lstm_viz.ui.stepper`); the server
sends it the shown layer once. :func:`layer_payload` builds everything that does not depend on the
step: the tokens, the unit orderings, the colour ranges, the model's output at every step, the
palettes of :mod:`.colours` and the words of :mod:`.wording` (those of the server-side views).
The layer's values (every quantity of every unit at every step) travel in chunks of consecutive
steps (:func:`encode_chunk`), so a long text reaches the browser around the current step first and
the rest as the reader moves on.

Values are exactly the Trace's float32, never rounded: the little-endian bytes of a chunk are
regrouped by position (all first bytes, then all second bytes, ...: sign and exponent bytes repeat,
so they compress), deflated (zlib) and base64-encoded; the browser inflates them with
``DecompressionStream("deflate")``. Smaller arrays are plain base64 of their little-endian bytes.

Pure functions: a Trace in, dicts of str, int, float and lists out. No HTML: every string is
shown by the browser as text, never parsed as markup.
"""

from __future__ import annotations

import base64
import hashlib
import math
import zlib

import numpy as np

from lstm_viz.analysis import search
from lstm_viz.engine import cell
from lstm_viz.messages import cut
from lstm_viz.plots import colours, diagram
from lstm_viz.plots.html import visible
from lstm_viz.plots.wording import TEXT, say

FORMAT = 2  # bumped when the layout below changes, so a cached page never misreads new data
CHUNK_BYTES = 192 * 1024  # float32 bytes of one chunk at most: 32 steps of the 2x256 model (~210 KB sent)
WHOLE_BYTES = 512 * 1024  # a layer this small (all steps) is sent at once: no chunk is ever asked for
MARGIN = (32, 64)  # steps kept loaded before / after the current one: the token strip's 30, 2 s of play at 30/s
MAX_CHUNKS_PER_SEND = 8  # a burst of requests (dragging the slider) sends at most this many chunks at a time
TOP_K = 10  # next-token bars
SPEEDS = (1, 2, 3, 5, 8, 12, 16, 24, 30)  # tokens/s of Play for the keys 1-9
DEFAULT_SPEED = 5  # tokens/s when the page opens


def _b64(array: np.ndarray, dtype: str) -> str:
    """Base64 of an array's little-endian bytes (``dtype`` such as "<f4", "<u2")."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _value_range(values: np.ndarray) -> float:
    """The half-width m of the signed colour range ±m of ``values`` (as ``colours.Scale.value_range``)."""
    return colours.SIGNED.value_range(values)[1]


def chunk_steps(n_steps: int, hidden_size: int, n_quantities: int) -> int:
    """Steps per chunk: a power of two with at most CHUNK_BYTES of values; every step when the layer is small."""
    per_step = 4 * hidden_size * n_quantities
    if per_step * n_steps <= WHOLE_BYTES:
        return max(n_steps, 1)
    return 2 ** max(4, int(math.log2(max(CHUNK_BYTES // per_step, 1))))


def chunks_around(step: int, n_steps: int, chunk: int, margin: tuple[int, int] = MARGIN, window: int = 0) -> list[int]:
    """The chunks holding steps ``step - margin[0]`` to ``step + margin[1]`` (clipped to the text), and all of
    the token strip's ``window`` of tokens, which near the end of the text reaches further back."""
    first = max(0, min(step - margin[0], n_steps - window)) // chunk
    last = min(n_steps - 1, step + margin[1]) // chunk
    return list(range(first, last + 1))


def entry_rows(layer) -> tuple[str, ...]:
    """The state entering each chunk that the cell diagram needs: c_{t-1} and h_{t-1} of an LSTM, h_{t-1} else."""
    return layer.spec.entry


def encode_chunk(layer, index: int, chunk: int) -> str:
    """Chunk ``index``: steps [index*chunk, (index+1)*chunk) of every quantity, deflated, base64.

    Layout of the float32 values, before the byte regrouping: for each quantity of
    ``layer.quantities()`` in order, its rows of the chunk's steps (n, H); then the rows of
    :func:`entry_rows` at the chunk's first step (1, H) each.
    """
    quantities = layer.quantities()
    n_steps = len(next(iter(quantities.values())))
    start, end = index * chunk, min(n_steps, (index + 1) * chunk)
    if not 0 <= start < end:
        raise ValueError(f"chunk {index} of {chunk} steps is outside the text's {n_steps} steps")
    parts = [values[start:end] for values in quantities.values()]
    parts += [getattr(layer, name)[start : start + 1] for name in entry_rows(layer)]
    values = np.concatenate([np.ascontiguousarray(p, dtype="<f4").ravel() for p in parts])
    regrouped = values.view(np.uint8).reshape(-1, 4).T.tobytes()  # byte k of every value, k = 0..3
    return base64.b64encode(zlib.compress(regrouped, 6)).decode("ascii")


def decode_chunk(encoded: str) -> np.ndarray:
    """The float32 values of :func:`encode_chunk` (what the browser does, for tests and tools)."""
    regrouped = np.frombuffer(zlib.decompress(base64.b64decode(encoded)), np.uint8)
    return np.ascontiguousarray(regrouped.reshape(4, -1).T).view("<f4").ravel()


def _output(trace) -> dict:
    """The model's output at every step: top-k next tokens (language models) or every class probability."""
    probs = np.asarray(trace.probs, dtype=np.float32)  # (T, V) or (T, C)
    labels = list(trace.output_labels)
    if trace.task != "charlm":
        return {
            "kind": "classes",
            "labels": [str(label) for label in labels],
            "probs": _b64(probs, "<f4"),
            "columns": trace.task == "classify" and len(trace) > 1,  # the running prediction, one column per token
            "title": TEXT["class_title"],
            "notes": [TEXT["class_predicted"], TEXT["class_length"]],
        }
    k = min(TOP_K, probs.shape[1])
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]  # (T, k): the same order as strips.next_token_bars_html
    top_probs = np.take_along_axis(probs, top, axis=1)
    used = np.unique(top)  # only the labels that ever show
    index = {label: i for i, label in enumerate(labels)}
    following = [index.get(token) for token in trace.tokens[1:]] + [None]  # the actual next token's id
    actual, rank, actual_p = [], [], []
    for t, where in enumerate(following):
        at = int(np.searchsorted(used, where)) if where is not None else len(used)
        actual.append(at if at < len(used) and used[at] == where else -1)
        rank.append(0 if where is None else int((probs[t] > probs[t, where]).sum()) + 1)
        actual_p.append(0.0 if where is None else float(probs[t, where]))
    word_level = any(len(label) > 2 for label in labels)
    return {
        "kind": "next",
        "labels": [visible(labels[i]) for i in used.tolist()],
        "quoted": [repr(visible(labels[i])) for i in used.tolist()],
        "top": _b64(np.searchsorted(used, top), "<u2"),  # (T, k) positions in "labels"
        "top_probs": _b64(top_probs, "<f4"),  # (T, k) exact
        "k": k,
        # per step: the actual next token's position in "labels" (-1: not among them) and its rank among
        # all next tokens (0: the last step, or a next token the model does not know)
        "actual": actual,
        "rank": rank,
        "actual_p": actual_p,  # its probability, written beside the bars: rank 29 is in no bar
        "title": say("next_title", what="word" if word_level else "character", k=k),
        "label_col": "max-content" if word_level else "3em",
        "notes": {"actual": TEXT["next_actual"], "unknown": TEXT["next_unknown"], "length": TEXT["next_length"]},
        "scale": 1.1,  # the longest bar is the most likely token's, 1/1.1 of the track
    }


def palette_data() -> dict:
    """Every colour the view uses, from :mod:`.colours` (the browser has no colour of its own)."""
    return {
        "shades": colours.SHADES,
        "palettes": {name: [list(pair) for pair in colours.palette(name)] for name in ("gate", "signed")},
        "highlight": colours.HIGHLIGHT,
        "neutral": colours.NEUTRAL,
        "outline": colours.OUTLINE,
        "classes": list(colours.CLASS_COLOURS),
    }


def layer_payload(trace, layer_index: int, key: str, window: int) -> dict:
    """Everything but the values of layer ``layer_index`` of ``trace`` (those are :func:`encode_chunk`).

    ``key`` names the (model, text, layer) this comes from; the payload's ``id`` is its hash, so the
    browser knows when it is looking at something new. ``window``: tokens of the token strip around
    the current step (the chunks kept loaded around it must cover them).
    """
    if window // 2 > min(MARGIN):
        raise ValueError(f"a token strip of {window} tokens needs chunks {window // 2} steps around the step")
    layer = trace.layers[layer_index]
    quantities, kind = layer.quantities(), layer.kind
    n_steps, hidden_size = len(trace), layer.hidden_size
    chunk = chunk_steps(n_steps, hidden_size, len(quantities))
    ranked = layer.spec.state
    described, strip_range, row_range = [], {}, {}
    for name, values in quantities.items():
        fixed = colours.quantity_range(name) if cell.QUANTITY[name].kind != "unbounded" else None
        described.append(
            {
                "name": name,
                "symbol": cell.symbol(name),
                "label": cell.QUANTITY[name].label,
                "title": cell.title(name),
                "scale": colours.for_quantity(name).name,
                "range": list(fixed) if fixed else None,
            }
        )
        if fixed is None:  # ± the largest magnitude: of each unit over the text (token strip), of each step (strip)
            strip_range[name] = _b64([_value_range(values[:, u]) for u in range(hidden_size)], "<f4")
            row_range[name] = _b64([_value_range(values[t]) for t in range(n_steps)], "<f4")
    orders = {
        by: None if by == "index" else _b64(search.unit_order(quantities[ranked], by), "<u2") for by in search.ORDERINGS
    }
    return {
        "format": FORMAT,
        "id": hashlib.sha256(key.encode("utf-8")).hexdigest()[:20],
        "task": trace.task,
        "layer": layer_index,
        "n_steps": n_steps,
        "hidden_size": hidden_size,
        "tokens": [visible(t) for t in trace.tokens],
        "quoted": [repr(cut(visible(t), 24)) for t in trace.tokens],  # as titles and notes quote a token
        "reprs": [repr(t) for t in trace.tokens],  # as the hover text and the diagram's x_t show it
        "breaks": [t for t, token in enumerate(trace.tokens) if token == "\n"],
        "unknown": [[u.position, visible(u.replacement)] for u in trace.unknown],
        "quantities": described,
        "strip_range": strip_range,
        "row_range": row_range,
        "orders": orders,
        "order_label": f"Order units by (their {cell.QUANTITY[ranked].label} over the whole text)",
        # the kind's cell diagram (stepper.html holds one <template data-diagram=KIND> per kind): its slots and boxes
        "diagram": {"kind": kind, "slots": list(diagram.SLOTS[kind]), "boxes": list(diagram.BOXES[kind])},
        "chunks": {
            "steps": chunk,
            "count": -(-n_steps // chunk),
            "margin": list(MARGIN),
            "entry": list(entry_rows(layer)),
        },
        "output": _output(trace),
        "colours": palette_data(),
        "speeds": list(SPEEDS),
        "speed": DEFAULT_SPEED,
        "window": window,
        "text": TEXT,
    }


def initial_chunks(payload: dict, step: int) -> list[int]:
    """The chunks to send with the payload for a view at ``step``."""
    spec = payload["chunks"]
    return chunks_around(step, payload["n_steps"], spec["steps"], tuple(spec["margin"]), payload["window"])
