"""A classroom against one deployment: N students, each stepping through their own text, every 2 s.

``python -m benchmarks.load [--students 30] [--seconds 60] [--interval 2] [--page equations]
[--url URL --pid PID ...]``

Each student is a real Streamlit session spoken to in Streamlit's own websocket protocol (the
protobuf messages of ``streamlit.proto``, what the browser's frontend sends): it opens a deep
link (``/equations?model=shakespeare-char&text=...&step=0``: an HTTP GET, whose cookies it keeps,
as a browser does, then the session's websocket), then moves the page's ``step`` slider one
step on every tick, as a drag or a key press does, and waits for the server to redraw. A step is
*done* when the run it caused finishes and the page's address shows that step; *lost* when the
next tick came first (the server drops a run a newer step replaces, as it does for a browser) or
it had not finished 10 s after the end; an *error* is an exception drawn on the page, a run that
did not end or a broken connection.

Why not headless Chromium: 30 Chromium pages need more CPU and memory than the 2 cores that run
the app, so they would measure the browsers; a protocol client costs a few percent of a core and
makes the server do exactly the work of a real session. The step is taken on the server, so the
figures hold whatever the browser draws (a browser steps Step Through and Equations in the page; a
protocol client runs no JavaScript, so the server draws each step of ``--page``, default ``equations``,
as it does for a browser without JavaScript; ``heatmaps`` works too).

Printed: steps done, lost and errors; the server's CPU time per step (the user + system time,
from /proc, of the server processes: the one this starts, or ``--pid`` for each process of a
deployment given by ``--url``); and the p50 / p95 server time per step (from the step's message
to the end of its run, measured by the client on this machine). ``--url`` may be nginx in front
of replicas (deploy/serve.py): then each student's replica is counted (nginx's X-Replica header).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
MODEL = "shakespeare-char"
TEXT_CHARS = 200
GRACE_SECONDS = 10.0  # after the last tick, how long a step may still finish
PAGES = ("equations", "heatmaps", "step_through")


@dataclass
class Student:
    """One simulated student: their text, what they sent and what the server drew."""

    index: int
    text: str
    replica: str = "?"
    first_view: float | None = None  # seconds from its first request on the websocket to the drawn page
    sent: list[tuple[int, float]] = field(default_factory=list)  # (step, time) waiting to be drawn
    done: list[float] = field(default_factory=list)  # server time of each drawn step
    lost: int = 0
    errors: list[str] = field(default_factory=list)


def texts(n: int, chars: int = TEXT_CHARS) -> list[str]:
    """``n`` different ``chars``-character windows of tiny shakespeare (one per student)."""
    corpus = (ROOT / "assets" / "data" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    return [corpus[(5_000 + 7_919 * i) % (len(corpus) - chars) :][:chars] for i in range(n)]


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes (VmRSS in /proc/PID/status), in MB."""
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])  # kB
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (all their threads), from /proc/PID/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / ticks


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores and processes (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    idle = values[3] + values[4]  # idle, iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / ticks, sum(values) / ticks


def _open_link(url: str) -> tuple[str, str]:
    """GET the page as a browser does first: its cookies (nginx's sticky one) and the replica that answered."""
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
        return "; ".join(cookies), response.headers.get("X-Replica", "-")


class Session:
    """One Streamlit session over its websocket: send reruns, read what the server draws."""

    def __init__(self, base: str, page: str, student: Student):
        self.base, self.page, self.student = base, page, student
        self.widget_id: str | None = None  # the step slider's id, as the last run drew it
        self.fragment_id = ""  # set when the slider lives in an st.fragment
        self.query = ""

    async def open(self, query: dict) -> None:
        import websockets

        self.query = urllib.parse.urlencode(query)
        cookie, self.student.replica = await asyncio.to_thread(_open_link, f"{self.base}/{self.page}?{self.query}")
        self.ws = await websockets.connect(
            self.base.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit"],
            origin=self.base,
            additional_headers={"Cookie": cookie} if cookie else None,
            max_size=2**26,
        )

    def rerun(self, step: int | None = None) -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string, state.page_name = self.query, self.page
        if step is not None:
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_id
            widget.double_array_value.data[:] = [float(step)]  # st.slider's value on the wire
            state.fragment_id = self.fragment_id
        return msg.SerializeToString()

    async def run(self) -> int | None:
        """Read one run's messages to its end; the step its page shows (None if the run was replaced)."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        shown = None
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                name = element.WhichOneof("type")
                if name == "exception":
                    self.student.errors.append(f"exception on the page: {element.exception.message[:200]}")
                elif name == "slider" and element.slider.id.endswith("-step"):
                    self.widget_id, self.fragment_id = element.slider.id, msg.delta.fragment_id
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
                shown = int(urllib.parse.parse_qs(self.query).get("step", ["-1"])[0])
            elif kind == "script_finished":
                status = msg.script_finished
                if status in (msg.FINISHED_SUCCESSFULLY, msg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    return shown
                if status == msg.FINISHED_WITH_COMPILE_ERROR:
                    self.student.errors.append("the page failed to compile")
                    return None
                return None  # FINISHED_EARLY_FOR_RERUN: a newer step replaced this run


class View(NamedTuple):
    """What one visit of a deep link drew: the page's address parameters, its errors, the replica."""

    params: dict[str, str]
    errors: list[str]
    replica: str


def view(base: str, page: str, query: dict) -> View:
    """Open ``base/page?query`` as a new session and wait for its first run (tests use it)."""

    async def visit() -> View:
        student = Student(-1, "")
        session = Session(base.rstrip("/"), page, student)
        await session.open(query)
        try:
            await session.ws.send(session.rerun())
            await asyncio.wait_for(session.run(), 120)
        finally:
            await session.ws.close()
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(session.query).items()}
        return View(params, student.errors, student.replica)

    return asyncio.run(visit())


@dataclass
class Clock:
    """When the classroom starts stepping: set once every student's first view is drawn."""

    go: asyncio.Event = field(default_factory=asyncio.Event)
    start: float = 0.0


async def student_run(
    student: Student, base: str, page: str, offset: float, seconds: float, interval: float, clock: Clock, ready
) -> None:
    """Open the link, wait for the class, then move one step per tick for ``seconds``; tally into ``student``."""
    session = Session(base, page, student)
    try:
        await session.open({"model": MODEL, "text": student.text, "step": 0})
        t0 = time.perf_counter()
        await session.ws.send(session.rerun())
        await asyncio.wait_for(session.run(), 120)
        student.first_view = time.perf_counter() - t0
        if session.widget_id is None:
            raise RuntimeError(
                f"the {page} page drew no 'step' slider on the server (a page that steps in the browser "
                f"cannot be measured here): choose one of --page {', '.join(p for p in PAGES if p != page)}"
            )
    except Exception as err:  # every failure is a figure of the benchmark
        student.errors.append(f"first view: {type(err).__name__}: {err}")
        return
    finally:
        ready.set()

    async def receive() -> None:
        while True:
            shown = await session.run()
            steps = [s for s, _ in student.sent]
            if shown not in steps:
                continue  # a run no step of ours caused, or one a newer step replaced
            k = steps.index(shown)
            student.lost += k  # sent before the one drawn, and replaced by it
            student.done.append(time.perf_counter() - student.sent[k][1])
            del student.sent[: k + 1]

    receiver = asyncio.create_task(receive())
    try:
        await clock.go.wait()
        start, step = clock.start + offset, 0
        for tick in range(int(seconds / interval)):
            await asyncio.sleep(max(0.0, start + tick * interval - time.perf_counter()))
            if receiver.done():
                break
            step = step + 1 if step + 1 < len(student.text) else 1
            student.sent.append((step, time.perf_counter()))
            await session.ws.send(session.rerun(step))
        deadline = time.perf_counter() + GRACE_SECONDS
        while student.sent and time.perf_counter() < deadline and not receiver.done():
            await asyncio.sleep(0.05)
    except Exception as err:
        student.errors.append(f"stepping: {type(err).__name__}: {err}")
    finally:
        if receiver.done() and not receiver.cancelled() and receiver.exception() is not None:
            error = receiver.exception()
            student.errors.append(f"connection: {type(error).__name__}: {error}")
        receiver.cancel()
        student.lost += len(student.sent)  # never drawn
        student.sent.clear()
        with contextlib.suppress(Exception):
            await session.ws.close()


async def classroom(
    base: str, page: str, n: int, seconds: float, interval: float, pids: list[int], chars: int = TEXT_CHARS
):
    """Every student's first view (arrivals spread over one interval), then ``seconds`` of steps.

    Returns (students, server CPU seconds over the stepping, the machine's busy share of its CPUs
    then, the stepping's wall time): the first views (a trace per new text) are timed apart.
    """
    students = [Student(i, text) for i, text in enumerate(texts(n, chars))]
    offsets = sorted(random.Random(0).uniform(0, interval) for _ in students)  # nobody clicks in step
    clock, readies, tasks = Clock(), [asyncio.Event() for _ in students], []
    begin = time.perf_counter()
    for student, offset, ready in zip(students, offsets, readies, strict=True):
        await asyncio.sleep(max(0.0, begin + offset - time.perf_counter()))
        tasks.append(asyncio.create_task(student_run(student, base, page, offset, seconds, interval, clock, ready)))
    await asyncio.gather(*(ready.wait() for ready in readies))
    cpu_before, wall_before = (cpu_seconds(pids) if pids else 0.0), time.perf_counter()
    busy_before, total_before = machine_busy()
    clock.start = time.perf_counter() + 0.2
    clock.go.set()
    await asyncio.gather(*tasks)
    cpu = cpu_seconds(pids) - cpu_before if pids else None
    busy, total = (now - before for now, before in zip(machine_busy(), (busy_before, total_before), strict=True))
    return students, cpu, busy / max(total, 1e-9), time.perf_counter() - wall_before


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def report(students: list[Student], cpu: float | None, busy: float, wall: float, args, pids: list[int]) -> None:
    done = [t for s in students for t in s.done]
    sent = sum(len(s.done) + s.lost for s in students)
    errors = [e for s in students for e in s.errors]
    first = [s.first_view for s in students if s.first_view is not None]
    print(
        f"{len(students)} students on {args.url}/{args.page} ({MODEL}, {args.chars:,}-character texts, one each), "
        f"a step every {args.interval:g} s for {args.seconds:g} s"
    )
    if first:
        print(f"first view: p50 {percentile(first, 50) * 1e3:.0f} ms, p95 {percentile(first, 95) * 1e3:.0f} ms "
              f"({len(first)} of {len(students)} students)")  # fmt: skip
    replicas: dict[str, int] = {}
    for s in students:
        replicas[s.replica] = replicas.get(s.replica, 0) + 1
    if set(replicas) != {"-"}:
        print("students per replica: " + ", ".join(f"{r} {k}" for r, k in sorted(replicas.items())))
    print(f"steps done: {len(done)} of {sent} sent in {wall:.1f} s ({len(done) / max(wall, 1e-9):.1f} per second)")
    print(
        f"lost steps: {sum(s.lost for s in students)} (replaced by the next step before they were drawn, or unfinished)"
    )
    print(f"errors: {len(errors)}")
    for error in sorted(set(errors))[:5]:
        print(f"  {error}")
    if cpu is None:
        print("server CPU per step: n/a (give --pid for each server process of a deployment this did not start)")
    elif done:
        shown = ", ".join(map(str, pids))
        print(
            f"server CPU per step: {cpu * 1e3 / len(done):.1f} ms ({cpu:.1f} s of CPU in pids {shown} over the steps)"
        )
        print(f"server CPU use: {cpu / wall:.2f} cores on average, while the machine's {os.cpu_count()} were "
              f"{busy:.0%} busy (every process; a busy machine slows each step)")  # fmt: skip
    if done:
        print(f"server time per step: p50 {percentile(done, 50) * 1e3:.0f} ms, p95 {percentile(done, 95) * 1e3:.0f} ms "
              "(from the step's message to the end of its run)")  # fmt: skip
    client = time.process_time()
    print(f"this client: {client:.1f} s of CPU; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the class steps")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between one student's steps")
    parser.add_argument("--page", default="equations", choices=PAGES, help="the page whose step the server draws")
    parser.add_argument("--url", help="a running app or proxy, e.g. http://127.0.0.1:8080 (default: start one)")
    parser.add_argument("--pid", type=int, action="append", default=[], help="a server process (repeat per replica)")
    parser.add_argument("--chars", type=int, default=TEXT_CHARS, help="characters of each student's text (tokens)")
    args = parser.parse_args(argv)
    if args.students < 1 or args.seconds < args.interval or args.interval <= 0:
        parser.error("need at least 1 student and --seconds >= --interval > 0")
    if args.url and urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error(f"--url must be on this machine (127.0.0.1), got {args.url}")
    with contextlib.ExitStack() as stack:
        if args.url is None:
            from deploy.serve import serve

            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="lstm_viz_load_"))
            deployment = stack.enter_context(serve(replicas=1, folder=folder, proxy=False))
            args.url, args.pid = deployment.url, list(deployment.pids)
        args.url = args.url.rstrip("/")
        limit = 120 + args.seconds + GRACE_SECONDS + args.students  # bounded: first views, steps, grace
        memory_before = rss_mb(args.pid) if args.pid else None
        students, cpu, busy, wall = asyncio.run(
            asyncio.wait_for(
                classroom(args.url, args.page, args.students, args.seconds, args.interval, args.pid, args.chars),
                limit,
            )
        )
        report(students, cpu, busy, wall, args, args.pid)
        if memory_before is not None:
            budget = os.environ.get("LSTM_VIZ_TRACE_CACHE_MB", "its default")
            print(
                f"server memory: {memory_before:,.0f} MB before the students came, {rss_mb(args.pid):,.0f} MB after "
                f"(resident, pids {', '.join(map(str, args.pid))}; the trace cache is bounded at {budget} MB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
