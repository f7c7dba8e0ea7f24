"""All the certificates of a cohort as one ZIP, streamed.

The archive is written as it is sent: the PDFs are read from the database a few at a
time and each is passed on as soon as it is written, so memory does not grow with the
cohort. PDFs are compressed already, so they are stored, not deflated again.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, select

from certificates.models import Certificate, CertificateFile, CertificateStatus
from lms.core.timezones import to_local

BATCH = 20


class _Chunks:
    """A write-only file that hands on what is written to it: zipfile writes the
    archive here, and the generator yields it piece by piece."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


# Letters that Unicode does not decompose into a base letter and an accent.
_BASE_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "ß": "ss"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(certificate_number: str, learner_name: str) -> str:
    """ "PMO-2026-00042-Zoe-Lukasz-ONeill.pdf": the number first, so names never clash;
    the learner's name in plain letters, digits and hyphens (no path can be made of it)."""
    folded = unicodedata.normalize("NFKD", learner_name.translate(_BASE_LETTERS))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).replace("'", "")
    name = _UNSAFE.sub("-", plain).strip("-.")[:80] or "learner"
    return f"{certificate_number}-{name}.pdf"


def stream_zip(engine: Engine, cohort_id: int, when: datetime) -> Iterator[bytes]:
    """The ZIP of the cohort's current certificates (valid, not revoked or superseded),
    in pieces.

    It reads through a connection of its own, not the request's session: the response
    is sent after the request's work is over, and nothing here needs the request.
    """
    out = _Chunks()
    stamp = to_local(when).timetuple()[:6]  # ZIP times have no zone: UK time, as shown
    with (
        engine.connect() as connection,
        zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_STORED) as archive,
    ):
        # One statement, its rows fetched a few at a time (a server-side cursor on
        # PostgreSQL), so neither memory nor the number of statements grows.
        rows = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
            select(Certificate.number, Certificate.learner_name, CertificateFile.content)
            .join(CertificateFile, CertificateFile.certificate_id == Certificate.id)
            .where(
                Certificate.cohort_id == cohort_id,
                Certificate.status == CertificateStatus.VALID,
            )
            .order_by(Certificate.learner_name, Certificate.id)
        )
        for number, learner_name, content in rows:
            info = zipfile.ZipInfo(file_name(number, learner_name), date_time=stamp)
            archive.writestr(info, content)
            yield out.take()
    yield out.take()
    yield out.take()
