"""The CPD record: entries (from certificates, one per enrolment, and logged by the
learner), the categories external entries are filed under (seeded with the usual seven),
evidence files, and each learner's own target and sharing.

Revision ID: 9cabdcedfe48
Revises: 8b9cabdced37
Create Date: 2026-12-07 02:14:52.639724

"""

import os
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9cabdcedfe48"
down_revision = "8b9cabdced37"
branch_labels = None
depends_on = None

# What learners file external CPD under until admins change the list.
DEFAULT_CATEGORIES = (
    "Course",
    "Conference",
    "Reading",
    "Coaching",
    "Mentoring",
    "Work-based learning",
    "Other",
)


def upgrade():
    op.create_table(
        "cpd_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpd_category")),
        sa.UniqueConstraint("name", name=op.f("uq_cpd_category_name")),
    )
    op.create_table(
        "cpd_profile",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("target_hours", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("professional_body", sa.String(length=200), nullable=True),
        sa.Column("share_reflections", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_cpd_profile_learner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_cpd_profile")),
    )
    op.create_table(
        "cpd_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "certificate", "external", name="cpd_entry_source", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("activity_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("learned", sa.Text(), server_default="", nullable=False),
        sa.Column("applied", sa.Text(), server_default="", nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(source = 'certificate') = (certificate_id IS NOT NULL)",
            name=op.f("ck_cpd_entry_certificate_entries_have_one"),
        ),
        sa.CheckConstraint(
            "(source = 'certificate') OR (category_id IS NOT NULL)",
            name=op.f("ck_cpd_entry_external_entries_have_a_category"),
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= activity_on",
            name=op.f("ck_cpd_entry_ends_after_start"),
        ),
        sa.CheckConstraint("hours > 0", name=op.f("ck_cpd_entry_hours_positive")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["cpd_category.id"],
            name=op.f("fk_cpd_entry_category_id_cpd_category"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_cpd_entry_certificate_id_certificate"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_cpd_entry_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_cpd_entry_learner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpd_entry")),
        sa.UniqueConstraint("enrolment_id", name=op.f("uq_cpd_entry_enrolment_id")),
    )
    with op.batch_alter_table("cpd_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cpd_entry_category_id"), ["category_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cpd_entry_certificate_id"), ["certificate_id"], unique=False
        )
        batch_op.create_index(
            "ix_cpd_entry_learner_activity", ["learner_id", "activity_on", "id"], unique=False
        )

    op.create_table(
        "cpd_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["cpd_entry.id"],
            name=op.f("fk_cpd_evidence_entry_id_cpd_entry"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpd_evidence")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_cpd_evidence_entry_id")),
    )
    op.create_index(
        "uq_cpd_category_name_lower", "cpd_category", [sa.text("lower(name)")], unique=True
    )
    categories = sa.table(
        "cpd_category",
        sa.column("name", sa.String),
        sa.column("position", sa.Integer),
        sa.column("retired", sa.Boolean),
    )
    op.bulk_insert(
        categories,
        [
            {"name": name, "position": position, "retired": False}
            for position, name in enumerate(DEFAULT_CATEGORIES, start=1)
        ],
    )
    _record_issued_certificates()


def _record_issued_certificates() -> None:
    """Each certificate already issued (its latest, of a course worth CPD hours) becomes
    an entry in its holder's record, as lms.cpd.record.record_certificate makes them."""
    certificate = sa.table(
        "certificate",
        sa.column("id", sa.Integer),
        sa.column("enrolment_id", sa.Integer),
        sa.column("learner_id", sa.Integer),
        sa.column("course_title", sa.String),
        sa.column("cpd_hours", sa.Numeric),
        sa.column("session_dates", sa.JSON),
        sa.column("issued_on", sa.Date),
        sa.column("issued_at", sa.DateTime(timezone=True)),
        sa.column("superseded_by_id", sa.Integer),
    )
    entry = sa.table(
        "cpd_entry",
        sa.column("learner_id", sa.Integer),
        sa.column("source", sa.String),
        sa.column("title", sa.String),
        sa.column("activity_on", sa.Date),
        sa.column("ended_on", sa.Date),
        sa.column("hours", sa.Numeric),
        sa.column("provider", sa.String),
        sa.column("learned", sa.Text),
        sa.column("applied", sa.Text),
        sa.column("enrolment_id", sa.Integer),
        sa.column("certificate_id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    provider = os.environ.get("LMS_ORGANISATION_NAME", "Portfolio Management Office")[:200]
    rows = op.get_bind().execute(
        sa.select(certificate)
        .where(certificate.c.superseded_by_id.is_(None), certificate.c.cpd_hours > 0)
        .order_by(certificate.c.id)
    )
    while batch := rows.fetchmany(5000):
        entries = []
        for row in batch:
            days = sorted(date.fromisoformat(day) for day in row.session_dates or ())
            entries.append(
                {
                    "learner_id": row.learner_id,
                    "source": "certificate",
                    "title": row.course_title[:200],
                    "activity_on": days[0] if days else row.issued_on,
                    "ended_on": days[-1] if len(days) > 1 else None,
                    "hours": row.cpd_hours,
                    "provider": provider,
                    "learned": "",
                    "applied": "",
                    "enrolment_id": row.enrolment_id,
                    "certificate_id": row.id,
                    "created_at": row.issued_at,
                    "updated_at": row.issued_at,
                }
            )
        op.bulk_insert(entry, entries)


def downgrade():
    op.drop_table("cpd_evidence")
    with op.batch_alter_table("cpd_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_cpd_entry_learner_activity")
        batch_op.drop_index(batch_op.f("ix_cpd_entry_certificate_id"))
        batch_op.drop_index(batch_op.f("ix_cpd_entry_category_id"))

    op.drop_table("cpd_entry")
    op.drop_table("cpd_profile")
    op.drop_table("cpd_category")
