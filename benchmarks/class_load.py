"""A class answering at once: N students send their answer to one question within a few seconds.

``python -m benchmarks.class_load [--students 60] [--within 10] [--replicas 1 2] [--smoke]``

For each replica count this starts the deployment (``deploy.serve``, nginx in front, the classes in a
throwaway PostgreSQL server from ``deploy/postgres.py``), starts a class on the "Reading restaurant
reviews" lesson, seats the students (each holds the address a student's device keeps after joining:
``/join?code=...&seat=...``) and opens each one's Join a class page as a real Streamlit session over its
websocket (the protocol client of :mod:`benchmarks.load`, through nginx, so the students spread over the
replicas). Each student then presses an option button and "Send my answer" at a moment drawn uniformly
within ``--within`` seconds, as a class does when the teacher says "answer now".

The teacher's count is the database query the teacher's page runs (``ClassStore.counts``/``results``),
asked here every 50 ms: an answer's time *to the count* runs from the student's Send press to the first
time that query includes it. The teacher's screen draws that count every ``classmode.COUNT_S`` seconds,
so on screen add up to that much. Printed per replica count: answers acknowledged, lost (acknowledged
but not in the database, or no acknowledgement), errors, p50/p95 of the time to the count, and the
replicas' CPU time per answer (user + system from /proc, the students' page opens excluded).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field

from benchmarks.load import Session, Student, cpu_seconds, percentile

LESSON = "reading-reviews"
POLL_S = 0.05


@dataclass
class Answerer:
    name: str
    secret: str
    at: float  # when they press Send: seconds after the start, then on the clock of time.perf_counter()
    replica: str = "?"
    option: str = ""
    pressed: float | None = None
    acknowledged: float | None = None
    errors: list[str] = field(default_factory=list)


class ClassSession(Session):
    """A student's Join a class page: finds the buttons the page drew and presses them."""

    def __init__(self, base: str, student: Student):
        super().__init__(base, "join", student)
        self.buttons: dict[str, str] = {}  # key suffix -> widget id
        self.labels: dict[str, str] = {}

    def press(self, widget_id: str | None = None) -> bytes:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string, state.page_name = self.query, self.page
        if widget_id is not None:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = widget_id, True
        return msg.SerializeToString()

    async def drawn(self) -> bool:
        """Read one run to its end, keeping the ids of the buttons it drew; False if it did not finish well."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                name = element.WhichOneof("type")
                if name == "exception":
                    self.student.errors.append(f"exception on the page: {element.exception.message[:200]}")
                elif name == "button":
                    self.buttons[element.button.id.rsplit("-", 1)[-1]] = element.button.id
                    self.labels[element.button.id] = element.button.label
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "script_finished":
                return msg.script_finished in (msg.FINISHED_SUCCESSFULLY, msg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


def _button(session: ClassSession, ending: str) -> str | None:
    return next((wid for wid in session.labels if wid.endswith(ending)), None)


async def student(base: str, code: str, who: Answerer, ready: asyncio.Event, go: asyncio.Event):
    shadow = Student(0, "")
    session = ClassSession(base, shadow)
    try:
        await session.open({"code": code, "seat": who.secret})
        who.replica = shadow.replica
        await session.ws.send(session.press())
        await asyncio.wait_for(session.drawn(), 120)
        ready.set()
        await go.wait()
        options = sorted(wid for wid in session.labels if "_option_" in wid)
        if not options:
            who.errors.append("the page drew no option to press")
            return
        choice = options[random.Random(who.name).randrange(len(options))]
        who.option = session.labels[choice].split("·", 1)[-1].strip()
        await asyncio.sleep(max(0.0, who.at - 0.3 - time.perf_counter()))
        await session.ws.send(session.press(choice))
        await asyncio.wait_for(session.drawn(), 60)
        send = _button(session, "class_send_stop-0")
        if send is None:
            who.errors.append("the page drew no Send button")
            return
        await asyncio.sleep(max(0.0, who.at - time.perf_counter()))
        who.pressed = time.perf_counter()
        await session.ws.send(session.press(send))
        if await asyncio.wait_for(session.drawn(), 60):
            who.acknowledged = time.perf_counter()
        who.errors.extend(shadow.errors)
    except Exception as err:  # noqa: BLE001 - a student that fails is counted, not fatal
        who.errors.append(f"{type(err).__name__}: {err}"[:200])
        ready.set()
    finally:
        with contextlib.suppress(Exception):
            await session.ws.close()


async def watch(store, code: str, teacher: str, seen: dict[str, float], until: asyncio.Event) -> None:
    """The teacher's query, every POLL_S: when each nickname's answer first shows in it."""
    while not until.is_set():
        now = time.perf_counter()
        for row in await asyncio.to_thread(store.results, code, teacher):
            seen.setdefault(row["nickname"], now)
        await asyncio.sleep(POLL_S)


async def one_class(url: str, database: str, n: int, within: float, pids: list[int]) -> dict:
    from lstm_viz.classroom.store import ClassStore

    store = ClassStore(database)
    started = store.start(LESSON)
    people = [Answerer(f"student {k}", "", 0.0) for k in range(n)]
    times = sorted(random.Random(n).uniform(0.5, within) for _ in people)
    for who, at in zip(people, times, strict=True):
        who.secret, who.at = store.join(started.code, who.name).secret, at
    go, until, seen = asyncio.Event(), asyncio.Event(), {}
    readies = [asyncio.Event() for _ in people]
    tasks = []
    for who, ready in zip(people, readies, strict=True):
        tasks.append(asyncio.create_task(student(url, started.code, who, ready, go)))
        await asyncio.sleep(0.05)  # the pages open one after another, as a class's devices do
    await asyncio.gather(*(r.wait() for r in readies))
    cpu_before = cpu_seconds(pids)
    start = time.perf_counter() + 0.5
    for who in people:  # when each presses Send, on this machine's clock
        who.at += start
    watcher = asyncio.create_task(watch(store, started.code, started.teacher, seen, until))
    go.set()
    await asyncio.gather(*tasks)
    await asyncio.sleep(1.0)
    until.set()
    await watcher
    cpu = cpu_seconds(pids) - cpu_before
    rows = {r["nickname"] for r in store.results(started.code, started.teacher)}
    store.end(started.code, started.teacher)
    return {"people": people, "seen": seen, "rows": rows, "cpu": cpu}


def report(replicas: int, result: dict, within: float) -> list[float]:
    people, seen, rows = result["people"], result["seen"], result["rows"]
    acknowledged = [p for p in people if p.acknowledged is not None]
    lost = [p for p in acknowledged if p.name not in rows] + [p for p in people if p.acknowledged is None]
    errors = [e for p in people for e in p.errors]
    delays = [max(0.0, seen[p.name] - p.pressed) for p in acknowledged if p.name in seen]
    spread: dict[str, int] = {}
    for p in people:
        spread[p.replica] = spread.get(p.replica, 0) + 1
    print(f"{replicas} replica{'s' * (replicas > 1)}: {len(people)} students answering within {within:g} s "
          f"(students per replica: {', '.join(f'{r} {k}' for r, k in sorted(spread.items()))})")  # fmt: skip
    print(f"  answers acknowledged: {len(acknowledged)} of {len(people)}; in the database: {len(rows)}; "
          f"lost: {len(lost)}; errors: {len(errors)}")  # fmt: skip
    for error in sorted(set(errors))[:5]:
        print(f"    {error}")
    if delays:
        print(f"  from Send to the teacher's count: p50 {percentile(delays, 50) * 1e3:.0f} ms, "
              f"p95 {percentile(delays, 95) * 1e3:.0f} ms, max {max(delays) * 1e3:.0f} ms (goal p95 <= 2000 ms; "
              "the teacher's screen redraws its count every second on top)")  # fmt: skip
    if acknowledged:
        print(f"  server CPU per answer: {result['cpu'] * 1e3 / len(acknowledged):.0f} ms "
              f"({result['cpu']:.1f} s over the answering, all replicas; two presses per answer)")  # fmt: skip
    return delays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.class_load", description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--within", type=float, default=10.0, help="seconds in which every student answers")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--smoke", action="store_true", help="a short run for CI: 6 students, 3 s, 1 replica")
    args = parser.parse_args(argv)
    if args.smoke:
        args.students, args.within, args.replicas = 6, 3.0, [1]
    if args.students < 1 or args.within <= 0.5 or any(r < 1 for r in args.replicas):
        parser.error("need at least 1 student, --within over 0.5 s and replicas >= 1")
    from deploy import postgres
    from deploy.serve import serve

    with postgres.throwaway() as server:
        for k, replicas in enumerate(args.replicas):
            database = postgres.new_database(server.url, f"class_load_{k}")
            with tempfile.TemporaryDirectory(prefix="lstm_viz_class_load_") as folder, serve(
                replicas=replicas, folder=folder, database_url=database
            ) as d:
                result = asyncio.run(one_class(d.url, database, args.students, args.within, list(d.pids)))
                report(replicas, result, args.within)
    return 0


if __name__ == "__main__":
    sys.exit(main())
