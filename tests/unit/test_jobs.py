"""Background training jobs: progress, stop, crash, limits, parity with the command line, and
the promise that training never touches a cached (shared) model."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import torch

from lstm_viz.cli import main as cli_main
from lstm_viz.data.corpus import CharCorpus
from lstm_viz.store import checkpoint, reservation, usermodels, zoo
from lstm_viz.training import jobs
from lstm_viz.training.runspec import RunSpec, check_new_name
from lstm_viz.training.train import pick_device
from tests.factory import corpus_text

TINY = {"num_layers": 1, "hidden_size": 16, "batch_size": 8}


def request(name: str, **fields) -> RunSpec:
    return RunSpec(name, corpus_text=corpus_text(), corpus_name="tiny.txt", overrides={**TINY, **fields})


def test_job_trains_reports_progress_and_saves_a_loadable_user_model(home):
    main_threads = torch.get_num_threads()
    job = jobs.manager().start("s1", request("tiny", steps=30, eval_every=10))
    snap = jobs.manager().wait("s1", timeout=120)
    assert snap.status == "done", snap.error
    assert snap.step == 30 and snap.progress == 1.0 and snap.seconds_left == 0.0
    assert [s for s, _ in snap.evals] == [10, 20, 30]
    assert [s for s, _ in snap.losses] == [1, 10, 20, 30]  # train() reports every 10 steps and the first
    assert snap.tokens_per_s > 0 and snap.saved
    assert snap.device.startswith("CPU") and "1 threads" in snap.device  # the job's own thread count
    assert torch.get_num_threads() == main_threads  # ... which did not change this thread's
    assert isinstance(snap.sample, str) and len(snap.sample) > 0 and snap.sample_step == 30

    info = next(m for m in zoo.list() if m.name == "tiny")
    assert not info.shipped and info.path == home / "tiny"
    model = zoo.load("tiny")
    assert model.card["training"]["command"] == job.spec.command()
    assert model.card["training"]["steps"] == 30 and not model.card["training"]["interrupted"]
    # The held-out loss the page plotted last is what a fresh evaluation of the saved model gives.
    data = CharCorpus(corpus_text(), name="tiny.txt", tokenizer=model.tokenizer)
    fresh = data.evaluate(model.module, pick_device("cpu"), full=True)["val_loss"]
    assert fresh == pytest.approx(snap.evals[-1][1], abs=1e-5)
    assert model.card["metrics"]["val_loss"] == pytest.approx(fresh, abs=1e-5)


def test_the_page_run_is_the_command_line_run(home, tmp_path):
    """Command-line parity: the command a job records trains the same model from the shell."""
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(corpus_text(), encoding="utf-8")
    job = jobs.manager().start("s1", request("from-page", steps=20, eval_every=10))
    assert jobs.manager().wait("s1", 120).status == "done"
    argv = job.spec.command().split()[3:]  # drop "python -m lstm_viz"
    argv[argv.index("--corpus") + 1] = str(corpus)
    argv[argv.index("--name") + 1] = "from-cli"
    assert cli_main([*argv, "--threads", "1"]) == 0
    page, cli = zoo.load("from-page"), zoo.load("from-cli")
    assert page.card["training"]["config"] == cli.card["training"]["config"]
    assert page.card["training"]["data_sha256"] == cli.card["training"]["data_sha256"]
    for key, value in page.module.state_dict().items():
        torch.testing.assert_close(value, cli.module.state_dict()[key], rtol=0, atol=1e-6)


def test_stop_keeps_the_weights_so_far(home):
    job = jobs.manager().start("s1", request("stopped", minutes=5, eval_every=10))
    assert jobs.wait_until(lambda: job.snapshot().step >= 20, timeout=120)
    job.stop()
    snap = jobs.manager().wait("s1", timeout=60)
    assert snap.status == "stopped"
    assert 20 <= snap.step < 100_000 and snap.saved
    model = zoo.load("stopped")
    assert model.card["training"]["interrupted"] is True
    assert model.card["training"]["steps"] == snap.step == snap.evals[-1][0]  # the page shows the saved step
    assert model.trace("The cat sat.").layers[0].hidden.shape == (12, 16)


def test_server_limit_and_one_job_per_session(home, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_MAX_JOBS", "1")
    manager = jobs.manager()
    first = manager.start("s1", request("first", minutes=5))
    with pytest.raises(jobs.BusyError, match=r"busy.*limit is 1.*try again"):
        manager.start("s2", request("second", steps=10))
    with pytest.raises(ValueError, match="already training 'first'"):
        manager.start("s1", request("third", steps=10))
    first.stop()
    manager.wait("s1", 60)
    manager.start("s2", request("second", steps=10, eval_every=10))  # a free slot again
    assert manager.wait("s2", 60).status == "done"


def test_limit_setting(monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_MAX_JOBS", "3")
    assert jobs.max_jobs() == 3
    monkeypatch.setenv("LSTM_VIZ_MAX_JOBS", "lots")
    assert jobs.max_jobs() == jobs.DEFAULT_MAX_JOBS
    monkeypatch.setenv("LSTM_VIZ_MAX_JOBS", "0")
    assert jobs.max_jobs() == 1


def test_names_are_checked_before_a_job_starts(home):
    manager = jobs.manager()
    for bad in ("../evil", "", "a/b", ".hidden", "x" * 65):
        with pytest.raises(ValueError, match="invalid model name"):
            manager.start("s1", request(bad, steps=10))
    job = manager.start("s1", request("taken", steps=10, eval_every=10))
    manager.wait("s1", 60)
    with pytest.raises(ValueError, match="already exists"):
        manager.start("s2", request("taken", steps=10))
    shipped = [m.name for m in zoo.list() if m.shipped]
    for name in shipped[:1]:
        with pytest.raises(ValueError, match="shipped model"):
            manager.start("s2", request(name, steps=10))
    assert job.snapshot().status == "done"


def test_a_name_in_training_on_another_replica_is_taken_until_the_run_ends(home):
    """Two replicas share the user folder but not their job lists: the claim on disk keeps a name theirs."""
    here, there = jobs.manager(), jobs.JobManager()  # two server processes' managers, one folder
    job = there.start("t1", request("shared", minutes=5, eval_every=10))
    assert (home / "shared" / reservation.MARKER).is_file()  # claimed before the first save
    for attempt in (lambda: here.start("s1", request("shared", steps=10)), lambda: check_new_name("shared")):
        with pytest.raises(ValueError, match="is being trained right now"):
            attempt()
    assert jobs.wait_until(lambda: job.snapshot().saved, timeout=120)
    with pytest.raises(ValueError, match="being trained right now"):
        usermodels.delete("shared")  # seen from the replica that is not training it
    job.stop()
    assert there.wait("t1", 60).status == "stopped"
    assert not (home / "shared" / reservation.MARKER).exists()  # the model stays, the claim goes
    assert zoo.load("shared").card["training"]["interrupted"] is True
    with pytest.raises(ValueError, match="already exists"):
        here.start("s1", request("shared", steps=10))


def no_such_pid() -> int:
    """A process id no process has: one above the kernel's largest (Linux), else the largest a pid_t holds."""
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    except (OSError, ValueError):
        return 2**31 - 1


def test_a_run_that_saved_nothing_leaves_no_folder_and_a_dead_claim_is_cleared(home):
    job = jobs.manager().start("s1", RunSpec("unsaved", corpus_text="too short", overrides={"steps": 5}))
    assert jobs.manager().wait("s1", 30).status == "failed" and not job.snapshot().saved
    assert not (home / "unsaved").exists()
    # A server killed mid-run leaves its claim behind; a process that no longer exists holds nothing.
    (home / "orphan").mkdir(parents=True)
    marker = {"pid": no_such_pid(), "host": socket.gethostname(), "started": time.time()}
    (home / "orphan" / reservation.MARKER).write_text(json.dumps(marker))
    assert not reservation.held(home / "orphan")
    assert check_new_name("orphan") == "orphan" and not (home / "orphan").exists()
    live = {**marker, "pid": os.getpid()}
    (home / "alive").mkdir()
    (home / "alive" / reservation.MARKER).write_text(json.dumps(live))
    with pytest.raises(ValueError, match="being trained right now"):
        check_new_name("alive")
    assert (home / "alive").is_dir()  # a live claim is never cleared


class ExplodingData:
    """Task data that fails at its 25th batch, after the checkpoint at step 20."""

    def __init__(self, data):
        self.data, self.calls = data, 0

    def __getattr__(self, name):
        return getattr(self.data, name)

    def batch(self, batch_size, rng):
        self.calls += 1
        if self.calls > 25:  # the first call measures the batch shape
            raise RuntimeError("boom: the data loader broke")
        return self.data.batch(batch_size, rng)


def test_a_crashed_job_reports_its_error_and_keeps_the_last_checkpoint(home, monkeypatch):
    real = RunSpec.build

    def exploding(spec, tokenizer=None):
        data, model_config, train_config, extra = real(spec, tokenizer)
        return ExplodingData(data), model_config, train_config, extra

    monkeypatch.setattr(RunSpec, "build", exploding)
    jobs.manager().start("s1", request("crashy", steps=100, eval_every=10))
    snap = jobs.manager().wait("s1", 60)
    assert snap.status == "failed" and not snap.active
    assert snap.error == "RuntimeError: boom: the data loader broke"
    assert snap.saved and zoo.load("crashy").card["training"]["steps"] == 20
    assert jobs.manager().running() == []


def test_a_bad_request_fails_with_its_message(home):
    job = jobs.manager().start("s1", RunSpec("short", corpus_text="too short", overrides={"steps": 5}))
    snap = jobs.manager().wait("s1", 30)
    assert snap.status == "failed" and "at least 258" in snap.error
    assert not (home / "short").exists() and job.snapshot().saved is False


def test_training_never_touches_a_cached_shipped_model(home):
    """The job builds its own model: the shared one keeps its weights, eval mode and no-grad."""
    shipped = [m for m in zoo.list() if m.shipped and m.card.get("task") == "charlm"]
    if shipped:
        cached = zoo.load(shipped[0].name)
    else:  # before any model ships: the same check on a loaded stand-in
        jobs.manager().start("s0", request("stand-in", steps=10, eval_every=10))
        jobs.manager().wait("s0", 60)
        cached = zoo.load("stand-in")
    before = {k: v.clone() for k, v in cached.module.state_dict().items()}
    seen = []  # (shared model in training mode?, any of its parameters asking for gradients?)
    real_on_event = jobs.Job._on_event

    def on_event(job_self, event, info):  # runs in the job thread at every progress event
        seen.append((event, cached.module.training, any(p.requires_grad for p in cached.module.parameters())))
        real_on_event(job_self, event, info)

    # Sample the shared model from inside the training loop's own callback: at the start, every
    # 10 steps and at every evaluation, while the job's model is in training mode. (A watcher
    # thread spinning on is_alive() held the GIL against the job and made it time out.)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jobs.Job, "_on_event", on_event)
        jobs.manager().start("s1", request("other", steps=40, eval_every=10))
        assert jobs.manager().wait("s1", 300).status == "done"
    events = [e for e, _, _ in seen]
    assert events.count("step") == 5 and events.count("eval") == 5 and events[0] == "start", events
    assert not any(training for _, training, _ in seen)
    assert not any(grad for _, _, grad in seen)
    assert cached.module.training is False
    assert all(not p.requires_grad for p in cached.module.parameters())
    for key, value in cached.module.state_dict().items():
        assert torch.equal(value, before[key]), key
    on_disk, _ = checkpoint.load_dir(cached.path)
    for key, value in on_disk.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_a_job_thread_lowers_only_its_own_priority(monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_TRAIN_NICE", "5")
    me = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = {}

    def job_thread():
        jobs._lower_priority()
        seen["job"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=job_thread)
    thread.start()
    thread.join()
    assert seen["job"] == min(19, me + 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == me  # the server's threads keep theirs


def test_a_race_leaves_no_temporary_folder_whether_it_runs_or_is_refused(home, tmp_path, monkeypatch):
    from lstm_viz.analysis import memory

    monkeypatch.setenv("LSTM_VIZ_MAX_JOBS", "1")
    manager = jobs.manager()
    root = tmp_path / "lstm-viz-race-a"
    runs = memory.race_runs(["rnn"], False, 10, root)
    manager.start("race", runs[0][0], out_dir=runs[0][1], then=runs[1:], discard=True, scratch=root)
    refused = tmp_path / "lstm-viz-race-b"
    refused.mkdir()
    again = memory.race_runs(["rnn"], False, 10, refused)
    with pytest.raises(jobs.BusyError):
        manager.start("other", again[0][0], out_dir=again[0][1], discard=True, scratch=refused)
    assert not refused.exists()
    assert manager.wait("race", 120).status == "done"
    assert not root.exists()
