"""A whole school on one machine: several Streamlit replicas of app.py behind nginx, with sticky sessions.

    python -m deploy.serve --replicas 2 --port 8080 --home /srv/lstm-viz/models

starts ``--replicas`` copies of ``streamlit run app.py`` on free ports of 127.0.0.1, all reading
and writing one user model folder (``--home``, else an ``LSTM_VIZ_HOME`` already set, else ``runs/``;
it becomes the replicas' ``LSTM_VIZ_HOME``), and Debian's
nginx on ``--port`` as the reverse proxy (``deploy/nginx.conf.j2``: websockets passed on, a
cookie that keeps each browser on one replica). It prints the address to open, then waits;
Ctrl-C or SIGTERM stops every process it started. The classes of class mode live in SQLite in the shared
folder, or with ``--postgres`` in a PostgreSQL server started for the deployment (``--database-url`` names
one of your own). docs/scale.md says how many replicas a
machine takes and where training jobs run (in the replica that started them).

Python: :func:`serve` is a context manager that does the same and yields a :class:`Deployment`
(the test and the load benchmark use it); ``proxy=False`` starts the replicas alone.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2

from deploy import postgres

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.j2")
HOST = "127.0.0.1"
MAX_UPLOAD_MB = 100  # the Train page takes model uploads of up to 68 MB (lstm_viz.store.usermodels)
# Each replica's share of the machine's training: one job at a time on one thread, so the jobs
# of all replicas together leave cores to draw pages (override by setting them in the environment).
REPLICA_DEFAULTS = {"LSTM_VIZ_MAX_JOBS": "1", "LSTM_VIZ_TRAIN_THREADS": "1"}


@dataclass(frozen=True)
class Deployment:
    url: str  # the address to open: nginx, or the one replica when there is no proxy
    replica_urls: tuple[str, ...]
    pids: tuple[int, ...]  # the replicas' processes (their CPU time is the app's)
    folder: Path  # nginx.conf, the logs of nginx and of each replica
    home: Path  # the user model folder every replica shares


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def replica_command(port: int, host: str = HOST) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
        "--server.port", str(port), "--server.address", host, "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip


def _nginx_user() -> tuple[str, str] | None:
    """The user nginx's workers run as when it is started by root (Debian's www-data, else nobody)."""
    if os.geteuid() != 0:
        return None  # they run as whoever starts nginx
    import grp

    for name in ("www-data", "nobody"):
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            return name, grp.getgrgid(user.pw_gid).gr_name
    raise ValueError("nginx is started by root, but there is neither a www-data nor a nobody user to run its workers")


def nginx_config(folder: Path, port: int, replicas: list[str], host: str = HOST) -> Path:
    """Write ``folder/nginx.conf`` for these replicas (``host:port`` each) and the temp folders it names."""
    user = _nginx_user()
    for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "temp" / name).mkdir(parents=True, exist_ok=True)
        if user:  # the workers write request bodies there
            shutil.chown(folder / "temp" / name, *user)
    template = jinja2.Template(TEMPLATE.read_text(encoding="utf-8"), keep_trailing_newline=True)
    text = template.render(
        folder=folder, host=host, port=port, replicas=replicas, max_upload_mb=MAX_UPLOAD_MB, user=user
    )
    (folder / "nginx.conf").write_text(text, encoding="utf-8")
    return folder / "nginx.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
    if found is None:
        raise ValueError("nginx is not installed: apt-get install nginx (Debian), or pass --no-proxy")
    return found


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    """Poll ``url/_stcore/health`` until it answers ok; RuntimeError (with the log's end) if the process dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{' '.join(map(str, process.args[:3]))} exited ({process.returncode}):\n{tail}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            if response.read().strip() == b"ok":
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /_stcore/health within {timeout:.0f} s")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def serve(
    replicas: int = 2,
    port: int | None = None,
    home: str | Path | None = None,
    folder: str | Path | None = None,
    proxy: bool = True,
    host: str = HOST,
    env: dict | None = None,
    database_url: str | None = None,
) -> Iterator[Deployment]:
    """Start the replicas (and nginx), wait until each answers, yield; stop them all on the way out."""
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1, got {replicas}")
    folder = Path(folder or tempfile.mkdtemp(prefix="lstm_viz_deploy_")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    home = Path(home or folder / "models").resolve()
    home.mkdir(parents=True, exist_ok=True)
    nginx = nginx_binary() if proxy else None
    # One cookie secret for all: a cookie one replica signs (XSRF, for uploads) is good at the others.
    shared = {"LSTM_VIZ_HOME": str(home), "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    if database_url:  # the classes: every replica in one database (else SQLite in the shared home)
        shared["LSTM_VIZ_DATABASE_URL"] = database_url
    replica_env = {**REPLICA_DEFAULTS, **os.environ, **(env or {}), **shared}
    processes: list[subprocess.Popen] = []
    try:
        urls = []
        for _ in range(replicas):
            replica_port = free_port(host)
            log = folder / f"replica-{replica_port}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    replica_command(replica_port, host), cwd=ROOT, env=replica_env, stdout=out, stderr=subprocess.STDOUT
                )
            processes.append(process)
            urls.append((f"http://{host}:{replica_port}", process, log))
        for url, process, log in urls:
            wait_until_healthy(url, process, log)
        url = urls[0][0]
        if nginx:
            port = port or free_port(host)
            config = nginx_config(folder, port, [u.removeprefix("http://") for u, _, _ in urls], host)
            error_log = folder / "nginx-error.log"
            command = [nginx, "-p", str(folder), "-c", str(config), "-e", str(error_log)]
            with open(folder / "nginx.out", "wb") as out:
                processes.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT))
            url = f"http://{host}:{port}"
            wait_until_healthy(url, processes[-1], error_log)
        yield Deployment(url, tuple(u for u, _, _ in urls), tuple(p.pid for _, p, _ in urls), folder, home)
    finally:
        _stop(processes[::-1])  # nginx first: no request reaches a replica that is stopping


def default_home(given: str | None) -> Path:
    """The user model folder: ``--home``, else ``LSTM_VIZ_HOME`` (set once, as the app reads it), else runs/."""
    return Path(given or os.environ.get("LSTM_VIZ_HOME") or ROOT / "runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="Streamlit processes (about one per core)")
    parser.add_argument("--port", type=int, default=8080, help="where nginx listens")
    parser.add_argument("--host", default=HOST, help="address nginx and the replicas listen on (default 127.0.0.1)")
    parser.add_argument(
        "--home", help="the shared user model folder (default: $LSTM_VIZ_HOME if set, as the app reads it; else runs/)"
    )
    parser.add_argument("--folder", help="for nginx.conf and the logs (default: a new temporary folder)")
    parser.add_argument("--no-proxy", dest="proxy", action="store_false", help="start the replicas without nginx")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true",
                       help="keep the classes in a PostgreSQL server started for this deployment (Debian's "
                            "postgresql; deleted when it stops)")  # fmt: skip
    where.add_argument("--database-url", help="keep the classes in this database (postgresql+psycopg://...)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the finally of serve() stops everything
    try:
        with contextlib.ExitStack() as stack:
            url = args.database_url
            if args.postgres:
                url = stack.enter_context(postgres.throwaway()).url
            d = stack.enter_context(
                serve(args.replicas, args.port, default_home(args.home), args.folder, args.proxy, args.host,
                      database_url=url)
            )  # fmt: skip
            replicas = ", ".join(f"{u} (pid {pid})" for u, pid in zip(d.replica_urls, d.pids, strict=True))
            print(f"open {d.url}  ({len(d.replica_urls)} replicas: {replicas})", flush=True)
            print(f"user models in {d.home}; nginx.conf and logs in {d.folder}; Ctrl-C stops", flush=True)
            print(f"classes in {url or 'SQLite, ' + str(d.home / 'classes.sqlite3')}", flush=True)
            while True:
                time.sleep(3600)
    except (ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
