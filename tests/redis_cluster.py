"""A throwaway local Redis Cluster (3 masters on free 127.0.0.1 ports) for the cluster tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MASTERS = 3


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        # the cluster bus listens on port + 10000: keep it below 65536
        ports = [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    return ports if all(p + 10000 < 65536 for p in ports) else _free_ports(count)


def binaries() -> tuple[str, str] | None:
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    return (server, cli) if server and cli else None


@contextmanager
def local_cluster(workdir: Path) -> Iterator[str]:
    """Start the masters, join them with `redis-cli --cluster create`, yield `redis+cluster://…`."""
    found = binaries()
    if found is None:
        raise RuntimeError("redis-server and redis-cli are needed for a local cluster")
    server, cli = found
    ports = _free_ports(MASTERS)
    processes = []
    try:
        for port in ports:
            node_dir = workdir / str(port)
            node_dir.mkdir(parents=True)
            processes.append(
                subprocess.Popen(
                    [server, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                     "--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no"],
                    cwd=node_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        for port in ports:
            _wait(lambda p=port: _ping(cli, p), f"node {port}")
        subprocess.run(
            [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-replicas", "0",
             "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        _wait(lambda: all(_cluster_ok(cli, p) for p in ports), "cluster_state:ok")
        yield "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports)
    finally:
        for proc in processes:
            proc.kill()
            proc.wait(timeout=10)


def _ping(cli: str, port: int) -> bool:
    result = subprocess.run([cli, "-p", str(port), "ping"], capture_output=True, text=True, check=False)
    return result.stdout.strip() == "PONG"


def _cluster_ok(cli: str, port: int) -> bool:
    result = subprocess.run(
        [cli, "-p", str(port), "cluster", "info"], capture_output=True, text=True, check=False
    )
    return "cluster_state:ok" in result.stdout


def _wait(ready: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"local Redis Cluster: {what} not reached in {timeout} s")
        time.sleep(0.05)
