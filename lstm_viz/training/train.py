"""The training loop: one loop for every task, no Streamlit inside.

``train(data, model_config, train_config, out_dir, callback=..., stop=...)`` trains a
:class:`~lstm_viz.engine.network.SequenceModel` on a task data object (see :mod:`lstm_viz.data`),
evaluates on held-out data periodically, and writes ``model.safetensors`` + ``card.json``
atomically at every evaluation and at the end, so an interrupted run keeps its last good
checkpoint. Pages and the command line watch progress through ``callback(event, info)``
(events "start", "step", "eval", "end") and stop it with a ``threading.Event``. A few
checkpoints along the way (step 0, then log-spaced) go to the model's ``history/`` for gates
over training (:mod:`lstm_viz.store.history`).

Several processes: under ``torchrun`` the same loop trains one model with DistributedDataParallel,
each process on its slice of the global batch, rank 0 alone evaluating, saving and logging
(:mod:`lstm_viz.training.distributed`; docs/scale.md).

Device: :func:`pick_device` chooses CUDA when present. On CUDA the fused cuDNN LSTM runs
under bf16 autocast (fp16 with a gradient scaler where bf16 is missing), batches come from
pinned memory, and ``cudnn.benchmark`` is on.

Long runs: ``stream=True`` reads the training text as parallel streams with the state carried
between batches (truncated back-propagation; the data must offer ``stream_batch``);
``save_every_minutes`` writes a resume state (:mod:`lstm_viz.training.resume`) that often and when the run
stops, and ``train(..., resume=True)`` continues from it exactly, the card listing every resume.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.generation import generate
from lstm_viz.store import checkpoint, history
from lstm_viz.training import distributed
from lstm_viz.training import resume as resume_state


@dataclass(frozen=True)
class TrainConfig:
    steps: int | None = None  # stop after this many updates (None: only the time budget)
    minutes: float | None = None  # stop after this much wall time (None: only the step count)
    batch_size: int = 32
    lr: float = 3e-3  # peak learning rate for AdamW
    min_lr_ratio: float = 0.1  # cosine decay ends at lr * min_lr_ratio
    warmup_steps: int = 50  # linear warm-up from 0 avoids early divergence of Adam
    weight_decay: float = 0.01
    grad_clip: float = 1.0  # recurrent nets explode now and then; clip the global norm
    eval_every: int = 200  # steps between held-out evaluations and checkpoints
    seed: int = 1337
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    threads: int | None = None  # CPU threads for torch (None: leave torch's default)
    amp: bool = True  # autocast on CUDA; ignored on the CPU
    sample_chars: int = 200  # text sampled at each evaluation of a character LM (0: none)
    checkpoints: int = 8  # weights kept along the way (history/), the final ones included; 0 or 1: none
    stream: bool = False  # read the text as batch_size streams, the state carried (data.stream_batch)
    save_every_minutes: float | None = None  # write a resume state this often (and when stopped)
    eval_full: bool = False  # every evaluation on the whole held-out set (not only the final one)
    eval_every_minutes: float | None = None  # also evaluate when this much time has passed since the last one
    init_from: str | None = None  # a trained model's folder whose weights start the run (same model, same vocabulary)

    def __post_init__(self) -> None:
        if self.steps is None and self.minutes is None:
            raise ValueError("give a step count or a time budget in minutes (or both)")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps}")
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError(f"minutes must be positive, got {self.minutes}")
        if self.checkpoints < 0:
            raise ValueError(f"checkpoints must be 0 or more, got {self.checkpoints}")


def pick_device(preference: str = "auto") -> torch.device:
    """'auto' picks CUDA when there is a GPU, else the CPU; asking for CUDA without one fails."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA GPU is available")
    if preference not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {preference!r}")
    return torch.device(preference)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU ({platform.machine()}, {torch.get_num_threads()} threads)"


def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def learning_rate(cfg: TrainConfig, training_step: int, progress: float) -> float:
    """Linear warm-up, then cosine decay over ``progress`` (0..1, steps or time, whichever is further)."""
    if training_step < cfg.warmup_steps:
        return cfg.lr * (training_step + 1) / cfg.warmup_steps
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine)


def library_versions() -> dict:
    import safetensors

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
    }


def make_card(data, model_config: ModelConfig, train_config: TrainConfig, name: str, extra: dict) -> dict:
    """The card without metrics: everything a reader needs to rebuild and reproduce the model."""
    return {
        "name": name,
        "title": extra.get("title", name),
        "description": extra.get("description", ""),
        "task": model_config.task,
        "cell": model_config.cell,
        "tokenizer": data.tokenizer.to_dict(),
        "labels": data.labels,
        "sample_texts": [data.sample_text] if getattr(data, "sample_text", None) else [],  # what to open it with
        **({"styles": data.styles} if getattr(data, "styles", None) else {}),  # label -> the symbol that opens it
        "embed_dim": model_config.embed_dim,
        "hidden_size": model_config.hidden_size,
        "num_layers": model_config.num_layers,
        "num_parameters": None,
        "metrics": {},
        "training": {
            "command": extra.get("command") or " ".join(["python", "-m", "lstm_viz", *sys.argv[1:]]),
            "preset": extra.get("preset"),
            "data": data.description,
            "data_sha256": data.data_sha256,
            "dropout": model_config.dropout,
            **({"tied_embeddings": True} if model_config.tied else {}),  # saved as two equal tensors all the same
            **({"io_dropout": model_config.io_dropout} if model_config.io_dropout else {}),
            "config": asdict(train_config),
            "versions": library_versions(),
        },
    }


def _autocast(device: torch.device, enabled: bool):
    if device.type != "cuda" or not enabled:
        return torch.autocast("cpu", enabled=False)
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def train(
    data,
    model_config: ModelConfig,
    train_config: TrainConfig,
    out_dir: str | Path,
    name: str | None = None,
    callback=None,
    stop: threading.Event | None = None,
    card_extra: dict | None = None,
    log=print,
    resume: bool = False,
) -> dict:
    """Train and save; returns the final card. ``callback(event, info)`` sees every event.

    ``resume``: continue from the resume state in ``out_dir`` if there is one (else start afresh).

    Under torchrun every process calls it; rank 0 alone calls ``callback`` and ``log`` and writes
    ``out_dir``, and the others return the card without metrics.
    """
    cfg = train_config
    out_dir = Path(out_dir)
    name = name or out_dir.name
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    world = distributed.setup(pick_device(cfg.device))  # one process unless torchrun started several
    if not world.is_main:
        callback, log = None, lambda *args: None
    emit = callback or (lambda event, info: None)
    try:
        world.check_batch(cfg.batch_size)
        if cfg.stream and world.size > 1:
            raise ValueError("stream training runs in one process")
        return _train(data, model_config, cfg, out_dir, name=name, emit=emit, stop=stop, extra=card_extra or {},
                      log=log, world=world, resume=resume)  # fmt: skip
    finally:
        world.close()


def _train(data, model_config, cfg, out_dir, *, name, emit, stop, extra, log, world, resume=False) -> dict:
    """The loop of :func:`train`, in one process of ``world``."""
    device = world.device
    rng = seed_everything(cfg.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    module = SequenceModel(model_config).to(device)
    module.train()
    if world.size > 1:  # the same initial weights everywhere, but each process its own dropout masks
        torch.manual_seed(cfg.seed + world.rank)
    net = world.wrap(module)  # what the steps run; evaluation and saving use the model itself
    n_params = sum(p.numel() for p in module.parameters())
    decay = [p for n, p in module.named_parameters() if p.dim() >= 2 and not n.startswith("embedding")]
    no_decay = [p for n, p in module.named_parameters() if not (p.dim() >= 2 and not n.startswith("embedding"))]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        fused=device.type == "cuda",
    )
    use_scaler = device.type == "cuda" and cfg.amp and not torch.cuda.is_bf16_supported()
    scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
    card = make_card(data, model_config, cfg, name, extra)
    card["num_parameters"] = n_params
    where = device_name(device) + (f", {world.size} processes" if world.size > 1 else "")
    card["training"].update({"device": where, "world_size": world.size, "global_batch_size": cfg.batch_size})
    history_writer = history.HistoryWriter(out_dir, cfg.checkpoints if world.is_main else 0, cfg.steps, log=log)

    sample_x, _ = data.batch(cfg.batch_size, np.random.default_rng(0))
    tokens_per_step = int(sample_x.numel())
    log(f"device: {where}")
    log(f"data: {data.description}")
    log(
        f"model: {model_config.cell.upper()} {model_config.num_layers}x{model_config.hidden_size}, "
        f"embed {model_config.embed_dim}, {n_params:,} parameters"
    )
    split = f", {sample_x.shape[0] // world.size} rows in each of {world.size} processes" if world.size > 1 else ""
    log(f"tokens per step: {tokens_per_step:,} (batch {sample_x.shape[0]} x length {sample_x.shape[1]}{split})")
    emit(
        "start",
        {
            "device": where,
            "num_parameters": n_params,
            "tokens_per_step": tokens_per_step,
            "vocab": data.tokenizer.vocab,
            "description": data.description,
        },
    )

    if cfg.init_from:
        origin = resume_state.initialise(module, Path(cfg.init_from), data.tokenizer, model_config)
        card["training"]["initialised_from"] = origin
        log(f"weights from {cfg.init_from} (its step {origin.get('steps')})")

    start = time.perf_counter()
    training_step, tokens_seen, best_metrics, interrupted = 0, 0, {}, False
    evals: list[dict] = []
    last_loss = math.nan
    carried, resumes = None, []
    saved = resume_state.load(out_dir) if resume and world.is_main else None
    if saved is not None:
        tensors, state = saved
        resume_state.check_same_run(state, model_config.to_dict(), asdict(cfg), data.data_sha256, data.description)
        carried = resume_state.restore(tensors, state, module, optimizer, rng)
        training_step, tokens_seen = state["step"], state["tokens_seen"]
        last_loss, evals = state["last_loss"], state["evals"]
        history_writer.entries = state["checkpoints"]
        resumes = [*state["resumes"], {"at": datetime.now(UTC).isoformat(timespec="seconds"),
                                       "from_step": training_step, "after_seconds": round(state["elapsed"], 1),
                                       "device": where}]  # fmt: skip
        start -= state["elapsed"]
        log(f"resumed from step {training_step:,} after {state['elapsed']:.0f}s of training (resume {len(resumes)})")
    elif resume:
        log(f"no resume state in {out_dir}: starting afresh")
    card["training"]["resumes"] = resumes
    last_resume_save = last_eval = session_start = time.perf_counter()
    session_tokens = tokens_seen

    def save_resume() -> None:
        nonlocal last_resume_save
        info = {"step": training_step, "tokens_seen": tokens_seen, "last_loss": last_loss, "evals": evals,
                "elapsed": time.perf_counter() - start, "resumes": resumes, "checkpoints": history_writer.entries,
                "model_config": model_config.to_dict(), "train_config": asdict(cfg),
                "data_sha256": data.data_sha256, "data": data.description}  # fmt: skip
        resume_state.save(out_dir, module, optimizer, carried, rng, info)
        last_resume_save = time.perf_counter()

    def progress() -> float:
        done = []
        if cfg.steps:
            done.append(training_step / cfg.steps)
        if cfg.minutes:
            done.append((time.perf_counter() - start) / (cfg.minutes * 60))
        return max(done)

    def evaluate_and_save(final: bool) -> dict:
        metrics = data.evaluate(module, device, full=final or cfg.eval_full)
        metrics = {k: float(v) if isinstance(v, int | float) else v for k, v in metrics.items()}
        elapsed = time.perf_counter() - start
        info = {"step": training_step, "elapsed": elapsed, "train_loss": last_loss, "final": final, **metrics}
        if cfg.sample_chars and model_config.task == "charlm":
            info["sample"] = generate.sample_text(module, data.tokenizer, cfg.sample_chars, cfg.seed)
        evals.append({k: v for k, v in info.items() if k != "sample" and isinstance(v, int | float | bool)})
        card["metrics"] = {**metrics, "measured_at_step": training_step, "final": final}
        card["checkpoints"] = list(history_writer.entries)
        card["training"].update(
            {
                "seconds": round(elapsed, 1),
                "steps": training_step,
                "tokens_seen": tokens_seen,
                "seed": cfg.seed,
                "interrupted": interrupted,
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "history": evals,
                "resumes": resumes,
            }
        )
        checkpoint.save_dir(module, card, out_dir)
        history_writer.prune()
        shown = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        log(f"{'final' if final else 'eval'} step {training_step:,} ({elapsed:.0f}s): {shown}")
        for key, value in metrics.items():  # the card holds only what the run printed
            if not isinstance(value, float):
                log(f"  {key}: {json.dumps(value)}")
        if "sample" in info:
            log(f"sample: {info['sample']!r}")
        emit("eval", info)
        return metrics

    def keep_history() -> None:
        """The weights of this step in history/, with the held-out loss of the final evaluation's kind.

        The full evaluation, not the quick one of the periodic evaluations: the checkpoints' losses
        are compared with each other and with the final model's.
        """
        module.eval()
        history_writer.save(training_step, module, data.evaluate(module, device, full=True).get("val_loss"))
        module.train()

    try:
        from tqdm.auto import tqdm

        quiet = log is not print
        bar = tqdm(total=cfg.steps, initial=training_step, desc=name, unit="step", disable=quiet, file=sys.stderr)
        if training_step == 0 and history_writer.due(0):
            keep_history()  # the untrained model: where the gates start
        while True:
            # One clock and one Stop button (rank 0's), so every process leaves at the same step.
            now, stopping = world.from_main(progress(), float(stop is not None and stop.is_set()))
            if (cfg.steps and training_step >= cfg.steps) or (cfg.minutes and now >= 1.0):
                break
            if stopping:
                interrupted = True
                break
            if cfg.stream:
                x, y, fresh = data.stream_batch(cfg.batch_size, training_step)
                carried = None if fresh else carried
            else:
                x, y = data.batch(cfg.batch_size, rng)  # the global batch; this process trains on its rows
            targets = int((y != distributed.IGNORE).sum()) if world.size > 1 else 0
            x, y = world.shard(x, y)
            if device.type == "cuda":
                x, y = x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
            lr = learning_rate(cfg, training_step, now)
            for group in optimizer.param_groups:
                group["lr"] = lr
            with _autocast(device, cfg.amp):
                logits, state = net(x, carried) if cfg.stream else net(x)
            if cfg.stream:  # the next batch continues these rows: carry the state, not its history
                carried = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), ignore_index=distributed.IGNORE)
            if world.size > 1:
                loss = world.share(loss, logits, int((y != distributed.IGNORE).sum()), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(module.parameters(), cfg.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            training_step += 1
            tokens_seen += int(x.numel()) * world.size
            if training_step % 10 == 0 or training_step == 1:
                last_loss = world.total(loss.item())
                elapsed = time.perf_counter() - start
                tps = (tokens_seen - session_tokens) / max(time.perf_counter() - session_start, 1e-9)  # this process
                bar.set_postfix(loss=f"{last_loss:.3f}", tok_s=f"{tps:,.0f}")
                emit(
                    "step",
                    {
                        "step": training_step,
                        "loss": last_loss,
                        "lr": lr,
                        "tokens_per_s": tps,
                        "elapsed": elapsed,
                        "progress": min(progress(), 1.0),
                    },
                )
            bar.update(1)
            due = training_step % cfg.eval_every == 0 or (
                cfg.eval_every_minutes and time.perf_counter() - last_eval >= cfg.eval_every_minutes * 60
            )
            if world.is_main and due:
                module.eval()
                best_metrics = evaluate_and_save(final=False)
                module.train()
                last_eval = time.perf_counter()  # minutes of training between evaluations, not of evaluating
            # Listed by the next card written: until then these are the model's own weights.
            if history_writer.due(training_step):
                keep_history()
            if cfg.save_every_minutes and time.perf_counter() - last_resume_save >= cfg.save_every_minutes * 60:
                save_resume()
        bar.close()
        if cfg.save_every_minutes and world.is_main:
            save_resume()  # before the last evaluation: a stop signal may be followed by a kill
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: keeping the last good checkpoint")
        if world.is_main and (out_dir / checkpoint.CARD).is_file():
            # The card of the weights on disk (those of the last eval), not the one in memory: the
            # interrupt may have cut a save short, which then left the previous pair in place.
            card = checkpoint.read_pair(out_dir).card
            card["training"]["interrupted"] = True
            checkpoint.write_card(card, out_dir)
            emit("end", {"interrupted": True, "card": card})
            return card
    if not world.is_main:
        return card
    module.eval()
    history_writer.drop(training_step)  # a time budget may end on a kept step: the last weights are the model's own
    best_metrics = evaluate_and_save(final=not interrupted)
    elapsed = time.perf_counter() - start
    log(
        f"done: {training_step:,} steps, {tokens_seen:,} tokens in {elapsed:.0f}s "
        f"({tokens_seen / max(elapsed, 1e-9):,.0f} tokens/s); saved to {out_dir}"
    )
    emit("end", {"interrupted": interrupted, "card": card, "metrics": best_metrics})
    return card


def default_threads() -> int:
    """Leave one core for the server when training inside the app."""
    return max(1, (os.cpu_count() or 2) - 1)
