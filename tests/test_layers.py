"""The house rules of ../shared/DESIGN.md §3, read from every import of the code.

Dependencies point one way: floor (lms.core, lms.web, lms.auth, lms.people, lms.audit)
<- courses <- certificates <- roof (the rest of lms). lms.core stands on nothing of
ours. A models module never imports a views or forms module, and no module imports
another area's views (only lms.app, which wires the blueprints, imports them all).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import PACKAGES, ROOT, is_forms, is_models, is_views, modules_under

FLOOR = ("lms.core", "lms.web", "lms.auth", "lms.people", "lms.audit")
WIRING = ("lms.app",)
LAYER_NAMES = ("the floor", "courses", "certificates", "the roof")


@dataclass(frozen=True, order=True)
class Violation:
    importer: str
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.importer} imports {self.imported}: {self.rule}"


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def layer(module: str) -> int:
    if _within(module, FLOOR):
        return 0
    if _within(module, ("courses",)):
        return 1
    if _within(module, ("certificates",)):
        return 2
    return 3


def area(module: str) -> str:
    """`courses.enrolment.views` -> `courses.enrolment`; `lms.app` -> `lms.app`."""
    return ".".join(module.split(".")[:2])


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ours that `name` imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from courses import enrolment` imports the module courses.enrolment.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        found.update(target for target in targets if target.split(".")[0] in PACKAGES)
    return found


def violations(root: Path = ROOT) -> list[Violation]:
    known = modules_under(root)
    found = set()
    for importer, path in known.items():
        for imported in imports_of(importer, path, known):
            if layer(imported) > layer(importer):
                rule = (
                    f"{LAYER_NAMES[layer(importer)]} must not import {LAYER_NAMES[layer(imported)]}"
                )
                found.add(Violation(importer, imported, rule))
            if _within(importer, ("lms.core",)) and not _within(imported, ("lms.core",)):
                found.add(Violation(importer, imported, "lms.core stands on nothing of ours"))
            if is_models(importer) and (is_views(imported) or is_forms(imported)):
                found.add(Violation(importer, imported, "models never import views or forms"))
            if (
                is_views(imported)
                and area(imported) != area(importer)
                and not _within(importer, WIRING)
            ):
                found.add(Violation(importer, imported, "no module imports another area's views"))
    return sorted(found)


def test_the_code_keeps_the_house_rules():
    assert [str(violation) for violation in violations()] == []


def test_the_checker_reads_every_package():
    known = modules_under(ROOT)
    assert {"lms.app", "courses.models"} <= set(known)
    assert any(_within(name, FLOOR) for name in known)


def _plant(root: Path, files: dict[str, str]) -> None:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"lms/people/directory.py": "from courses.enrolment import enrol\n"},
            "lms.people.directory imports courses.enrolment: the floor must not import courses",
        ),
        (
            {"courses/models.py": "import certificates.issuing\n"},
            "courses.models imports certificates.issuing: courses must not import certificates",
        ),
        (
            {"certificates/issuing.py": "from lms.cpd import record\n"},
            "certificates.issuing imports lms.cpd: certificates must not import the roof",
        ),
        (
            {"lms/core/audit.py": "from lms.web import forms\n", "lms/web/forms.py": ""},
            "lms.core.audit imports lms.web.forms: lms.core stands on nothing of ours",
        ),
        (
            {"courses/models.py": "from courses.enrolment.forms import EnrolForm\n"},
            "courses.models imports courses.enrolment.forms: models never import views or forms",
        ),
        (
            {
                "courses/enrolment/__init__.py": "",
                "courses/enrolment/enrolment.py": "from ..cohorts import views\n",
                "courses/cohorts/__init__.py": "",
                "courses/cohorts/views.py": "",
            },
            "courses.enrolment.enrolment imports courses.cohorts.views: "
            "no module imports another area's views",
        ),
    ],
)
def test_a_planted_violation_is_caught(tmp_path, files, expected):
    _plant(tmp_path, files)
    assert [str(violation) for violation in violations(tmp_path)] == [expected]


def test_allowed_imports_pass(tmp_path):
    _plant(
        tmp_path,
        {
            "lms/app.py": "from courses.enrolment import views\nfrom lms.people import views\n",
            "lms/home/views.py": "from courses.enrolment import enrol\nimport certificates\n",
            "certificates/__init__.py": "from courses.models import Enrolment\n",
            "courses/enrolment/__init__.py": "from .enrolment import enrol\n",
            "courses/enrolment/enrolment.py": "from lms.core.db import Base\n",
            "courses/enrolment/views.py": "from . import forms\nfrom .enrolment import enrol\n",
            "courses/enrolment/forms.py": "",
            "courses/models.py": "from lms.core.db import Base\n",
            "lms/core/db.py": "",
        },
    )
    assert violations(tmp_path) == []
