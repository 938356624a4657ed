"""Training on a CUDA GPU (cuDNN LSTM, bf16 autocast) and tracing what it learnt.

Skipped only when ``torch.cuda.is_available()`` is False; on a machine with a GPU it trains a
few steps with AMP, then checks that the CPU trace of the CUDA-trained weights matches the
model's own forward pass on the GPU, and the oracle on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lstm_viz.data.corpus import CharCorpus
from lstm_viz.engine.network import ModelConfig
from lstm_viz.engine.trace import trace
from lstm_viz.store import checkpoint
from lstm_viz.training.train import TrainConfig, train

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
]


def test_cuda_amp_training_and_trace_of_the_trained_weights(tmp_path):
    data = CharCorpus.shakespeare(seq_len=64)
    events = []
    model_config = ModelConfig(
        vocab_size=len(data.tokenizer), num_outputs=data.num_outputs, embed_dim=32, hidden_size=128, num_layers=2
    )
    train_config = TrainConfig(
        steps=60, batch_size=64, lr=1e-2, warmup_steps=10, eval_every=30, device="cuda", amp=True, sample_chars=20
    )
    card = train(
        data, model_config, train_config, tmp_path / "gpu", callback=lambda e, i: events.append((e, i)), log=print
    )
    assert card["training"]["device"] == torch.cuda.get_device_name(0)
    assert card["metrics"]["final"] is True and card["metrics"]["val_loss"] < np.log(65) - 0.8
    losses = [info["loss"] for event, info in events if event == "step"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]

    module, _ = checkpoint.load_dir(tmp_path / "gpu")  # float32 weights on the CPU
    ids = data.val_ids[:300]
    tr = trace(module, ids.numpy())

    # the same weights, run by nn.LSTM (cuDNN) on the GPU in float32
    gpu = module.to("cuda")
    with torch.no_grad(), torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
        emb = gpu.embedding(ids.to("cuda"))[None]
        out, (h_n, c_n) = gpu.rnn(emb)
        logits, _ = gpu(ids.to("cuda")[None])
    assert np.abs(tr.layers[-1].hidden - out[0].cpu().numpy()).max() <= 1e-4  # cuDNN float32 vs CPU float32
    for k in range(2):
        assert np.abs(tr.layers[k].cell[-1] - c_n[k, 0].cpu().numpy()).max() <= 1e-4
    probs = torch.softmax(logits[0].float(), -1).cpu().numpy()
    assert np.abs(tr.probs - probs).max() <= 1e-4

    # and the CPU oracle on every step of layer 0, through nn.LSTMCell
    module = module.to("cpu")
    cell = nn.LSTMCell(module.config.embed_dim, module.config.hidden_size)
    cell.load_state_dict({n: getattr(module.rnn, f"{n}_l0") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    h = c = torch.zeros(1, module.config.hidden_size)
    with torch.no_grad():
        for t, x in enumerate(module.embedding(ids)):
            h, c = cell(x[None], (h, c))
            assert np.abs(tr.layers[0].hidden[t] - h[0].numpy()).max() <= 1e-5
            assert np.abs(tr.layers[0].cell[t] - c[0].numpy()).max() <= 1e-5


def test_cuda_autocast_uses_bf16_where_supported():
    from lstm_viz.training.train import _autocast

    with _autocast(torch.device("cuda"), True):
        y = torch.ones(2, 2, device="cuda") @ torch.ones(2, 2, device="cuda")
    assert y.dtype == (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
