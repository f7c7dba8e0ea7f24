"""When a project's trainee window opens: the start of the UK day 12 months before the
project began (its start date, or the day it was registered). A completion from then
until it began "went on to lead" to it (the reports' funnel and impact view): kept as a
column because SQLite and PostgreSQL add months to dates differently. Filled in here for
the projects already registered.

Revision ID: b4c5d6e7f8a9
Revises: ae3f613c434b
Create Date: 2026-12-07 11:10:00

"""

import calendar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b4c5d6e7f8a9"
down_revision = "ae3f613c434b"
branch_labels = None
depends_on = None

LONDON = ZoneInfo("Europe/London")
MONTHS = 12

project = sa.table(
    "project",
    sa.column("id", sa.Integer),
    sa.column("starts_on", sa.Date),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("trainee_window_opens", sa.DateTime(timezone=True)),
)


def _window_opens(began_on: date) -> datetime:
    """As lms.projects.models.trainee_window_opens does it, frozen here."""
    month = began_on.month - 1 - MONTHS
    year, month = began_on.year + month // 12, month % 12 + 1
    day = min(began_on.day, calendar.monthrange(year, month)[1])
    return datetime.combine(date(year, month, day), time(0), LONDON).astimezone(UTC)


def _uk_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date()


def upgrade():
    # Not in batch mode: SQLite would copy the table and lose its expression indexes.
    op.add_column(
        "project", sa.Column("trainee_window_opens", sa.DateTime(timezone=True), nullable=True)
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(project.c.id, project.c.starts_on, project.c.created_at))
    for id_, starts_on, created_at in rows.all():
        connection.execute(
            project.update()
            .where(project.c.id == id_)
            .values(trainee_window_opens=_window_opens(starts_on or _uk_day(created_at)))
        )


def downgrade():
    op.execute("ALTER TABLE project DROP COLUMN trainee_window_opens")  # SQLite 3.35 and on
