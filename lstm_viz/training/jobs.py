"""Background training jobs for the Train page: one per session, a few per server, polled.

A page script must return quickly, so a training run lives in a thread owned by the
process-wide :class:`JobManager` (``manager()``), not in the page. The page starts a job from
a :class:`~lstm_viz.training.runspec.RunSpec` (the same specification the command line builds), then
polls ``job.snapshot()`` (a copy taken under a lock) from an
``st.fragment(run_every=...)``; navigating away or closing the tab leaves the thread running,
and the model lands in the user model folder (``zoo.user_dir()/name``) either way.

Rules, each enforced here and tested in tests/unit/test_jobs.py:

- one running job per session id (a second start says so);
- at most ``LSTM_VIZ_MAX_JOBS`` (default 2) running jobs in the server, else :class:`BusyError`
  ("busy, try again in a few minutes");
- the job builds its own :class:`~lstm_viz.engine.network.SequenceModel` through
  :func:`lstm_viz.training.train.train`; it never sees the cached, shared models of the zoo;
- Stop sets the job's ``threading.Event``: the loop ends after the current step and saves the
  weights it has (``train`` writes a checkpoint atomically at every evaluation, so a crash
  keeps the last good one); a crashed job keeps its error message for the page.

CPU threads. ``torch.set_num_threads`` is documented as process-wide, but with the OpenMP
backend that torch uses on Linux the intra-op thread count is a per-thread setting (the
OpenMP ICV of the calling thread; checked in tests/unit/test_jobs.py: a job thread that sets 1
leaves the server threads at their default). So each job calls it from its own thread (via
``TrainConfig(threads=...)``) with ``threads_per_job()``: the cores left after one for the
server, shared among the allowed jobs (``LSTM_VIZ_TRAIN_THREADS`` overrides). The job thread
also lowers its own scheduling priority (``LSTM_VIZ_TRAIN_NICE``, default 10; Linux nice
values are per thread and inherited by the OpenMP workers it starts), so the threads that
draw other users' pages win the CPU when both want it.

Command-line parity: a job trains ``spec.build()``, exactly what ``python -m lstm_viz train``
builds from ``spec.command()``, which the card records, so every page run can be repeated from
the shell.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from lstm_viz.store import reservation, zoo
from lstm_viz.training import runspec
from lstm_viz.training.runspec import RunSpec

DEFAULT_MAX_JOBS = 2
MAX_HISTORY = 2000  # loss points kept for the curves (steps are logged every 10 updates)


class BusyError(RuntimeError):
    """The server already runs its limit of training jobs."""


def max_jobs() -> int:
    """Server-wide limit on running jobs (env ``LSTM_VIZ_MAX_JOBS``, default 2, at least 1)."""
    try:
        return max(1, int(os.environ.get("LSTM_VIZ_MAX_JOBS", DEFAULT_MAX_JOBS)))
    except ValueError:
        return DEFAULT_MAX_JOBS


def threads_per_job() -> int:
    """CPU threads for one job: one core stays with the server, the rest is shared by the jobs."""
    override = os.environ.get("LSTM_VIZ_TRAIN_THREADS")
    if override and override.isdigit() and int(override) > 0:
        return int(override)
    spare = max(1, (os.cpu_count() or 2) - 1)
    return max(1, spare // max_jobs())


def device_label() -> str:
    """Where a job would train: the GPU's name, or the CPU with the threads one job gets."""
    import platform

    import torch

    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU ({platform.machine()}, {threads_per_job()} thread{'s' * (threads_per_job() != 1)} per job)"


def eval_interval(steps: int | None, on_gpu: bool) -> int:
    """Steps between evaluations: about ten per step budget, or a fixed rhythm for a time budget."""
    if steps:
        return min(500, max(10, steps // 10))
    return 200 if on_gpu else 50  # CPU: one evaluation (and sample) every 10 to 30 seconds


def format_duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a job's progress, safe to read from any thread."""

    name: str
    status: str  # "preparing" | "running" | "stopping" | "done" | "stopped" | "failed"
    device: str = ""
    num_parameters: int = 0
    vocab_size: int = 0
    description: str = ""
    step: int = 0
    total_steps: int | None = None
    progress: float = 0.0  # 0..1, by steps or time, whichever is further
    elapsed: float = 0.0
    seconds_left: float | None = None
    tokens_per_s: float = 0.0
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, training loss)
    evals: list[tuple[int, float]] = field(default_factory=list)  # (step, held-out loss)
    sample: str | None = None  # text sampled at the latest evaluation (character models)
    sample_step: int | None = None
    metrics: dict = field(default_factory=dict)  # the latest evaluation's metrics
    error: str | None = None
    saved: bool = False  # a checkpoint exists in the user model folder
    finished: tuple = ()  # runs done so far: {"name", "card", "losses"} each (a race has several)
    phase: str = "starting"  # what a preparing job is doing ("reading the data", "building the model", ...)

    def curves(self) -> tuple[list[int], list[float], list[int], list[float]]:
        """(training steps, training losses, evaluation steps, held-out losses) for the plot."""
        return (
            [step for step, _ in self.losses],
            [loss for _, loss in self.losses],
            [step for step, _ in self.evals],
            [loss for _, loss in self.evals],
        )

    @property
    def active(self) -> bool:
        return self.status in ("preparing", "running", "stopping")


class Job:
    """One training run in its own thread; the page reads it only through :meth:`snapshot`."""

    def __init__(
        self, session_id: str, spec: RunSpec, out_dir: Path | None = None, then=(), discard: bool = False, scratch=None
    ):
        self.session_id = session_id
        self.spec = spec
        self.out_dir = out_dir or zoo.user_dir() / spec.name
        self.claimed = out_dir is None  # a new user model: its folder is claimed on disk (lstm_viz.store.reservation)
        self.runs = [(spec, self.out_dir), *then]  # one run, or several one after another (a race)
        self.discard = discard  # remove the runs' folders at the end (their cards stay in the snapshot)
        self.scratch = scratch  # a temporary folder the job owns (a race's), removed with everything in it at the end
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._run_index = 0
        self._started = time.monotonic()
        self._state = Snapshot(name=spec.name, status="preparing", total_steps=spec.overrides.get("steps"))
        self.thread = threading.Thread(target=self._run, name=f"train-{spec.name}", daemon=True)

    def snapshot(self) -> Snapshot:
        with self._lock:
            s = self._state
            elapsed = time.monotonic() - self._started if s.status == "preparing" else s.elapsed
            return replace(s, losses=list(s.losses), evals=list(s.evals), metrics=dict(s.metrics), elapsed=elapsed)

    def stop(self) -> None:
        self.stop_event.set()
        self._update(lambda s: {"status": "stopping"} if s.active else {})

    def _update(self, change) -> None:
        with self._lock:
            fields = change(self._state)
            if fields:
                self._state = replace(self._state, **fields)

    def _on_event(self, event: str, info: dict) -> None:
        """``train``'s callback; runs in the job thread."""
        if event == "start":
            self._update(
                lambda s: {
                    "status": "stopping" if self.stop_event.is_set() else "running",
                    "device": info["device"],
                    "num_parameters": info["num_parameters"],
                    "vocab_size": len(info["vocab"]),
                    "description": info["description"],
                }
            )
        elif event == "step":
            p, elapsed = (self._run_index + info["progress"]) / len(self.runs), info["elapsed"]
            left = elapsed * (1 - p) / p if p > 0 else None

            def step_fields(s: Snapshot) -> dict:
                losses = (s.losses + [(info["step"], info["loss"])])[-MAX_HISTORY:]
                return {
                    "step": info["step"],
                    "progress": p,
                    "elapsed": elapsed,
                    "seconds_left": left,
                    "tokens_per_s": info["tokens_per_s"],
                    "losses": losses,
                }

            self._update(step_fields)
        elif event == "eval":
            metrics = {k: v for k, v in info.items() if k not in ("sample", "final")}

            def eval_fields(s: Snapshot) -> dict:
                out = {"metrics": metrics, "saved": True, "elapsed": info["elapsed"], "step": max(s.step, info["step"])}
                if isinstance(info.get("val_loss"), float) and math.isfinite(info["val_loss"]):
                    kept = [e for e in s.evals if e[0] != info["step"]]  # the final eval may repeat a step
                    out["evals"] = kept + [(info["step"], info["val_loss"])]
                if "sample" in info:
                    out["sample"], out["sample_step"] = info["sample"], info["step"]
                return out

            self._update(eval_fields)

    def _run(self) -> None:
        try:
            self._train_all()
        finally:
            if self.claimed:
                reservation.release(self.out_dir)
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)

    def _train_all(self) -> None:
        from lstm_viz.training.train import train

        _lower_priority()
        for index, (spec, out_dir) in enumerate(self.runs):
            self._run_index = index
            if index:  # the next run of a race starts from empty curves
                self._update(
                    lambda s, spec=spec: {"name": spec.name, "step": 0, "losses": [], "evals": [], "sample": None}
                )
            try:
                self._update(lambda s: {"phase": "reading the data and building the vocabulary"})
                data, model_config, train_config, extra = spec.build()
                phase = f"building a {model_config.num_layers}x{model_config.hidden_size} model and its first batch"
                self._update(lambda s, c=train_config, p=phase: {"total_steps": c.steps, "phase": p})
                card = train(
                    data,
                    model_config,
                    train_config,
                    out_dir,
                    name=spec.name,
                    callback=self._on_event,
                    stop=self.stop_event,
                    card_extra=extra,
                    log=lambda message: None,
                )
            except Exception as err:  # the page shows the message; the thread must not die silently
                message = f"{type(err).__name__}: {err}" if not isinstance(err, ValueError) else str(err)
                self._update(
                    lambda s, d=out_dir, m=message: {"status": "failed", "error": m, "saved": _has_checkpoint(d)}
                )
                self._clean_up()
                return
            self._update(lambda s, c=card: {"finished": (*s.finished, {"name": s.name, "card": c, "losses": s.losses})})
            if self.stop_event.is_set():
                break
        final = "stopped" if self.stop_event.is_set() else "done"
        self._update(
            lambda s: {"status": final, "progress": 1.0 if final == "done" else s.progress, "seconds_left": 0.0}
        )
        self._clean_up()

    def _clean_up(self) -> None:
        if self.discard:
            for _, out_dir in self.runs:
                shutil.rmtree(out_dir, ignore_errors=True)


def _has_checkpoint(path: Path) -> bool:
    from lstm_viz.store import checkpoint

    return (path / checkpoint.WEIGHTS).is_file() and (path / checkpoint.CARD).is_file()


def _lower_priority() -> None:
    """Raise this thread's nice value (Linux: per thread, inherited by the threads it starts)."""
    try:
        nice = int(os.environ.get("LSTM_VIZ_TRAIN_NICE", "10"))
        if nice > 0 and hasattr(os, "setpriority"):
            current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, current + nice))
    except (OSError, ValueError):
        pass  # not permitted or not supported: the thread cap alone still applies


class JobManager:
    """Every training job of this server process; thread-safe."""

    def __init__(self, limit: int | None = None):
        self.limit = limit
        self._jobs: dict[str, Job] = {}  # session id -> its latest job
        self._lock = threading.Lock()

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.thread.is_alive()]

    def training_names(self) -> set[str]:
        """Names of models being written by a running job (they cannot be deleted meanwhile)."""
        return {j.spec.name for j in self.running()}

    def get(self, session_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(session_id)

    def start(
        self, session_id: str, spec: RunSpec, out_dir: Path | None = None, then=(), discard=False, scratch=None
    ) -> Job:
        """Start a job for this session; ValueError for a bad request, BusyError when full.

        ``out_dir`` (default: the user model folder ``zoo.user_dir()/name``, whose name must be
        new) lets a page train somewhere else, such as a temporary folder for a classroom race;
        ``then`` lists more (spec, out_dir) runs to train after it, in the same job. ``scratch`` is
        a temporary folder the job takes over (a race's): removed when the job ends, or at once
        when it cannot start.
        """
        try:
            return self._start(session_id, spec, out_dir, then, discard, scratch)
        except BaseException:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            raise

    def _start(self, session_id: str, spec: RunSpec, out_dir, then, discard, scratch) -> Job:
        limit = self.limit or max_jobs()
        with self._lock:
            current = self._jobs.get(session_id)
            if current is not None and current.thread.is_alive():
                raise ValueError(f"you are already training {current.spec.name!r}: stop it first")
            alive = [j for j in self._jobs.values() if j.thread.is_alive()]
            if len(alive) >= limit:
                raise BusyError(
                    f"the server is busy: {len(alive)} training job{'s' if len(alive) != 1 else ''} "
                    f"already running (the limit is {limit}); try again in a few minutes"
                )
            if out_dir is None:
                runspec.check_new_name(spec.name)
            if spec.name in {j.spec.name for j in alive}:
                raise ValueError(f"a model called {spec.name!r} is being trained right now; choose another name")
            if not spec.overrides.get("threads"):  # the job's share of the cores (see threads_per_job)
                spec = replace(spec, overrides={**spec.overrides, "threads": threads_per_job()})
            job = Job(session_id, spec, out_dir, then, discard, scratch)
            if job.claimed:  # one claim on disk, so that a replica sharing the folder cannot take the name
                reservation.claim(job.out_dir)
            self._jobs[session_id] = job
            job.thread.start()
        return job

    def stop(self, session_id: str) -> None:
        job = self.get(session_id)
        if job is not None:
            job.stop()

    def forget(self, session_id: str) -> None:
        """Drop a finished job from the session (the saved model stays)."""
        with self._lock:
            job = self._jobs.get(session_id)
            if job is not None and not job.thread.is_alive():
                del self._jobs[session_id]

    def wait(self, session_id: str, timeout: float | None = None) -> Snapshot | None:
        """Block until the session's job ends (tests and the command line)."""
        job = self.get(session_id)
        if job is None:
            return None
        job.thread.join(timeout)
        return job.snapshot()


_MANAGER: JobManager | None = None
_MANAGER_LOCK = threading.Lock()


def manager() -> JobManager:
    """The process-wide job manager (one per server, shared by every session)."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            _MANAGER = JobManager()
        return _MANAGER


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until true or ``timeout`` seconds pass (tests use it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
