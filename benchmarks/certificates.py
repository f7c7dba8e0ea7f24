"""`python -m benchmarks.certificates` (`make bench-certificates`): our certificate PDF
against WeasyPrint's, and a cohort's certificates as one streamed ZIP.

Part 1 renders the same distinct certificates with `certificates.render` (ReportLab, the
DejaVu font embedded, the QR code as one path) and with WeasyPrint from HTML and CSS
(benchmarks/certificate.html: the same page, texts, font files and QR code, as inline SVG
from segno), one after the other in alternating order so machine noise hits both alike,
after a warm-up of each. It prints the median and p90 milliseconds per certificate and
their ratio. Goal: ours at least 25 times faster than WeasyPrint in the same run.

Part 2 issues the certificates of two cohorts (100 and 1,000 learners by default) through
`certificates.issue` in a throwaway SQLite database, then streams each cohort's ZIP with
`certificates.bulk.stream_zip` to a file, reporting the time, the growth of the process's
peak resident memory while streaming (VmHWM, reset just before, against VmRSS) and
tracemalloc's peak (a second, untimed stream). Goal: constant memory, i.e. the large
cohort's tracemalloc peak within twice the small one's. Each ZIP is checked: one member
per certificate, `testzip()` clean.

Figures are meant to be compared within one run. Results also go to
benchmarks/results/certificates.json (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import ctypes
import gc
import io
import json
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from benchmarks import BenchError
from benchmarks.environment import RESULTS
from certificates.render import (
    LAYOUT,
    CertificatePage,
    describe_accreditation,
    describe_days,
    describe_hours,
    render_certificate,
    uk_date,
)
from lms.core.fonts import register_fonts

GOAL_RATIO = 25.0  # ours at least this many times faster than WeasyPrint
GOAL_MEMORY_RATIO = 2.0  # the large cohort's streaming peak within this of the small one's
BUSY_OTHERS = 25  # % of one CPU used by other processes above which a run says so
HERE = Path(__file__).resolve().parent
OUTPUT = RESULTS / "certificates.json"

# --- the certificates --------------------------------------------------------------------

# The names the issue asks for first, then every first name with every surname.
NAMED = ("Zoë Łukasz-O'Néill", "Siân Ffion ap Gwyn", "Dvořák")
FIRST = (
    "Aoife", "Chidi", "Dafydd", "Eilidh", "Fatima", "Gruffudd", "Hélène", "Ifeoma", "Jürgen",
    "Kasia", "Lwazi", "Małgorzata", "Niamh", "Oluwaseun", "Pádraig", "Quentin", "Rhiannon",
    "Søren", "Tomasz", "Úna", "Wojciech", "Xiomara", "Yusuf", "Zsófia", "Bethan", "Catrin",
    "Deepa", "Emeka", "Gwenllian", "Hamza", "Ishbel", "Joanna", "Kofi", "Leonor", "Mairéad",
    "Nuala",
)  # fmt: skip
SURNAME = (
    "Ashworth", "Brzęczyszczykiewicz", "Cárdenas", "Dvořák", "Evans", "Fernández",
    "García-Márquez", "Hughes", "Iwu", "Jones", "Kowalczyk", "Llewelyn", "Müller", "Nowak",
    "Ó Briain", "O'Sullivan", "Přibyl", "Quinn", "Rees", "Sørensen", "Thomas", "Ünal",
    "Vaughan", "Wiśniewska", "Żółć", "ap Rhys", "Okafor", "Mbeki", "Nguyễn", "Smith",
)  # fmt: skip
COURSES = (
    "Project Management Core Concepts",
    "Managing Benefits in NHS Portfolios",
    "Agile Delivery for Clinical Transformation Programmes",
    "Risk, Issues and Dependencies",
)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # certificates.codes' Crockford base32


def learner_names(count: int) -> list[str]:
    names = list(NAMED)
    for surname in SURNAME:
        for first in FIRST:
            names.append(f"{first} {surname}")
    if count > len(names):
        raise SystemExit(f"at most {len(names)} distinct learner names")
    return names[:count]


def pages(count: int, seed: int = 1) -> list[CertificatePage]:
    """`count` distinct certificates: names, courses, numbers, codes and days all vary."""
    rng = random.Random(seed)  # noqa: S311 (made-up data, the same every run)
    result = []
    for index, name in enumerate(learner_names(count)):
        code = "".join(rng.choice(ALPHABET) for _ in range(28))
        grouped = "-".join(code[i : i + 4] for i in range(0, 28, 4))
        first_day = date(2026, 3, 3) + timedelta(days=rng.randrange(200))
        result.append(
            CertificatePage(
                organisation_name="Example NHS Foundation Trust",
                learner_name=name,
                course_title=COURSES[index % len(COURSES)],
                cpd_hours=Decimal(rng.choice(("3", "6", "7.50", "14"))),
                accreditation_body="Association for Project Management" if index % 2 else None,
                accreditation_reference="APM-ACC-1234" if index % 4 == 1 else None,
                session_dates=tuple(
                    first_day + timedelta(weeks=week) for week in range(rng.randint(1, 6))
                ),
                issued_on=date(2026, 12, 5),
                expires_on=date(2029, 12, 5) if index % 3 else None,
                number=f"PMO-2026-{index + 1:05d}",
                verification_url=f"https://lms.example.nhs.uk/verify/{grouped}",
                signatory_name="Dr Amara Okafor",
                signatory_title="Head of the Project Management Office",
            )
        )
    return result


class WeasyCertificate:
    """The same certificate through WeasyPrint: Jinja renders benchmarks/certificate.html
    with the texts `certificates.render` prints, and WeasyPrint lays it out."""

    def __init__(self) -> None:
        try:
            import weasyprint  # the `bench` extra; not a dependency of the app
        except ImportError as error:
            raise BenchError(
                "WeasyPrint is not installed: `make bench-certificates` installs it"
            ) from error
        except OSError as error:  # it loads pango with cffi on import
            raise BenchError(
                f"WeasyPrint needs Debian's pango ({error}): "
                "apt-get install libpango-1.0-0 libpangoft2-1.0-0"
            ) from error

        self._html = weasyprint.HTML
        self.version = weasyprint.__version__
        fonts = register_fonts()
        self._fonts = {
            "regular_font": fonts.regular_file.resolve().as_uri(),
            "bold_font": fonts.bold_file.resolve().as_uri(),
        }
        environment = Environment(
            loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html"])
        )
        self._template = environment.get_template("certificate.html")

    def html(self, page: CertificatePage) -> str:
        qr = segno.make(page.verification_url, error="m")
        return self._template.render(
            page=page,
            layout=LAYOUT,
            hours=describe_hours(page.cpd_hours),
            accreditation=describe_accreditation(
                page.accreditation_body, page.accreditation_reference
            ),
            days=describe_days(page.session_dates),
            issued_on=uk_date(page.issued_on),
            expires_on=uk_date(page.expires_on) if page.expires_on else "",
            qr_svg=qr.svg_inline(border=4, omitsize=True, dark="#000", light="#fff"),
            **self._fonts,
        )

    def __call__(self, page: CertificatePage) -> bytes:
        return self._html(string=self.html(page), base_url=str(HERE)).write_pdf()


# --- part 1: rendering -------------------------------------------------------------------


def _summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "count": len(ordered),
        "median_ms": round(1000 * statistics.median(ordered), 2),
        "p90_ms": round(1000 * p90, 2),
        "min_ms": round(1000 * ordered[0], 2),
    }


def check_pdf(pdf: bytes, page: CertificatePage) -> list[str]:
    """What is wrong with a rendered certificate: not one page, or the name not in it."""
    from pypdf import PdfReader  # the `test` extra, which `make bench-certificates` installs

    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    problems = []
    if len(reader.pages) != 1:
        problems.append(f"{len(reader.pages)} pages")
    for expected in (page.learner_name, page.number):
        if expected not in text:
            problems.append(f"{expected!r} not in its text")
    return problems


def _machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def compare_renderers(certificates: list[CertificatePage], warmup: int) -> dict:
    weasy = WeasyCertificate()
    engines: dict[str, Callable[[CertificatePage], bytes]] = {
        "ours": render_certificate,
        "weasyprint": weasy,
    }
    problems = {}
    for name, render in engines.items():
        for page in certificates[:warmup]:  # fonts loaded, caches filled, code paths hot
            render(page)
        problems[name] = check_pdf(render(certificates[0]), certificates[0])
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    sizes: dict[str, list[int]] = {name: [] for name in engines}
    order = list(engines)
    machine_before, own_before, wall_before = (
        _machine_busy_seconds(),
        time.process_time(),
        time.perf_counter(),
    )
    for index, page in enumerate(certificates):
        # Alternate which goes first, so neither always follows the other's garbage.
        for name in order if index % 2 == 0 else reversed(order):
            started = time.perf_counter()
            pdf = engines[name](page)
            seconds[name].append(time.perf_counter() - started)
            sizes[name].append(len(pdf))
    wall = time.perf_counter() - wall_before
    own = time.process_time() - own_before
    others = max(0.0, _machine_busy_seconds() - machine_before - own) / wall
    result = {name: _summary(seconds[name]) for name in engines}
    for name in engines:
        result[name]["mean_kb"] = round(statistics.mean(sizes[name]) / 1024, 1)
        result[name]["problems"] = problems[name]
    ratio = result["weasyprint"]["median_ms"] / result["ours"]["median_ms"]
    result["ratio"] = round(ratio, 1)
    result["goal_ratio"] = GOAL_RATIO
    result["met"] = ratio >= GOAL_RATIO
    result["weasyprint_version"] = weasy.version
    # CPU used by other processes while this one rendered, in % of one CPU: above
    # BUSY_OTHERS the machine was shared and the milliseconds are high (the ratio less so).
    result["others_cpu_percent"] = round(100 * others)
    return result


def profile_ours(certificates: list[CertificatePage], top: int) -> str:
    """cProfile of our renderer over the certificates: the top functions by own time."""
    profile = cProfile.Profile()
    profile.enable()
    for page in certificates:
        render_certificate(page)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- part 2: the cohort ZIP ----------------------------------------------------------------


@dataclass
class Cohorts:
    app: object
    ids: dict[int, int]  # learners -> cohort id
    issue_seconds: float


def issue_cohorts(directory: Path, sizes: Iterable[int]) -> Cohorts:
    """A throwaway SQLite database with one closed cohort per size, each learner's
    enrolment completed and its certificate issued by `certificates.issue`."""
    from certificates import issue
    from courses.models import Cohort, CohortStatus, Course, Enrolment, EnrolmentStatus, Session
    from lms.app import create_app
    from lms.auth.models import User
    from lms.core.extensions import db
    from lms.models import metadata

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmarks-only-" + "k" * 32,
            "BASE_URL": "https://lms.example.nhs.uk",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'certificates.db'}",
            "INSTANCE_PATH": str(directory),
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_TRANSPORT": "log",
            "OUTBOX_INLINE": False,
        }
    )
    now = datetime.now(UTC).replace(microsecond=0)
    ids, seconds, learner = {}, 0.0, 0
    with app.app_context():
        metadata.create_all(db.engine)  # the models' schema: quieter than the migrations
        course = Course(
            code="CERT-PM",
            title="Project Management Core Concepts",
            cpd_hours=Decimal("7.50"),
            accreditation_body="Association for Project Management",
            accreditation_reference="APM-ACC-1234",
            certificate_validity_months=36,
            learning_outcomes=[],
        )
        db.session.add(course)
        for number, size in enumerate(sorted(sizes), start=1):
            starts = [now - timedelta(days=days, hours=3) for days in (23, 16, 9)]
            cohort = Cohort(
                course=course,
                code=f"CERT-PM-{number:02d}",
                capacity=size,
                status=CohortStatus.CLOSED,
                closed_at=now,
                sessions=[
                    Session(title=f"Day {day}", starts_at=start, ends_at=start + timedelta(hours=3))
                    for day, start in enumerate(starts, start=1)
                ],
            )
            enrolments = []
            for name in learner_names(size):
                learner += 1
                person = User(email=f"learner{learner}@example.nhs.uk", full_name=name)
                enrolments.append(
                    Enrolment(
                        cohort=cohort,
                        learner=person,
                        status=EnrolmentStatus.COMPLETED,
                        requested_at=now - timedelta(days=40),
                        confirmed_at=now - timedelta(days=40),
                        ended_at=now,
                    )
                )
            db.session.add_all(enrolments)
            db.session.commit()
            ids[size] = cohort.id
            enrolment_ids = [enrolment.id for enrolment in enrolments]
            del enrolments
            db.session.expunge_all()
            started = time.perf_counter()
            for index, enrolment_id in enumerate(enrolment_ids, start=1):
                issue(db.session.get_one(Enrolment, enrolment_id), now=now)
                if index % 100 == 0:
                    db.session.commit()
                    db.session.expunge_all()  # the session would otherwise hold every PDF
            db.session.commit()
            db.session.expunge_all()
            seconds += time.perf_counter() - started
            print(f"  issued {size:,} certificates ({time.perf_counter() - started:.1f} s)")
    return Cohorts(app, ids, seconds)


def _proc_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Sets VmHWM back to the current VmRSS (Linux: writing 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _give_back_memory() -> None:
    """Garbage collected and glibc's free pages returned, so RSS growth is the stream's."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: RSS may stay higher
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _stream(engine, cohort_id: int, path: Path) -> int:
    from certificates.bulk import stream_zip

    written = 0
    with path.open("wb") as out:
        for piece in stream_zip(engine, cohort_id, datetime.now(UTC)):
            written += out.write(piece)
    return written


def measure_zip(engine, cohort_id: int, size: int, directory: Path) -> dict:
    """Time and peak memory growth of streaming one cohort's ZIP, and the ZIP checked."""
    path = directory / f"cohort-{size}.zip"
    _give_back_memory()
    can_reset = _reset_peak_rss()
    rss_before = _proc_kb("VmRSS")
    started = time.perf_counter()
    written = _stream(engine, cohort_id, path)
    seconds = time.perf_counter() - started
    hwm = _proc_kb("VmHWM")
    rss_growth = (hwm - rss_before) / 1024 if can_reset and hwm and rss_before else None

    _give_back_memory()
    tracemalloc.start()
    _stream(engine, cohort_id, directory / f"cohort-{size}-traced.zip")
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        bad = archive.testzip()
    problems = []
    if len(names) != size or len(set(names)) != size:
        problems.append(f"{len(names)} members ({len(set(names))} distinct), expected {size}")
    if bad is not None:
        problems.append(f"testzip: {bad} is damaged")
    return {
        "certificates": size,
        "zip_mb": round(written / 1024 / 1024, 1),
        "seconds": round(seconds, 3),
        "ms_per_certificate": round(1000 * seconds / size, 3),
        "peak_rss_growth_mb": round(rss_growth, 1) if rss_growth is not None else None,
        "tracemalloc_peak_mb": round(traced_peak / 1024 / 1024, 2),
        "members": len(names),
        "problems": problems,
    }


def compare_cohorts(sizes: list[int]) -> dict:
    from lms.core.extensions import db

    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as folder:
        directory = Path(folder)
        cohorts = issue_cohorts(directory, sizes)
        with cohorts.app.app_context():
            engine = db.engine
            runs = [measure_zip(engine, cohorts.ids[size], size, directory) for size in sizes]
            engine.dispose()
    small, large = runs[0], runs[-1]
    memory_ratio = large["tracemalloc_peak_mb"] / max(small["tracemalloc_peak_mb"], 0.01)
    return {
        "database": f"SQLite {sqlite3.sqlite_version}",
        "issue_seconds": round(cohorts.issue_seconds, 1),
        "issue_ms_per_certificate": round(1000 * cohorts.issue_seconds / sum(sizes), 1),
        "runs": runs,
        "memory_ratio": round(memory_ratio, 2),
        "goal_memory_ratio": GOAL_MEMORY_RATIO,
        "met": memory_ratio <= GOAL_MEMORY_RATIO,
    }


# --- the run -----------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.certificates", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--count", type=int, default=60, help="certificates each (default 60)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured renders each first")
    parser.add_argument(
        "--cohorts", default="100,1000", help="cohort sizes to stream, smallest first"
    )
    parser.add_argument("--quick", action="store_true", help="10 certificates, cohorts 20,200")
    parser.add_argument("--profile", action="store_true", help="cProfile ours after the run")
    parser.add_argument("--skip-zip", action="store_true", help="rendering only")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.warmup, args.cohorts = 10, 2, "20,200"
    args.sizes = sorted(int(size) for size in args.cohorts.split(","))
    return args


def _verdict(met: bool, problems: list[str]) -> str:
    if problems:
        return "FAILED: " + "; ".join(problems)
    return "met" if met else "missed"


def render_table(result: dict) -> str:
    lines = [
        f"{'renderer':22}  {'median ms':>9}  {'p90 ms':>7}  {'min ms':>7}  {'mean KB':>7}",
    ]
    for name, label in (("ours", "ours (ReportLab)"), ("weasyprint", "WeasyPrint")):
        r = result[name]
        if name == "weasyprint":
            label = f"WeasyPrint {result['weasyprint_version']}"
        lines.append(
            f"{label:22}  {r['median_ms']:9.2f}  {r['p90_ms']:7.2f}  {r['min_ms']:7.2f}"
            f"  {r['mean_kb']:7.1f}"
        )
    problems = [f"{n}: {p}" for n in ("ours", "weasyprint") for p in result[n]["problems"]]
    lines.append(
        f"ratio (WeasyPrint / ours, medians): {result['ratio']:.1f}x"
        f"  goal >= {GOAL_RATIO:g}x: {_verdict(result['met'], problems)}"
    )
    others = result["others_cpu_percent"]
    busy = f" (above {BUSY_OTHERS}%: the machine was shared; quote a quieter run)"
    lines.append(
        f"other processes used {others}% of a CPU meanwhile{busy if others > BUSY_OTHERS else ''}"
    )
    return "\n".join(lines)


def zip_table(result: dict) -> str:
    lines = [
        f"{'cohort ZIP':12}  {'MB':>6}  {'seconds':>7}  {'ms/cert':>7}  {'RSS growth MB':>13}"
        f"  {'traced peak MB':>14}  check",
    ]
    for r in result["runs"]:
        growth = "-" if r["peak_rss_growth_mb"] is None else f"{r['peak_rss_growth_mb']:.1f}"
        lines.append(
            f"{r['certificates']:>12,}  {r['zip_mb']:6.1f}  {r['seconds']:7.2f}"
            f"  {r['ms_per_certificate']:7.2f}  {growth:>13}  {r['tracemalloc_peak_mb']:14.2f}"
            f"  {'; '.join(r['problems']) or 'ok'}"
        )
    problems = [p for r in result["runs"] for p in r["problems"]]
    lines.append(
        f"traced peak, largest / smallest cohort: {result['memory_ratio']:.2f}x"
        f"  goal <= {GOAL_MEMORY_RATIO:g}x: {_verdict(result['met'], problems)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens under make
    try:
        return run(args)
    except BenchError as error:
        print(f"\nbenchmark stopped: {error}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    from benchmarks.report import machine

    load_average = os.getloadavg()
    certificates = pages(max(args.count, args.warmup + 1))
    print(f"Rendering {args.count} certificates with each renderer ({args.warmup} warm-up)")
    rendering = compare_renderers(certificates[: args.count], args.warmup)
    print(render_table(rendering))
    document = {
        "finished_at": None,
        "machine": machine(f"SQLite {sqlite3.sqlite_version}", load_average),
        "settings": {"count": args.count, "warmup": args.warmup, "cohorts": args.sizes},
        "rendering": rendering,
    }
    failed = bool(rendering["ours"]["problems"] or rendering["weasyprint"]["problems"])
    if not args.skip_zip:
        print(f"\nIssuing and streaming cohorts of {', '.join(f'{s:,}' for s in args.sizes)}")
        zips = compare_cohorts(args.sizes)
        print(zip_table(zips))
        document["zip"] = zips
        failed = failed or any(r["problems"] for r in zips["runs"])
    if args.profile:
        print("\ncProfile of ours over the same certificates:")
        print(profile_ours(certificates[: args.count], top=15))
    document["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    document["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"\nResults in {OUTPUT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
