"""`python -m benchmarks` (`make bench`): see benchmarks/README.md."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import asdict

from benchmarks import BenchError, datasets, report
from benchmarks.client import Browser
from benchmarks.environment import PYTHON, RESULTS, ROOT, app_environment, check_redis
from benchmarks.forms import FORMS
from benchmarks.load import ensure_wrk, run_wrk
from benchmarks.server import Server, database_cpu_seconds, machine_cpu_seconds
from benchmarks.targets import ACCOUNTS, Target, selected

APP = "lms.app:create_app()"
BARE = "benchmarks.bare_app:app"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--factor", type=float, default=1.0, help="data scale (default 1)")
    parser.add_argument("--factors", help="several scales in one run, e.g. 0.1,1")
    parser.add_argument("--seed", type=int, default=1, help="seed-scale's seed (default 1)")
    parser.add_argument("--reseed", action="store_true", help="seed again even if kept")
    parser.add_argument("--demo", action="store_true", help="seed-demo's data, not seed-scale")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--quick", action="store_true", help="3 s per target, 1 s warm-up")
    parser.add_argument("--only", help="targets whose name contains these (comma-separated)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3.0, 1.0
    factors = args.factors.split(",") if args.factors else [args.factor]
    args.factor_list = sorted(float(factor) for factor in factors)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens under make
    try:
        return run(args)
    except BenchError as error:
        print(f"\nbenchmark stopped: {error}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    wrk = ensure_wrk()
    check_redis()
    if importlib.util.find_spec("gunicorn") is None:
        raise BenchError(f"gunicorn is not installed: {PYTHON} -m pip install gunicorn")
    targets = selected(args.only)
    load_average = os.getloadavg()  # how busy the machine was before we started
    runs = []
    bare_env = app_environment("sqlite://", "unused")
    log = RESULTS / "logs" / "bare.log"
    with Server(BARE, bare_env, workers=args.workers, log=log, ready="/") as bare:
        for factor in args.factor_list:
            runs.append(run_factor(args, factor, targets, bare, wrk))
    ratios = report.factor_ratios(runs) if len(runs) > 1 else []
    for one in runs:
        print(f"\n{one['title']}\n{report.table(one['targets'])}")
    if ratios:
        smallest, largest = (f"{one['factor']:g}" for one in (runs[0], runs[-1]))
        print("\n" + report.ratio_table(ratios, smallest, largest))
    facts = report.machine(runs[-1]["database_version"], load_average)
    report.write(RESULTS / "latest.json", facts, settings(args, wrk), runs, ratios)
    failed = [r["name"] for one in runs for r in one["targets"] if r["failures"]]
    missed = [r["name"] for one in runs for r in one["targets"] if r["missed"]]
    print(f"\n{len(missed)} goal(s) missed; results in {RESULTS / 'latest.json'}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def run_factor(args, factor: float, targets: list[Target], bare: Server, wrk: str) -> dict:
    dataset = datasets.prepare(factor, args.seed, reseed=args.reseed, demo=args.demo)
    env = app_environment(dataset.run_url, dataset.password)
    app_targets = [target for target in targets if target.server == "app"]
    measured = in_process(env, app_targets, dataset.password)
    if measured["debug"] or measured["env"] != "production":
        raise BenchError(f"the app is not in production mode: {measured}")
    for note in measured["notes"]:
        print(f"note: {note}")
    rows = []
    # PostgreSQL's processes, when it serves the run (SQLite works inside the workers).
    db_seconds = database_cpu_seconds if dataset.kind == "postgresql" else lambda: 0.0
    log = RESULTS / "logs" / f"{dataset.name}.log"
    with Server(APP, env, workers=args.workers, log=log, ready="/healthz") as app:
        browsers: dict[str, Browser] = {}
        for target in targets:
            server = bare if target.server == "bare" else app
            path = target.url_path(measured["values"])
            request, marks = ready_request(target, path, server, browsers, dataset)
            load, cpu = load_target(args, wrk, server, path, request, db_seconds)
            statements = measured["statements"].get(target.name)
            rows.append(report.row(target, path, load, statements, server.peak_rss_mb(), cpu))
            rows[-1]["marks"] = marks
            print(f"  {target.name:<18} {load.rps:8.1f} req/s  p99 {load.p99_ms:7.1f} ms")
        peak = app.peak_rss_mb()
    version = datasets.database_version(dataset.run_url)
    datasets.discard_run(dataset)
    report.judge(rows)
    label = f"factor {factor:g}, seed {args.seed}" if dataset.factor else "demo data"
    return {
        "title": f"{dataset.name}: {label}, {dataset.kind}, {args.workers} sync workers, "
        f"{args.connections} connections, {args.duration:g} s per target",
        "factor": factor,
        "dataset": asdict(dataset) | {"run_url": datasets.shown(dataset.run_url), "password": "*"},
        "database_version": version,
        "notes": measured["notes"],
        "peak_rss_mb": round(peak, 1),
        "targets": rows,
    }


def load_target(args, wrk: str, server: Server, path: str, request: dict, db_seconds):
    """A warm-up, then the measured load, and the CPU time that wrk, the workers, the
    database server and everything else on the machine used meanwhile."""
    url = f"http://127.0.0.1:{server.port}{path}"
    options = dict(connections=args.connections, threads=args.threads, workdir=RESULTS / "wrk")
    run_wrk(wrk, url, seconds=args.warmup, **request, **options)
    before = server.cpu_seconds(), db_seconds(), machine_cpu_seconds()
    load = run_wrk(wrk, url, seconds=args.duration, **request, **options)
    app_cpu = server.cpu_seconds() - before[0]
    db_cpu = db_seconds() - before[1]
    other_cpu = machine_cpu_seconds() - before[2] - app_cpu - db_cpu - load.wrk_cpu_seconds
    server.check_alive()
    return load, (load.wrk_cpu_seconds, app_cpu, db_cpu, max(0.0, other_cpu))


def ready_request(target: Target, path: str, server: Server, browsers, dataset):
    """Logs in as the target's person and checks the target answers as it should; returns
    what wrk sends (method, headers, bodies, expected status) and how many marks a
    register body saves."""
    if target.who is None:
        browser = Browser(server.port)
    elif target.who not in browsers:
        browser = browsers[target.who] = Browser(server.port)
        browser.log_in(ACCOUNTS[target.who], dataset.password)
    else:
        browser = browsers[target.who]
    bodies, marks = [], None
    if target.method == "POST":
        page = browser.get(path)
        bodies, marks = FORMS[target.form](page.text)
    cookie = browser.cookie_header if target.who else ""
    reply = browser.request(target.method, path, bodies[0] if bodies else None)
    if reply.status != target.expect or not reply.content_type.startswith(target.content_type):
        raise BenchError(
            f"{target.name} ({target.method} {path} as {target.who or 'anyone'}) answered "
            f"{reply.status} {reply.content_type!r}, expected {target.expect} "
            f"{target.content_type!r}:\n{reply.text[:600]}"
        )
    headers = {"Cookie": cookie} if cookie else {}
    request = dict(method=target.method, headers=headers, bodies=bodies, expect=target.expect)
    return request, marks


def in_process(env: dict[str, str], targets: list[Target], password: str) -> dict:
    request = {
        "accounts": ACCOUNTS,
        "password": password,
        "targets": [asdict(target) for target in targets],
    }
    finished = subprocess.run(  # noqa: S603 (our own command line)
        [PYTHON, "-m", "benchmarks.inprocess"],
        input=json.dumps(request),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise BenchError(f"counting statements in-process failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def settings(args, wrk: str) -> dict:
    versions = {
        "wrk": _first_line([wrk, "--version"]),
        "gunicorn": _first_line([PYTHON, "-m", "gunicorn", "--version"]),
    }
    return {
        "workers": args.workers,
        "worker_class": "sync",
        "connections": args.connections,
        "wrk_threads": args.threads,
        "seconds_per_target": args.duration,
        "warmup_seconds": args.warmup,
        "factors": args.factor_list,
        "seed": args.seed,
        **versions,
    }


def _first_line(command: list[str]) -> str:
    finished = subprocess.run(  # noqa: S603 (our own command line)
        command, capture_output=True, text=True, check=False
    )
    return (finished.stdout or finished.stderr).strip().splitlines()[0]


if __name__ == "__main__":
    sys.exit(main())
