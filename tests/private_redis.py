"""A private `redis-server` a test may kill: its own free port on 127.0.0.1, no persistence
(`--save "" --appendonly no`), so a restart comes back empty like a crashed cache node."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import service_missing


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """One `redis-server` process on a fixed free port; `kill()` is SIGKILL, `start()` starts it empty."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _answers_ping(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: the server dies with every connection, nothing saved."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def restart_empty(self) -> None:
        self.kill()
        self.start()


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A started private Redis, killed at the end (skips, or fails under ROOMGATE_REQUIRE_SERVICES=1,
    when `redis-server` is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server", "PATH", "not installed")
        raise AssertionError("unreachable")
    server = PrivateRedis(binary)
    server.start()
    try:
        yield server
    finally:
        server.kill()
