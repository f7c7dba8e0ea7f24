"""The file a learner sends with an assignment submission: checked, named, stored, read.

`check_upload` accepts PDF, Word (DOCX), Excel (XLSX) and PowerPoint (PPTX) files up to
the size limit, and checks the type by the content, not the name: a PDF begins `%PDF-`;
the three Office types are ZIP packages (beginning with a ZIP part, so not a program
with a package appended) holding `[Content_Types].xml` and their own parts (`word/`,
`xl/`, `ppt/`). The package's directory is read, nothing is extracted,
and only the small `[Content_Types].xml` is opened (with a size cap), to turn away the
macro-enabled kinds (.docm and the like) renamed to look harmless. The name's extension
must agree with what the content is.

The name a file downloads as is made safe here (`safe_filename`): any directory part is
dropped (so `C:\\Users\\me\\PID.pdf` becomes `PID.pdf`), then control characters and
anything outside letters, digits, `.`, `_` and `-`; it always ends in the extension of
the detected type and is never empty. A name that climbs out of its folder (a `..`
part, as in `../../etc/passwd.pdf`) is refused with a plain message: no browser sends
one, so it is a crafted request, and saying so beats guessing. A plain folder part is
cleaned, not refused: old browsers on Windows send `C:\\Users\\me\\PID.docx`, and the
learner did nothing wrong.

Where the bytes live (`store`): in the database (`SubmissionFile.content`) by default,
or, with UPLOAD_FOLDER set, in a file of that folder named by 32 random hex digits. A
file written for a transaction that then rolls back is removed again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session, object_session
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from courses.assessments.models import SubmissionFile
from lms.core.db import StoredFileMixin
from lms.core.domain import DomainError
from lms.core.extensions import db

log = logging.getLogger(__name__)

FIELD = "file"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    extension: str
    media_type: str
    words: str  # as a learner reads it: "Word (DOCX)"
    zip_folder: str | None = None  # the Office package's own parts


KINDS = {
    kind.extension: kind
    for kind in (
        Kind("pdf", "application/pdf", "PDF"),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word (DOCX)",
            "word/",
        ),
        Kind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel (XLSX)",
            "xl/",
        ),
        Kind(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint (PPTX)",
            "ppt/",
        ),
    )
}

WRONG_TYPE = "The selected file must be a PDF, Word (DOCX), Excel (XLSX) or PowerPoint (PPTX) file"
EMPTY = "The selected file is empty"
CLIMBS_OUT = (
    "The selected file's name must not contain '..' folder parts. "
    "Rename the file and upload it again"
)
NAME_LENGTH = 120  # the longest download name, extension included

# An Office package's directory is read in full; real ones list a few hundred parts.
MOST_ZIP_ENTRIES = 10_000
MOST_CONTENT_TYPES_BYTES = 256 * 1024
_RANDOM_NAME = re.compile(r"[0-9a-f]{32}")


class UploadRefused(DomainError):
    field = FIELD


def too_large(max_bytes: int) -> str:
    return f"The selected file must be smaller than {size_words(max_bytes)}"


def not_real(kind: Kind) -> str:
    what = kind.words if kind.extension == "pdf" else f"{kind.words} file"
    return f"The selected file is not a real {what}"


def size_words(size: int) -> str:
    """ "10 MB", "2.5 MB", "300 KB", "12 bytes": a size as people say it."""
    if size >= 1024 * 1024:
        return f"{round(size / (1024 * 1024), 1):g} MB"
    if size >= 1024:
        return f"{round(size / 1024):g} KB"
    return f"{size} byte" + ("" if size == 1 else "s")


@dataclass(frozen=True)
class Upload:
    """A checked file, ready to store: its safe name, type, bytes and SHA-256."""

    filename: str
    media_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


# --- checking ------------------------------------------------------------------------------


def check_upload(file_storage: FileStorage, max_bytes: int = DEFAULT_MAX_BYTES) -> Upload:
    """The file as an `Upload`, or UploadRefused with a plain message for the file field
    (see the module's docstring for what is accepted)."""
    if _climbs_out(file_storage.filename or ""):
        raise UploadRefused(CLIMBS_OUT)
    kind = KINDS.get(_extension(file_storage.filename or ""))
    if kind is None:
        raise UploadRefused(WRONG_TYPE)
    content = file_storage.stream.read(max_bytes + 1)
    if not content:
        raise UploadRefused(EMPTY)
    if len(content) > max_bytes:
        raise UploadRefused(too_large(max_bytes))
    if not is_kind(kind, content):
        raise UploadRefused(not_real(kind))
    return Upload(
        filename=safe_filename(file_storage.filename or "", kind.extension),
        media_type=kind.media_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def is_kind(kind: Kind, content: bytes) -> bool:
    """Whether the bytes are what `kind` says, judged by the content alone."""
    if kind.zip_folder is None:
        return content.startswith(b"%PDF-")
    return _office_package_with(content, kind.zip_folder)


def _office_package_with(content: bytes, folder: str) -> bool:
    # A package begins with its first part; a program with a ZIP appended does not.
    if not content.startswith(b"PK\x03\x04"):
        return False
    stream = io.BytesIO(content)
    if not zipfile.is_zipfile(stream):
        return False
    try:
        with zipfile.ZipFile(stream) as package:
            entries = package.infolist()
            if len(entries) > MOST_ZIP_ENTRIES:
                return False
            names = {entry.filename for entry in entries}
            types = next((e for e in entries if e.filename == "[Content_Types].xml"), None)
            if types is None or not any(name.startswith(folder) for name in names - {folder}):
                return False
            if types.file_size > MOST_CONTENT_TYPES_BYTES:
                return False
            with package.open(types) as part:
                declared = part.read(MOST_CONTENT_TYPES_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError):
        return False  # damaged, encrypted, or packed in a way Office never uses
    except (OSError, ValueError, EOFError):
        return False
    if len(declared) > MOST_CONTENT_TYPES_BYTES:
        return False
    # Macro-enabled documents (.docm, .xlsm, .pptm) declare so; they are not what the
    # name says, and they carry code.
    return b"macroenabled" not in declared.lower()


def _extension(filename: str) -> str:
    name = _last_part(filename)
    return name.rpartition(".")[2].lower() if "." in name else ""


def _climbs_out(filename: str) -> bool:
    """Whether the name has a `..` folder part, with either separator."""
    return ".." in filename.replace("\\", "/").split("/")[:-1]


def _last_part(filename: str) -> str:
    """The name without any directory part, whichever separator the browser used."""
    return PurePosixPath(filename.replace("\\", "/")).name if filename else ""


def safe_filename(filename: str, extension: str) -> str:
    """A download name safe anywhere: the last part of `filename` without directories,
    control characters or anything but letters, digits, `.`, `_` and `-`; never empty;
    always ending `.<extension>`."""
    name = "".join(
        char for char in _last_part(filename) if not unicodedata.category(char).startswith("C")
    )
    stem = name[: -len(extension) - 1] if name.lower().endswith("." + extension) else name
    stem = secure_filename(stem).strip("._-")
    stem = stem[: NAME_LENGTH - len(extension) - 1].rstrip("._-") or "submission"
    return f"{stem}.{extension}"


# --- storing and reading --------------------------------------------------------------------


def upload_folder() -> Path | None:
    """The configured UPLOAD_FOLDER, made absolute (None: files go in the database).

    Refuses a folder the app serves static files from (a settings error, not the
    learner's): lms.core.config refuses one under the code at start-up, and this holds
    for settings given any other way.
    """
    configured = current_app.config.get("UPLOAD_FOLDER")
    if not configured:
        return None
    folder = Path(configured).expanduser().resolve()
    served = [current_app.static_folder] + [
        blueprint.static_folder for blueprint in current_app.blueprints.values()
    ]
    for static in filter(None, served):
        if folder.is_relative_to(Path(static).resolve()):
            raise RuntimeError("UPLOAD_FOLDER must not be inside a static folder")
    return folder


def store(upload: Upload, model: type[StoredFileMixin] = SubmissionFile):
    """A `model` row (a SubmissionFile by default; any `StoredFileMixin` model, such as
    the CPD record's evidence) holding the upload: its bytes in the database, or
    written under UPLOAD_FOLDER with a random name (removed again if this transaction
    rolls back)."""
    stored = model(
        filename=upload.filename,
        media_type=upload.media_type,
        size=upload.size,
        sha256=upload.sha256,
    )
    folder = upload_folder()
    if folder is None:
        stored.content = upload.content
        return stored
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    path = folder / name
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    _remove_on_rollback(db.session(), path)
    with os.fdopen(handle, "wb") as out:
        out.write(upload.content)
    stored.stored_name = name
    return stored


def file_bytes(submission_file: StoredFileMixin) -> bytes:
    """A stored file's bytes (a `store`d row), from the database or from UPLOAD_FOLDER."""
    if submission_file.stored_name is None:
        return submission_file.content or b""
    if not _RANDOM_NAME.fullmatch(submission_file.stored_name):
        raise ValueError("a stored file name is always 32 hex digits")
    folder = upload_folder()
    if folder is None:
        raise RuntimeError("a submission's file is in UPLOAD_FOLDER, which is not set")
    try:
        return (folder / submission_file.stored_name).read_bytes()
    except FileNotFoundError:
        log.error("submission file %s is missing from UPLOAD_FOLDER", submission_file.stored_name)
        raise


# --- files written for a transaction that did not commit, and files of deleted rows -------

_WRITTEN = "uploads_written"
_DELETED = "uploads_deleted"


def _remove_on_rollback(session: Session, path: Path) -> None:
    if not session.in_transaction():
        session.begin()  # so that its end, commit or not, is seen
    session.info.setdefault(_WRITTEN, []).append(path)


@event.listens_for(Session, "after_commit")
def _keep_written(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_written(session: Session, transaction) -> None:
    """The outermost transaction ended without committing: its files go too."""
    if transaction.parent is not None or transaction.nested:
        return
    for path in session.info.pop(_WRITTEN, ()):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s, written for a change that was not saved", path)


@event.listens_for(Mapper, "after_delete")
def _note_deleted(_mapper, _connection, instance) -> None:
    """A stored file's row (a submission's file, a CPD entry's evidence) was deleted, on
    its own or as an orphan: its file in UPLOAD_FOLDER goes too, once the deletion
    commits."""
    name = instance.stored_name if isinstance(instance, StoredFileMixin) else None
    if name is not None and _RANDOM_NAME.fullmatch(name):
        session = object_session(instance)
        if session is not None:
            session.info.setdefault(_DELETED, []).append(name)


@event.listens_for(Session, "after_commit")
def _remove_deleted(session: Session) -> None:
    if session.in_nested_transaction():
        return
    names = session.info.pop(_DELETED, ())
    folder = upload_folder() if names else None
    for name in names if folder is not None else ():
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s, the file of a deleted row", name)


@event.listens_for(Session, "after_soft_rollback")
def _keep_deleted(session: Session, _previous) -> None:
    """Any rollback (a savepoint's too) forgets the deletions noted: a file kept for a row
    that is gone after all is harmless; a file removed for a row that stayed is not."""
    session.info.pop(_DELETED, None)
