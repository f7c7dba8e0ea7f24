"""Report snapshots: a report page's figures as last worked out, kept for a few minutes.

The KPI dashboard and the impact view read a year of the trust's data (120,000
enrolments at DESIGN.md §6's scale): a few hundred milliseconds of aggregate queries. Any
app process that works a page out keeps its figures here, under the page and its filters,
and every process serves them until they are `REPORTS_FRESH_SECONDS` old (5 minutes by
default); the page says when they were worked out and offers to work them out again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base


class ReportSnapshot(Base):
    __tablename__ = "report_snapshot"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "impact:2026:3:"
    figures: Mapped[list] = mapped_column(JSON)  # lms.reports.snapshots.encode
    computed_at: Mapped[datetime]
