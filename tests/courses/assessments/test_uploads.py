"""Checking, naming and storing the file sent with a submission (courses/assessments/uploads.py)."""

from __future__ import annotations

import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage

from courses.assessments import uploads
from courses.assessments.uploads import (
    EMPTY,
    WRONG_TYPE,
    UploadRefused,
    check_upload,
    file_bytes,
    safe_filename,
    store,
)
from lms.core.extensions import db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MB = 1024 * 1024

_MAIN = {
    "word": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xl": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "ppt": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_PART = {"word": "word/document.xml", "xl": "xl/workbook.xml", "ppt": "ppt/presentation.xml"}


def office_file(folder: str = "word", *, main_type: str | None = None) -> bytes:
    """A small but real Office package, as Word, Excel or PowerPoint write them."""
    part = _PART[folder]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type or _MAIN[folder]}"/>'
        "</Types>"
    )
    relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/officeDocument" Target="{part}"/></Relationships>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", relationships)
        package.writestr(part, "<document>Project initiation document</document>")
    return out.getvalue()


def sent(content: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename)


def refusal(content: bytes, filename: str, max_bytes: int = 10 * MB) -> str:
    with pytest.raises(UploadRefused) as refused:
        check_upload(sent(content, filename), max_bytes)
    assert refused.value.field == "file"
    return str(refused.value)


# --- type by content -------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_with_its_type_size_and_digest():
    upload = check_upload(sent(PDF, "Project plan.pdf"))
    assert upload.filename == "Project_plan.pdf"
    assert upload.media_type == "application/pdf"
    assert upload.size == len(PDF)
    assert len(upload.sha256) == 64
    assert upload.content == PDF


def test_a_pdf_name_on_content_that_is_not_a_pdf_is_refused_plainly():
    assert refusal(b"MZ\x90\x00 this is a program", "cv.pdf") == (
        "The selected file is not a real PDF"
    )
    assert refusal(b"<html><script>alert(1)</script></html>", "notes.PDF") == (
        "The selected file is not a real PDF"
    )


def test_a_real_docx_built_with_zipfile_is_detected():
    upload = check_upload(sent(office_file("word"), "PID.docx"))
    assert upload.media_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert upload.filename == "PID.docx"


@pytest.mark.parametrize(
    ("folder", "name", "media_type"),
    [
        ("xl", "budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "ppt",
            "kick-off.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
    ],
)
def test_real_xlsx_and_pptx_are_detected(folder, name, media_type):
    assert check_upload(sent(office_file(folder), name)).media_type == media_type


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        # The extension must agree with what the content is.
        (office_file("xl"), "budget.docx", "The selected file is not a real Word (DOCX) file"),
        (office_file("word"), "PID.pptx", "The selected file is not a real PowerPoint (PPTX) file"),
        (PDF, "PID.docx", "The selected file is not a real Word (DOCX) file"),
        (office_file("word"), "PID.pdf", "The selected file is not a real PDF"),
        # A ZIP that is no Office package, and a damaged one.
        (
            b"PK\x03\x04" + b"\x00" * 40,
            "PID.docx",
            "The selected file is not a real Word (DOCX) file",
        ),
        (office_file("word")[:-30], "PID.docx", "The selected file is not a real Word (DOCX) file"),
    ],
)
def test_content_that_is_not_what_the_name_says_is_refused(content, name, message):
    assert refusal(content, name) == message


def test_a_plain_zip_with_a_word_folder_but_no_content_types_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("word/document.xml", "<document/>")
    assert refusal(out.getvalue(), "PID.docx") == "The selected file is not a real Word (DOCX) file"


def test_a_program_with_a_word_package_appended_is_refused():
    assert refusal(b"MZ\x90\x00" + office_file("word"), "PID.docx") == (
        "The selected file is not a real Word (DOCX) file"
    )


def test_a_macro_enabled_document_renamed_docx_is_refused():
    macro = "application/vnd.ms-word.document.macroEnabled.main+xml"
    assert refusal(office_file("word", main_type=macro), "PID.docx") == (
        "The selected file is not a real Word (DOCX) file"
    )


@pytest.mark.parametrize("name", ["PID.doc", "photo.png", "run.exe", "PID", "PID.pdf.exe", ""])
def test_other_types_are_refused_by_name(name):
    assert refusal(PDF, name) == WRONG_TYPE
    assert WRONG_TYPE == (
        "The selected file must be a PDF, Word (DOCX), Excel (XLSX) or PowerPoint (PPTX) file"
    )


# --- size -----------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    assert refusal(b"", "PID.pdf") == EMPTY == "The selected file is empty"


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_accepted():
    at_limit = PDF + b"0" * (10 * MB - len(PDF))
    assert check_upload(sent(at_limit, "big.pdf"), 10 * MB).size == 10 * MB
    assert refusal(at_limit + b"0", "big.pdf", 10 * MB) == (
        "The selected file must be smaller than 10 MB"
    )


# --- the download name ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_as", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\zoe\\My PID v2.pdf", "My_PID_v2.pdf"),
        ("..pdf", "submission.pdf"),
        ("...", "submission.pdf"),
        (".pdf", "submission.pdf"),
        ("plan\x00\x1b[31m\r\n.pdf", "plan31m.pdf"),
        ("Zoë’s plan.PDF", "Zoes_plan.pdf"),
        ("ثبت.pdf", "submission.pdf"),
        ('a"b;c<d>.pdf', "abcd.pdf"),
        ("x" * 500 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_the_download_name_is_cleaned(sent_as, safe):
    assert safe_filename(sent_as, "pdf") == safe


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\windows\\x.pdf", "plans/../../x.pdf"]
)
def test_a_path_traversal_name_is_refused_with_a_plain_message(name):
    assert refusal(PDF, name) == (
        "The selected file's name must not contain '..' folder parts. "
        "Rename the file and upload it again"
    )


def test_a_plain_folder_part_is_cleaned_not_refused():
    upload = check_upload(sent(PDF, "C:\\Users\\zoe\\PID..final.pdf"))
    assert upload.filename == "PID..final.pdf"


# --- storing -------------------------------------------------------------------------------


def test_files_are_kept_in_the_database_by_default(app):
    assert app.config["UPLOAD_FOLDER"] is None
    stored = store(check_upload(sent(PDF, "PID.pdf")))
    assert stored.content == PDF and stored.stored_name is None
    assert file_bytes(stored) == PDF


def test_with_a_folder_files_get_random_names_there(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    stored = store(check_upload(sent(PDF, "/etc/passwd.pdf")))
    assert stored.content is None
    assert len(stored.stored_name) == 32 and stored.stored_name != "passwd.pdf"
    written = tmp_path / "uploads" / stored.stored_name
    assert written.read_bytes() == PDF
    assert file_bytes(stored) == PDF
    db.session.commit()  # kept once committed
    assert written.exists()


def test_a_file_written_for_a_change_rolled_back_is_removed(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    stored = store(check_upload(sent(PDF, "PID.pdf")))
    written = tmp_path / stored.stored_name
    assert written.exists()
    db.session.rollback()
    assert not written.exists()


def test_a_folder_inside_the_static_folder_is_refused(app):
    app.config["UPLOAD_FOLDER"] = str(app.static_folder) + "/uploads"
    with pytest.raises(RuntimeError):
        store(check_upload(sent(PDF, "PID.pdf")))


def test_the_setting_refuses_a_folder_under_the_code(monkeypatch, tmp_path):
    from lms.core.config import PROJECT_ROOT, ConfigError, _upload_settings

    monkeypatch.setenv("LMS_UPLOAD_FOLDER", str(PROJECT_ROOT / "lms" / "web" / "static" / "up"))
    with pytest.raises(ConfigError):
        _upload_settings()
    monkeypatch.setenv("LMS_UPLOAD_FOLDER", str(tmp_path))
    settings = _upload_settings()
    assert settings["UPLOAD_FOLDER"] == str(tmp_path.resolve())
    assert settings["MAX_CONTENT_LENGTH"] > settings["UPLOAD_MAX_BYTES"] == 10 * MB


def test_a_stored_name_that_is_not_random_hex_is_never_read(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    stored = store(check_upload(sent(PDF, "PID.pdf")))
    stored.stored_name = "../../etc/passwd"
    with pytest.raises(ValueError):
        file_bytes(stored)


def test_size_words():
    assert uploads.size_words(10 * MB) == "10 MB"
    assert uploads.size_words(int(2.5 * MB)) == "2.5 MB"
    assert uploads.size_words(300 * 1024) == "300 KB"
    assert uploads.size_words(1) == "1 byte"
