"""Each target's figures against its goals: a printed table and benchmarks/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.environment import ROOT
from benchmarks.targets import GOAL_FACTOR_RATIO, GOAL_P99_VS_HEALTHZ, GOAL_RSS_MB, Target

FIGURES = (
    ("page", 18, "name"),
    ("as", 7, "who"),
    ("req/s", 7, "rps"),
    ("p50 ms", 7, "p50_ms"),
    ("p99 ms", 7, "p99_ms"),
    ("SQL", 4, "statements"),
    ("x bare", 7, "vs_bare"),
    ("goal", 7, "goal"),
    ("x hz", 6, "vs_healthz"),
    ("p99/hz", 6, "p99_vs_healthz"),
)
# Where the CPU went during each target, in % of one CPU: wrk, the gunicorn workers,
# the database server (PostgreSQL; SQLite runs inside the workers) and everything else.
RESOURCES = (
    ("page", 18, "name"),
    ("requests", 8, "requests"),
    ("RSS MB", 6, "peak_rss_mb"),
    ("wrk cpu", 7, "wrk_cpu_pct"),
    ("app cpu", 7, "app_cpu_pct"),
    ("db cpu", 6, "db_cpu_pct"),
    ("others", 6, "other_cpu_pct"),
)
NOISY_PERCENT = 25


def row(target: Target, path: str, load, statements: int | None, rss_mb: float, cpu) -> dict:
    """The raw figures of one target; `judge` adds the fractions and the verdict."""
    wrk_cpu, app_cpu, db_cpu, other_cpu = cpu
    return {
        "name": target.name,
        "who": target.who or "anyone",
        "method": target.method,
        "path": path,
        "requests": load.requests,
        "rps": round(load.rps, 1),
        "p50_ms": round(load.p50_ms, 2),
        "p99_ms": round(load.p99_ms, 2),
        "max_ms": round(load.max_ms, 2),
        "statements": statements,
        "goal": target.goal,
        "peak_rss_mb": round(rss_mb, 1),
        "wrk_cpu_pct": round(100 * wrk_cpu / load.seconds),
        "app_cpu_pct": round(100 * app_cpu / load.seconds),
        "db_cpu_pct": round(100 * db_cpu / load.seconds),
        "other_cpu_pct": round(100 * other_cpu / load.seconds),
        "unexpected_responses": load.unexpected,
        "first_unexpected_status": load.first_unexpected or None,
        "socket_errors": load.socket_errors,
        "is_page": target.is_page,
    }


def judge(rows: list[dict]) -> None:
    """Adds fractions of bare Flask and /healthz, and each row's verdict, in place."""
    by_name = {r["name"]: r for r in rows}
    bare, healthz = by_name.get("bare Flask"), by_name.get("/healthz")
    for r in rows:
        r["vs_bare"] = round(r["rps"] / bare["rps"], 4) if bare and bare["rps"] else None
        hz_rps = healthz["rps"] if healthz else 0
        r["vs_healthz"] = round(r["rps"] / hz_rps, 4) if hz_rps else None
        hz_p99 = healthz["p99_ms"] if healthz else 0
        r["p99_vs_healthz"] = round(r["p99_ms"] / hz_p99, 2) if hz_p99 else None
        r["failures"] = _failures(r)
        r["missed"] = _missed(r)


def _failures(r: dict) -> list[str]:
    failures = []
    if not r["requests"]:
        failures.append("no response within the run's time")
    if r["unexpected_responses"]:
        failures.append(
            f"{r['unexpected_responses']} responses not as expected "
            f"(first: {r['first_unexpected_status']})"
        )
    if r["socket_errors"]:
        failures.append(f"{r['socket_errors']} socket errors or timeouts")
    return failures


def _missed(r: dict) -> list[str]:
    missed = []
    if r["goal"] is not None and r["vs_bare"] is not None and r["vs_bare"] < r["goal"]:
        missed.append(f"req/s {r['vs_bare']:.4f} of bare < {r['goal']}")
    if r["is_page"] and (r["p99_vs_healthz"] or 0) > GOAL_P99_VS_HEALTHZ:
        missed.append(f"p99 {r['p99_vs_healthz']:.1f}x healthz > {GOAL_P99_VS_HEALTHZ:g}x")
    if r["is_page"] and r["peak_rss_mb"] > GOAL_RSS_MB:
        missed.append(f"RSS {r['peak_rss_mb']:.0f} MB > {GOAL_RSS_MB:g}")
    return missed


def _cell(value, key: str) -> str:
    if value is None:
        return "-"
    if key == "goal":
        return f">={value:g}"
    if key in ("vs_bare", "vs_healthz"):
        return f"{value:.3f}"
    if key.endswith("cpu_pct"):
        return f"{value}%"
    if isinstance(value, float):
        return f"{value:.1f}" if value < 1000 else f"{value:.0f}"
    return str(value)


def _lines(rows: list[dict], columns) -> list[str]:
    lines = ["  ".join(title.rjust(width) for title, width, _ in columns)]
    lines[0] = "page".ljust(18) + lines[0][18:]
    for r in rows:
        cells = [_cell(r[key], key).rjust(width) for _, width, key in columns]
        name = f"{r['name']} ({r['marks']})" if r.get("marks") else r["name"]
        cells[0] = name[:18].ljust(18)
        if columns[1][2] == "who":
            cells[1] = r["who"][:7].ljust(7)
        lines.append("  ".join(cells))
    return lines


def _verdict(r: dict) -> str:
    if r["failures"]:
        return "FAILED: " + "; ".join(r["failures"])
    if r["missed"]:
        return "missed: " + "; ".join(r["missed"])
    return "baseline" if r["name"] == "bare Flask" else "met"


def table(rows: list[dict]) -> str:
    """The figures against the goals, then where the CPU went."""
    figures = _lines(rows, FIGURES)
    lines = [figures[0] + "  result"]
    lines += [line + "  " + _verdict(r) for line, r in zip(figures[1:], rows, strict=True)]
    lines += ["", *_lines(rows, RESOURCES)]
    busy = [r["name"] for r in rows if r["other_cpu_pct"] > NOISY_PERCENT]
    if busy:
        lines.append(
            f"note: other processes used over {NOISY_PERCENT}% of a CPU during {len(busy)} "
            "target(s) ('others'): their figures are not clean; rerun on a quiet machine"
        )
    return "\n".join(lines)


def factor_ratios(runs: list[dict]) -> list[dict]:
    """Per page: req/s at the largest factor over req/s at the smallest, raw and as
    fractions of each run's bare Flask (which takes out drift between the two runs)."""
    small, large = runs[0], runs[-1]
    before = {r["name"]: r for r in small["targets"]}
    ratios = []
    for r in large["targets"]:
        was = before.get(r["name"])
        if not r["is_page"] or not was or not was["rps"] or not was["vs_bare"]:
            continue
        raw = r["rps"] / was["rps"]
        fraction = (r["vs_bare"] or 0) / was["vs_bare"]
        ratios.append(
            {
                "name": r["name"],
                "rps_ratio": round(raw, 3),
                "vs_bare_ratio": round(fraction, 3),
                "met": fraction >= GOAL_FACTOR_RATIO,
            }
        )
    return ratios


def ratio_table(ratios: list[dict], small: str, large: str) -> str:
    lines = [
        f"req/s at factor {large} over factor {small} (goal: within 1.3x, i.e. >= "
        f"{GOAL_FACTOR_RATIO:.2f}; judged on the fractions of each run's bare Flask)",
        f"{'page':18}  {'req/s':>7}  {'x bare':>7}  result",
    ]
    for r in ratios:
        verdict = "met" if r["met"] else "missed"
        lines.append(f"{r['name']:18}  {r['rps_ratio']:7.2f}  {r['vs_bare_ratio']:7.2f}  {verdict}")
    return "\n".join(lines)


def machine(database_version: str, load_average: tuple[float, float, float]) -> dict:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": database_version,
        "load_average_before": [round(value, 2) for value in load_average],
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _git(*arguments: str) -> str:
    finished = subprocess.run(  # noqa: S603 (our own command line)
        ["git", *arguments],  # noqa: S607 (git from PATH, as the Makefile finds it)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return finished.stdout.strip()


def write(path: Path, machine_facts: dict, settings: dict, runs: list[dict], ratios) -> None:
    document = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts,
        "settings": settings,
        "runs": runs,
        "factor_ratios": ratios,
    }
    text = json.dumps(document, indent=2, default=_plain) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    # Every run is kept too, named by when it finished and what it ran on.
    names = "+".join(run["dataset"]["name"] for run in runs)
    stamp = document["finished_at"].replace(":", "").replace("+0000", "Z")
    history = path.parent / "history" / f"{stamp}-{names}.json"
    history.parent.mkdir(exist_ok=True)
    history.write_text(text)


def _plain(value):
    return asdict(value) if hasattr(value, "__dataclass_fields__") else str(value)
