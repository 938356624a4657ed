"""A throwaway PostgreSQL server for a class of several replicas (and for the tests): Debian's own binaries.

    with postgres.throwaway() as server:  # server.url: postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
        ...

runs ``initdb`` in a new temporary folder, starts the server on a free port of 127.0.0.1 (trust
authentication, reachable from this machine only), yields it (its SQLAlchemy address is ``.url``) and stops and deletes
it on the way out. Started by root, it runs as the ``postgres`` user, as PostgreSQL requires.
``python -m deploy.serve --postgres`` uses it; ``--database-url`` names a server of your own instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"


def binaries() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (the newest Debian PostgreSQL, else the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ValueError("PostgreSQL is not installed: apt-get install postgresql (Debian)")


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """A PostgreSQL server in ``folder`` on ``port``; :meth:`stop` and :meth:`start` it (a database going away)."""

    def __init__(self, folder: Path, port: int):
        self.bin_dir, self.folder, self.port = binaries(), folder, port
        self.data = folder / "data"
        self.url = f"postgresql+psycopg://postgres@{HOST}:{port}/postgres"
        self.running = False

    def _run(self, *command: str) -> None:
        try:
            subprocess.run(_as_owner([str(self.bin_dir / command[0]), *command[1:]]), check=True, timeout=120,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        except subprocess.CalledProcessError as err:
            said = err.stdout.decode(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL's {command[0]} failed: {said}") from err

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={HOST} -c fsync=off -c max_connections=200"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start")
        self.running = True

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False


@contextlib.contextmanager
def throwaway(port: int | None = None) -> Iterator[Server]:
    """Start a new server in a temporary folder; yield it (``.url`` is its address); stop it and delete the folder."""
    folder = Path(tempfile.mkdtemp(prefix="lstm_viz_pg_"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = Server(folder, port or _free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        if server.running:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def new_database(url: str, name: str) -> str:
    """Create database ``name`` (letters, digits, _) on the server at ``url``; its address."""
    import psycopg

    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a database name: {name!r}")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def wait(url: str, timeout: float = 30.0) -> None:
    """Until the server at ``url`` takes a connection (RuntimeError after ``timeout``)."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(plain, connect_timeout=2):
                return
        except psycopg.OperationalError as err:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL at {url} does not answer: {err}") from err
            time.sleep(0.2)
