"""Bounded load with wrk (Debian's package): a fixed number of connections for a fixed
time, and what wrk itself cost in CPU, to show it is not the bottleneck."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks import BenchError

LUA = Path(__file__).with_name("wrk.lua")
MARKER = "BENCH_JSON "


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    unexpected: int  # responses whose status was not the expected one
    first_unexpected: int
    socket_errors: int  # connect, read and write errors and timeouts
    wrk_cpu_seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise BenchError("wrk is missing: install Debian's package (sudo apt-get install -y wrk)")
    print("Installing wrk from Debian's packages...", flush=True)
    apt = "/usr/bin/apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, check=False, capture_output=True).returncode:  # noqa: S603
        subprocess.run([apt, "update", "-qq"], env=env, check=True, capture_output=True)  # noqa: S603
        subprocess.run(install, env=env, check=True, capture_output=True)  # noqa: S603
    return shutil.which("wrk") or ""


def run_wrk(
    wrk: str,
    url: str,
    *,
    method: str,
    headers: dict[str, str],
    bodies: list[bytes],
    expect: int,
    seconds: float,
    connections: int,
    threads: int,
    workdir: Path,
) -> Load:
    workdir.mkdir(parents=True, exist_ok=True)
    header_file = workdir / "headers.txt"
    header_file.write_text("".join(f"{name}: {value}\n" for name, value in headers.items()))
    body_files = []
    for number, body in enumerate(bodies):
        path = workdir / f"body-{number}.txt"
        path.write_bytes(body)
        body_files.append(str(path))
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=30s",
        f"--script={LUA}",
        url,
        "--",
        method,
        str(header_file),
        str(expect),
        *body_files,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(  # noqa: S603 (our own command line)
        command, capture_output=True, text=True, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in finished.stdout.splitlines() if line.startswith(MARKER)]
    if finished.returncode != 0 or not lines:
        raise BenchError(f"wrk failed on {url}:\n{finished.stdout}\n{finished.stderr}")
    result = json.loads(lines[-1].removeprefix(MARKER))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Load(
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        max_ms=result["max_us"] / 1000,
        unexpected=result["unexpected"],
        first_unexpected=result["first_unexpected"],
        socket_errors=sum(
            result[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
        ),
        wrk_cpu_seconds=cpu,
    )
