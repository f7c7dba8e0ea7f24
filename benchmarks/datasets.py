"""Seeded databases, kept in benchmarks/results/ by source, factor, seed and database kind
and reused on the day they were seeded (the trainer's register is for a session *today*).

Each run gets a fresh copy of the seeded database (a file copy on SQLite, a template on
PostgreSQL), so what one run writes never reaches the next.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import BenchError
from benchmarks.environment import PYTHON, RESULTS, ROOT, seeding_environment

DATABASES = RESULTS / "databases"


@dataclass
class Dataset:
    name: str  # e.g. scale-f1-s1-sqlite
    kind: str  # sqlite or postgresql
    factor: float | None  # None for the demo data
    seed: int | None
    password: str
    run_url: str  # the copy this run serves and writes to
    seeded_on: str
    seconds_to_seed: float | None  # None when reused


def has_seed_scale() -> bool:
    env = seeding_environment("sqlite://", "unused")
    listing = _flask(["lms", "--help"], env)
    return "seed-scale" in listing


def prepare(factor: float, seed: int, *, reseed: bool, demo: bool = False) -> Dataset:
    """The seeded database for this factor and seed (seeding it when absent, stale or
    asked to), copied for one run and migrated to the latest revision. With `demo`, or
    without `flask lms seed-scale`, the demo trust of `flask lms seed-demo` instead."""
    url = os.environ.get("DATABASE_URL", "")
    kind = "postgresql" if url.startswith("postgres") else "sqlite"
    scale = not demo and has_seed_scale()
    if not scale and factor != 1:
        raise BenchError("the demo data has one size: factor 1 only (seed-scale has the rest)")
    name = f"scale-f{factor:g}-s{seed}-{kind}" if scale else f"demo-{kind}"
    store = _store(kind, name)
    meta_path = DATABASES / f"{name}.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    password = os.environ.get("LMS_DEMO_PASSWORD") or meta.get("password")
    why = _why_reseed(meta, password, store.exists(), reseed)
    seconds = None
    if why:
        print(f"Seeding {name} ({why})...", flush=True)
        password = password or secrets.token_urlsafe(12)
        started = time.monotonic()
        store.create_empty()
        env = seeding_environment(store.seeded_url, password)
        _flask(["db", "upgrade"], env)
        command = ["lms", "seed-scale", f"--factor={factor:g}", f"--seed={seed}"]
        _flask(command if scale else ["lms", "seed-demo"], env, quiet=False)
        seconds = time.monotonic() - started
        meta = {
            "password": password,
            "seeded_on": _today(),
            "seconds_to_seed": seconds,
            "seeder": _seeder(),
        }
        print(f"Seeded {name} in {seconds:.0f} s.", flush=True)
    else:
        print(f"Reusing {name}, seeded {meta['seeded_on']} (--reseed to seed again).")
    DATABASES.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(json.dumps(meta, indent=2))
    run_url = store.copy_for_run()
    _flask(["db", "upgrade"], seeding_environment(run_url, password))
    return Dataset(
        name=name,
        kind=kind,
        factor=factor if scale else None,
        seed=seed if scale else None,
        password=password,
        run_url=run_url,
        seeded_on=meta["seeded_on"],
        seconds_to_seed=seconds,
    )


def discard_run(dataset: Dataset) -> None:
    """Drops the run's copy (the seeded database stays for the next run)."""
    _store(dataset.kind, dataset.name).drop_run()


def _store(kind: str, name: str):
    if kind == "postgresql":
        return _Postgres(os.environ.get("DATABASE_URL", ""), name)
    return _Sqlite(name)


def _why_reseed(meta: dict, password: str | None, exists: bool, reseed: bool) -> str:
    if reseed:
        return "--reseed"
    if not exists or not meta:
        return "not seeded yet"
    if meta.get("seeded_on") != _today():
        return "seeded on another day; the trainer's session must be today"
    if password != meta.get("password"):
        return "LMS_DEMO_PASSWORD differs from the seeded one"
    if meta.get("seeder") != _seeder():
        return "the seeding code or the migrations have changed since"
    return ""


def _seeder() -> str:
    """A fingerprint of what made the data: the seed commands' code and the migrations
    (a database seeded before a new table has none of its rows, only the table)."""
    digest = hashlib.sha256()
    sources = [*sorted((ROOT / "lms" / "scale").glob("*.py")), ROOT / "lms" / "demo.py"]
    sources += sorted((ROOT / "migrations" / "versions").glob("*.py"))
    for path in sources:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _today() -> str:
    return datetime.now(ZoneInfo("Europe/London")).date().isoformat()


def _flask(arguments: list[str], env: dict[str, str], *, quiet: bool = True) -> str:
    """Runs a flask command; its output is shown only on failure, unless not `quiet`
    (the seed's progress bar)."""
    finished = subprocess.run(  # noqa: S603 (our own command line)
        [PYTHON, "-m", "flask", *arguments],
        env=env,
        cwd=ROOT,
        capture_output=quiet,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        command = " ".join(["flask", *arguments])
        raise BenchError(f"`{command}` failed:\n{finished.stdout or ''}\n{finished.stderr or ''}")
    return finished.stdout or ""


class _Sqlite:
    def __init__(self, name: str):
        self.path = DATABASES / f"{name}.db"
        self.run_path = DATABASES / f"{name}.run.db"

    @property
    def seeded_url(self) -> str:
        return f"sqlite:///{self.path}"

    def exists(self) -> bool:
        return self.path.exists()

    def create_empty(self) -> None:
        DATABASES.mkdir(parents=True, exist_ok=True)
        _remove_sqlite(self.path)

    def drop_run(self) -> None:
        _remove_sqlite(self.run_path)

    def copy_for_run(self) -> str:
        _remove_sqlite(self.run_path)
        for suffix in ("", "-wal"):  # a WAL left by the seeding holds its last writes
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                shutil.copyfile(source, f"{self.run_path}{suffix}")
        return f"sqlite:///{self.run_path}"


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class _Postgres:
    """Databases lms_bench_<name> (seeded, used as a template) and lms_bench_<name>_run."""

    def __init__(self, url: str, name: str):
        base = make_url(url)
        if base.drivername in ("postgres", "postgresql"):
            base = base.set(drivername="postgresql+psycopg")
        self.base = base
        plain = name.removesuffix("-postgresql").replace("-", "_").replace(".", "_")
        self.name = f"lms_bench_{plain}"
        self.run_name = f"{self.name}_run"

    @property
    def seeded_url(self) -> str:
        return self._url(self.name)

    def _url(self, database: str) -> str:
        return self.base.set(database=database).render_as_string(hide_password=False)

    def _admin(self, *statements: str, **params) -> list:
        engine = create_engine(self.base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            rows = []
            with engine.connect() as connection:
                for sql in statements:
                    result = connection.execute(text(sql), params)
                    rows.append(result.all() if result.returns_rows else [])
            return rows
        finally:
            engine.dispose()

    def exists(self) -> bool:
        rows = self._admin("SELECT 1 FROM pg_database WHERE datname = :name", name=self.name)
        return bool(rows[0])

    def _drop(self, name: str) -> None:
        self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name",
            f'DROP DATABASE IF EXISTS "{name}"',
            name=name,
        )

    def create_empty(self) -> None:
        self._drop(self.run_name)
        self._drop(self.name)
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop_run(self) -> None:
        self._drop(self.run_name)

    def copy_for_run(self) -> str:
        self._drop(self.run_name)
        self._admin(f'CREATE DATABASE "{self.run_name}" TEMPLATE "{self.name}"')
        return self._url(self.run_name)


def database_version(url: str) -> str:
    """What served the run, for the machine facts."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                return "SQLite " + connection.execute(text("SELECT sqlite_version()")).scalar()
            return connection.execute(text("SELECT version()")).scalar().split(",")[0]
    finally:
        engine.dispose()


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
