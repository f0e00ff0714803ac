"""What every bench needs around its measurement: subprocesses that are always stopped, a free
port, enough file descriptors, the machine's description, and an event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import platform
import resource
import signal
import socket
import subprocess
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

STOP_WAIT = 15.0  # seconds a subprocess gets to stop after SIGINT before it is killed
SPARE_FDS = 256  # descriptors kept free for files, pipes and the database


WRK_MISSING = (
    "wrk is not installed: run scripts/bench-setup (it installs Debian's wrk with apt-get), "
    "or apt-get install -y wrk"
)


class BenchError(Exception):
    """A bench could not run to the end: a process did not start, clients could not connect."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Child:
    """A subprocess of a bench, its output in a log file; stopped with SIGINT (as Ctrl-C would)."""

    def __init__(
        self, name: str, args: list[str], log_path: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.log_path = log_path
        environment = None if env is None else {**os.environ, **env}
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=environment
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far; 0 where /proc is not readable."""
        return process_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 5) -> str:
        text = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{self.name} did not finish in {timeout:.0f} s: {self.log_tail()}") from None

    def stop(self) -> None:
        """SIGINT, then SIGKILL if it has not stopped after ``STOP_WAIT`` seconds."""
        if self.alive():
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()


@contextlib.contextmanager
def child(
    name: str, args: list[str], log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[Child]:
    """Run ``args`` (``env`` added to this environment) for the length of the block; it is
    stopped however the block ends."""
    process = Child(name, args, log_path, env)
    try:
        yield process
    finally:
        process.stop()


@contextlib.contextmanager
def interrupted_by_sigterm() -> Iterator[None]:
    """SIGTERM (from ``timeout`` or a supervisor) unwinds like Ctrl-C, so that subprocesses are
    stopped and temporary files removed on the way out."""

    def as_ctrl_c(_signum: int, _frame: FrameType | None) -> None:
        # Not `raise KeyboardInterrupt` here: raised inside a protocol callback, the event loop
        # would take it for that connection's error. asyncio's own SIGINT handler cancels cleanly.
        signal.raise_signal(signal.SIGINT)

    try:
        previous = signal.signal(signal.SIGTERM, as_ctrl_c)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def usable_connections(wanted: int) -> int:
    """Raise this process's soft descriptor limit (children inherit it) towards ``wanted`` plus
    spares; returns how many connections fit under it, which may be fewer than ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + SPARE_FDS
    if soft != resource.RLIM_INFINITY and soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(min(wanted, soft - SPARE_FDS), 0)


def loop_name() -> str:
    try:
        import uvloop  # noqa: F401  (the server side runs on it too, through uvicorn)
    except ImportError:
        return "asyncio"
    return "uvloop"


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run a bench's client side on the same kind of loop as the servers it measures."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if loop_name() == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No garbage collection in the measuring process while it stamps arrivals: a full collection
    over hundreds of thousands of recorded arrivals would be charged to the server under test."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` so far, from /proc; 0 where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def apart(pid: int) -> Iterator[dict[str, list[int]] | None]:
    """Process ``pid`` on a core of its own and this process (every thread, and the children it
    starts) on the others, until the block ends; yields which cores, or None where the machine
    has fewer than two usable cores or cannot pin. A sender and its receiver side by side on two
    cores otherwise take turns on both, and the scheduler's choices move the figures by 10-20 %."""
    affinity = getattr(os, "sched_getaffinity", None)
    usable = sorted(affinity(0)) if affinity is not None else []
    if len(usable) < 2:
        yield None
        return
    theirs, ours = usable[-1:], usable[:-1]
    try:
        _pin(pid, theirs)
        _pin(os.getpid(), ours)
    except OSError:  # a container may refuse it: measured unpinned, and said so
        with contextlib.suppress(OSError):
            _pin(os.getpid(), usable)
        yield None
        return
    try:
        yield {"sender_cpus": ours, "receiver_cpus": theirs}
    finally:
        with contextlib.suppress(OSError):
            _pin(os.getpid(), usable)


def _pin(pid: int, cpus: list[int]) -> None:
    """Every thread of process ``pid`` on ``cpus`` (an affinity is a thread's own on Linux)."""
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            os.sched_setaffinity(int(task), cpus)


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` has started, from /proc; none where it cannot be read."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError, ValueError):
            found.extend(int(child) for child in children.read_text().split())
    return found


def idle_cpu_seconds() -> float:
    """Seconds the machine's cores have spent idle (or waiting for the disk) since it booted,
    from /proc/stat; 0 where it cannot be read."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "cpus": os.cpu_count(),
        "usable_cpus": len(affinity(0)) if affinity is not None else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "loop": loop_name(),
    }
