"""gunicorn on 127.0.0.1 with sync workers: started, waited for, measured through /proc
(each worker's CPU time and peak resident memory), and stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from benchmarks import BenchError
from benchmarks.client import Browser
from benchmarks.environment import PYTHON, ROOT, free_port

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CONFIG = Path(__file__).with_name("gunicorn_conf.py")


class Server:
    """`with Server(...) as server:` serves `app` until the block ends."""

    def __init__(self, app: str, env: dict[str, str], *, workers: int, log: Path, ready: str):
        self.app, self.env, self.workers, self.log, self.ready = app, env, workers, log, ready
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    f"--config={CONFIG}",
                    f"--workers={self.workers}",
                    f"--bind=127.0.0.1:{self.port}",
                    self.app,
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()
        return self

    def __exit__(self, *_) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn ({self.app}) stopped:\n{self._log_tail()}")
            try:
                answered = Browser(self.port).get(self.ready).status == 200
            except OSError:
                answered = False
            if answered and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.2)
        raise BenchError(f"gunicorn ({self.app}) did not answer in 60 s:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def worker_pids(self) -> list[int]:
        """The master's children: the workers (gunicorn starts nothing else)."""
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return [pid for pid in _all_pids() if _parent(pid) == master]

    def cpu_seconds(self) -> float:
        """User and system CPU time the workers have used so far."""
        total = 0
        for pid in self.worker_pids():
            fields = _stat_fields(pid)
            if fields:
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) of any worker."""
        peaks = [0.0]
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(f"gunicorn ({self.app}) stopped:\n{self._log_tail()}")


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used in user and system mode so far."""
    user, nice, system = Path("/proc/stat").read_text().split()[1:4]
    return (int(user) + int(nice) + int(system)) / CLOCK_TICKS


def database_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL server's processes now running here."""
    total = 0
    for pid in _all_pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, _, rest = stat.partition("(")[2].rpartition(")")
        if name.startswith("postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rpartition(")")[2].split()


def _parent(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else 0


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]
