r"""One LSTM step, written as the textbook equations, on PyTorch's packed weights.

This is the reference a student reads. :mod:`lstm_viz.trace` computes the same values
vectorised over time, and the oracle test checks both against ``torch.nn.LSTM``.

.. math::

    f_t &= \sigma(W_f \cdot [h_{t-1}, x_t] + b_f)          \quad\text{forget gate}\\
    i_t &= \sigma(W_i \cdot [h_{t-1}, x_t] + b_i)          \quad\text{input gate}\\
    g_t &= \tanh(W_g \cdot [h_{t-1}, x_t] + b_g)           \quad\text{candidate } \tilde C_t\\
    C_t &= f_t \odot C_{t-1} + i_t \odot g_t               \quad\text{cell state}\\
    o_t &= \sigma(W_o \cdot [h_{t-1}, x_t] + b_o)          \quad\text{output gate}\\
    h_t &= o_t \odot \tanh(C_t)                            \quad\text{hidden state}

Symbols: ``x_t`` the input at step t (an embedding vector, or the hidden state of the layer
below), ``h_{t-1}`` and ``C_{t-1}`` the previous hidden and cell state, ``σ`` the logistic
sigmoid, ``⊙`` elementwise product. Shapes: ``x_t`` is (D,), every other vector is (H,).

How ``W_f · [h_{t-1}, x_t] + b_f`` maps onto PyTorch's parameters: ``torch.nn.LSTM`` keeps the
four gates stacked row-wise in the order **i, f, g, o** and splits the concatenated input in
two matrices, so with ``H`` the hidden size::

    gate  rows of weight_ih / weight_hh / bias_*
    i     [0H, 1H)
    f     [1H, 2H)
    g     [2H, 3H)
    o     [3H, 4H)

    W_f · [h_{t-1}, x_t] + b_f
        = weight_hh[H:2H] @ h_{t-1} + weight_ih[H:2H] @ x_t + (bias_ih[H:2H] + bias_hh[H:2H])

``weight_ih`` is (4H, D) and ``weight_hh`` is (4H, H); PyTorch carries two bias vectors
whose sum is the single ``b`` of the equations.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

GATE_ORDER = ("input_gate", "forget_gate", "candidate", "output_gate")  # packed row order


class LSTMStep(NamedTuple):
    """Everything one step computes; each field is (H,) or (B, H)."""

    input_gate: torch.Tensor
    forget_gate: torch.Tensor
    candidate: torch.Tensor
    output_gate: torch.Tensor
    cell: torch.Tensor
    hidden: torch.Tensor


def split_gates(preactivation: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Split packed pre-activations (..., 4H) into (i, f, g, o), each (..., H)."""
    if preactivation.shape[-1] % 4:
        raise ValueError(f"expected a last dimension of 4H, got {preactivation.shape[-1]}")
    return tuple(preactivation.chunk(4, dim=-1))


def lstm_step(
    x: torch.Tensor,
    h_prev: torch.Tensor,
    c_prev: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor,
    bias_hh: torch.Tensor,
) -> LSTMStep:
    """One step of the equations above. ``x`` is (D,) or (B, D); states are (H,) or (B, H)."""
    preactivation = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (.., 4H)
    pre_i, pre_f, pre_g, pre_o = split_gates(preactivation)
    forget_gate = torch.sigmoid(pre_f)  # how much of the old cell to keep
    input_gate = torch.sigmoid(pre_i)  # how much of the candidate to write
    candidate = torch.tanh(pre_g)  # the new content on offer
    cell = forget_gate * c_prev + input_gate * candidate
    output_gate = torch.sigmoid(pre_o)  # how much of the cell to expose
    hidden = output_gate * torch.tanh(cell)
    return LSTMStep(input_gate, forget_gate, candidate, output_gate, cell, hidden)


def rnn_step(
    x: torch.Tensor,
    h_prev: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor,
    bias_hh: torch.Tensor,
) -> torch.Tensor:
    """One step of a vanilla (Elman) RNN: ``h_t = tanh(W x_t + V h_{t-1} + b)``."""
    return torch.tanh(x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh)
