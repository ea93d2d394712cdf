"""Starting and stopping the servers tests talk to (uvicorn, ``hkkg serve``,
``oxigraph serve``), on 127.0.0.1 and an ephemeral port."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A port nothing listens on now (a server started next may still lose it to a race)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(url: str, proc: subprocess.Popen[bytes] | subprocess.Popen[str],
                       seconds: float = 30) -> bool:
    """Poll ``url`` until it answers at all; ``False`` when ``proc`` exited or time ran out."""
    deadline = time.monotonic() + seconds
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 10) -> None:
    """Ask ``proc`` to stop, and kill it after ``grace`` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
