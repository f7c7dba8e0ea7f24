"""The CPD import's form: one CSV file. What the file must hold is checked by the
service (`lms.cpd.importing`), which says what is wrong beside this field."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired

from lms.web.forms import Form


class ImportForm(Form):
    file = FileField(
        "Upload a CSV file",
        description=(
            "Save it from your spreadsheet as “CSV UTF-8” or “CSV (comma delimited)”. "
            "It must be smaller than 1 MB."
        ),
        validators=[
            FileRequired("Select a CSV file to import"),
            FileAllowed(["csv"], "The selected file must be a CSV"),
        ],
    )
