"""Factories for the CPD record: the default categories, and external entries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.cpd.categories import ensure_default_categories
from lms.cpd.models import CpdCategory, CpdEntry, EntrySource


@pytest.fixture
def cpd_categories(app) -> dict[str, CpdCategory]:
    """The seven default categories, by name."""
    ensure_default_categories()
    db.session.commit()
    return {category.name: category for category in db.session.scalars(select(CpdCategory))}


@pytest.fixture
def make_entry(cpd_categories) -> Callable[..., CpdEntry]:
    """`make_entry(learner, on=date, hours="1.5", category="Reading", title=...)`: an
    external entry, committed (straight into the table: no rules asked)."""

    def make(learner, on: date, hours="1.5", category="Reading", title=None, **fields):
        entry = CpdEntry(
            learner_id=learner.id,
            source=EntrySource.EXTERNAL,
            title=title or f"{category} on {on.isoformat()}",
            category_id=cpd_categories[category].id,
            activity_on=on,
            hours=Decimal(hours),
            learned=fields.pop("learned", "What I learned"),
            applied=fields.pop("applied", "How I applied it"),
            **fields,
        )
        db.session.add(entry)
        db.session.commit()
        return entry

    return make
