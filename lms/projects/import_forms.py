"""The PPM import's form: one CSV file. What the file must hold is checked by the
service (`lms.projects.importing`), which says what is wrong beside this field."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired

from lms.web.forms import Form


class ProjectImportForm(Form):
    file = FileField(
        "Upload the PPM project export",
        description=(
            "A CSV file, saved as “CSV UTF-8” or “CSV (comma delimited)”. "
            "It must be smaller than 5 MB."
        ),
        validators=[
            FileRequired("Select a CSV file to import"),
            FileAllowed(["csv"], "The selected file must be a CSV"),
        ],
    )
