"""How each kind of layer is recorded: torch's fused kernels for the hidden states, then every gate at once.

For an LSTM layer (:class:`LstmRecorder`), each span of steps runs torch's fused kernel
(``torch.lstm``, the op behind ``nn.LSTM.forward``), which gives every h_t exactly as ``nn.LSTM``
does; ``record`` derives the rest from it: the pre-activations of the whole span are one GEMM, the
gates are elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap elementwise scan.
A clamped span (an intervention) is stepped one step at a time with the equations of
:mod:`lstm_viz.engine.cell`. RNN and GRU layers are recorded in one go. Every recorder returns the fields
of a :class:`lstm_viz.engine.trace.LayerTrace` as a dict of numpy arrays.
"""

from __future__ import annotations

import os
from concurrent.futures import Future

import numpy as np
import torch

from lstm_viz.engine import cell

PARALLEL_MIN_STEPS = 64  # below this a trace takes a few ms and a thread hand-off is not worth it
SPANS = 4  # spans per layer in parallel: the last span's record is the only part not overlapped


def spare_core() -> bool:
    return torch.get_num_threads() == 1 and (os.cpu_count() or 1) > 1


class Now:
    """An executor that runs what is submitted at once (the clamped layer needs each span before the next)."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        future.set_result(fn(*args))
        return future

    def __enter__(self) -> Now:
        return self

    def __exit__(self, *exc) -> None:
        pass


class Later:
    """The sequential stand-in for the worker thread: runs what was submitted, in order, at exit.

    So without a spare core every fused kernel still runs back to back (as in ``nn.LSTM``), and
    the recording comes after them.
    """

    def __init__(self):
        self.calls: list[tuple[Future, object, tuple]] = []

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        self.calls.append((future, fn, args))
        return future

    def __enter__(self) -> Later:
        return self

    def __exit__(self, *exc) -> None:
        for future, fn, args in self.calls if exc[0] is None else ():
            future.set_result(fn(*args))


class LstmRecorder:
    """One LSTM layer's arrays, filled span by span (a span is a run of consecutive steps).

    For each span the caller runs torch's fused kernel (``torch.lstm``, the op behind
    ``nn.LSTM.forward``), which gives every h_t exactly as ``nn.LSTM`` does; ``record`` then
    derives the rest from it: the pre-activations of the whole span are one GEMM,
    ``W_ih x_t + b_ih + b_hh`` (``x_part``, computed once per layer) ``+ W_hh h_{t-1}``, the gates are
    elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap elementwise scan.
    ``record`` of one span only reads that span's rows, so it can run on another thread while
    the fused kernel runs the next span.
    """

    def __init__(self, x: torch.Tensor, weights, x_part: Future, h0: torch.Tensor, c0: torch.Tensor):
        self.x, self.weights, self.x_part = x, weights, x_part
        steps, h = len(x), weights[1].shape[1]
        # Row t of `hs` is h_{t-1}: h_prev is hs[:-1] and hidden is hs[1:]; likewise `cs` for the cell.
        self.hs = torch.empty(steps + 1, h)
        self.cs = np.empty((steps + 1, h), np.float32)
        self.hs[0], self.cs[0] = h0, c0.numpy()
        self.acts = torch.empty(steps, 4 * h)  # the gates: sigmoid of i, f, o and tanh of g, packed i, f, g, o

    @property
    def hidden(self) -> torch.Tensor:
        return self.hs[1:]

    def fused(self, start: int, end: int, h0: torch.Tensor, c0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run steps [start, end) from state (h0, c0) with the fused kernel; returns the final (h, c)."""
        state = (h0[None, None], c0[None, None])
        out, h_n, c_n = torch.lstm(self.x[None, start:end], state, self.weights, True, 1, 0.0, False, False, True)
        self.hs[start + 1 : end + 1] = out[0]
        return h_n[0, 0], c_n[0, 0]

    @torch.no_grad()
    def record(self, start: int, end: int) -> None:
        """Pre-activations, gates and cell of steps [start, end); the spans before it are recorded."""
        h = self.weights[1].shape[1]
        pre = self.x_part.result()[start:end]  # a view: the pre-activations are built in place
        pre.addmm_(self.hs[start:end], self.weights[1].T)  # (T, 4H) packed i, f, g, o
        acts = self.acts[start:end]
        torch.sigmoid(pre, out=acts)
        torch.tanh(pre[:, 2 * h : 3 * h], out=acts[:, 2 * h : 3 * h])
        gates = acts.numpy()
        cell = self.cs[start + 1 : end + 1]
        np.multiply(gates[:, :h], gates[:, 2 * h : 3 * h], out=cell)  # i_t * g_t
        for f_t, c_t, c_prev in zip(gates[:, h : 2 * h], cell, self.cs[start:end], strict=True):  # sequential
            c_t += f_t * c_prev  # c_t = f_t * c_{t-1} + i_t * g_t

    @torch.no_grad()
    def clamped(self, start: int, end: int, clamp) -> tuple[torch.Tensor, torch.Tensor]:
        """Steps [start, end) one at a time with ``clamp`` applied (cell.py's equations, in place); final (h, c)."""
        h_size = self.weights[1].shape[1]
        w_hh, pre_all, cs = self.weights[1], self.x_part.result(), torch.from_numpy(self.cs)
        gate = cell.GATES.index(clamp.quantity) if clamp.quantity in cell.GATES else None
        h, c = self.hs[start], cs[start]
        for t in range(start, end):
            pre, acts = pre_all[t], self.acts[t]
            pre.addmv_(w_hh, h)  # W_ih x_t + b_ih + b_hh + W_hh h_{t-1}, packed i, f, g, o
            torch.sigmoid(pre, out=acts)
            torch.tanh(pre[2 * h_size : 3 * h_size], out=acts[2 * h_size : 3 * h_size])
            if gate is not None:
                acts[gate * h_size + clamp.unit] = clamp.value
            c_new, h_new = cs[t + 1], self.hs[t + 1]
            torch.mul(acts[h_size : 2 * h_size], c, out=c_new).addcmul_(acts[:h_size], acts[2 * h_size : 3 * h_size])
            if clamp.quantity == "cell":
                c_new[clamp.unit] = clamp.value
            torch.tanh(c_new, out=h_new).mul_(acts[3 * h_size :])
            if clamp.quantity == "hidden":
                h_new[clamp.unit] = clamp.value
            h, c = h_new, c_new
        return h.clone(), c.clone()

    def result(self) -> dict:
        h = self.weights[1].shape[1]
        gates, hs = self.acts.numpy(), self.hs.numpy()
        return dict(
            kind="lstm",
            input=self.x.numpy(),
            h_prev=hs[:-1],
            preactivation=self.x_part.result().numpy(),
            hidden=hs[1:],  # the fused kernel's h_t; o_t * tanh(C_t) agrees to float rounding
            c_prev=self.cs[:-1],
            input_gate=gates[:, :h],
            forget_gate=gates[:, h : 2 * h],
            candidate=gates[:, 2 * h : 3 * h],
            output_gate=gates[:, 3 * h :],
            cell=self.cs[1:],
        )


@torch.no_grad()
def input_part(x: torch.Tensor, weights, embedding: torch.Tensor | None, ids: torch.Tensor | None) -> torch.Tensor:
    """``W_ih x_t + b_ih + b_hh`` for every step (T, 4H).

    For layer 0 (``embedding`` and ``ids`` given) with more steps than vocabulary entries it is a
    row lookup in the (V, 4H) table ``embedding @ W_ih.T + b``, cheaper than a (T, E) x (E, 4H) GEMM.
    """
    w_ih, _, b_ih, b_hh = weights
    if embedding is not None and ids is not None and len(ids) > len(embedding):
        return torch.addmm(b_ih + b_hh, embedding, w_ih.T)[ids]
    return torch.addmm(b_ih + b_hh, x, w_ih.T)


def clamped_hidden(kind: str, x: torch.Tensor, weights, h0: torch.Tensor, clamp) -> torch.Tensor:
    """(1, T, H) hidden states of an RNN or GRU layer stepped one at a time with h[unit] held in ``clamp``'s steps."""
    step = cell.rnn_step if kind == "rnn" else (lambda *a: cell.gru_step(*a).hidden)
    start, end = clamp.span(len(x))
    h, out = h0, []
    for t in range(len(x)):
        h = step(x[t], h, *weights)
        if start <= t < end:
            h = h.clone()
            h[clamp.unit] = clamp.value
        out.append(h)
    return torch.stack(out)[None]


def gru_layer(x: torch.Tensor, weights, h0: torch.Tensor, out: torch.Tensor | None = None) -> dict:
    """A GRU layer: h_t from the fused kernel (as nn.GRU), then the gates of all steps at once."""
    w_ih, w_hh, b_ih, b_hh = weights
    if out is None:
        out, _ = torch.gru(x[None], h0[None, None], weights, True, 1, 0.0, False, False, True)
    h_prev = torch.cat([h0[None], out[0, :-1]])
    in_r, in_z, in_n = torch.addmm(b_ih, x, w_ih.T).chunk(3, dim=1)
    h_r, h_z, h_n = torch.addmm(b_hh, h_prev, w_hh.T).chunk(3, dim=1)
    pre_r, pre_z = in_r + h_r, in_z + h_z
    reset_gate, update_gate = torch.sigmoid(pre_r), torch.sigmoid(pre_z)
    pre_n = in_n + reset_gate * h_n  # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    return dict(
        kind="gru",
        input=x.numpy(),
        h_prev=h_prev.numpy(),
        preactivation=torch.cat([pre_r, pre_z, pre_n], dim=1).numpy(),  # (T, 3H) packed r, z, n
        hidden=out[0].numpy(),
        reset_gate=reset_gate.numpy(),
        update_gate=update_gate.numpy(),
        new_gate=torch.tanh(pre_n).numpy(),
    )


def rnn_layer(x: torch.Tensor, weights, h0: torch.Tensor, out: torch.Tensor | None = None) -> dict:
    w_ih, w_hh, b_ih, b_hh = weights
    if out is None:
        out, _ = torch.rnn_tanh(x[None], h0[None, None], weights, True, 1, 0.0, False, False, True)
    h_prev = torch.cat([h0[None], out[0, :-1]])
    preactivation = torch.addmm(b_ih, x, w_ih.T) + torch.addmm(b_hh, h_prev, w_hh.T)  # (T, H)
    return dict(
        kind="rnn",
        input=x.numpy(),
        h_prev=h_prev.numpy(),
        preactivation=preactivation.numpy(),
        hidden=out[0].numpy(),  # tanh(pre-activation), except where a clamp held a unit
    )


def pieces(steps: int, span: int, held_start: int, held_end: int) -> list[tuple[int, int, str]]:
    """Consecutive (start, end, "fused" | "held") pieces of [0, steps), [held_start, held_end) held."""
    pieces = []
    for lo, hi, kind in ((0, held_start, "fused"), (held_start, held_end, "held"), (held_end, steps, "fused")):
        if kind == "held":
            if hi > lo:
                pieces.append((lo, hi, kind))
            continue
        pieces += [(s, min(s + span, hi), kind) for s in range(lo, hi, span)]
    return pieces
