"""Certificates: one per completed enrolment (by generation), numbered per year without
gaps, with the PDF kept as issued; and whether a course allows recertification.

Revision ID: 7a8b9cabdc26
Revises: 6f7a8b9cab15
Create Date: 2026-12-06 23:29:36.219156

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7a8b9cabdc26"
down_revision = "6f7a8b9cab15"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate_serial",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_certificate_serial")),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("serial_year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("verification_code", sa.String(length=40), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="1", nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("learner_name", sa.String(length=200), nullable=False),
        sa.Column("course_code", sa.String(length=20), nullable=False),
        sa.Column("course_title", sa.String(length=200), nullable=False),
        sa.Column("cohort_code", sa.String(length=40), nullable=False),
        sa.Column("cpd_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("accreditation_body", sa.String(length=200), nullable=True),
        sa.Column("accreditation_reference", sa.String(length=100), nullable=True),
        sa.Column("session_dates", sa.JSON(), nullable=False),
        sa.Column("trainer_names", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("layout", sa.String(length=20), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "valid",
                "revoked",
                "superseded",
                name="certificate_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "revocation_reason",
            sa.Enum(
                "completion_withdrawn",
                "issued_in_error",
                "misconduct",
                "accreditation_ended",
                "other",
                name="revocation_reason",
                native_enum=False,
            ),
            nullable=True,
        ),
        sa.Column("revocation_note", sa.Text(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiry_notice_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL)",
            name=op.f("ck_certificate_revoked_when_revoked"),
        ),
        sa.CheckConstraint("generation >= 1", name=op.f("ck_certificate_generation_positive")),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_certificate_cohort_id_cohort"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_certificate_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_certificate_enrolment_id_enrolment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_certificate_learner_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["user_account.id"],
            name=op.f("fk_certificate_revoked_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_superseded_by_id_certificate"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint(
            "enrolment_id", "generation", name=op.f("uq_certificate_enrolment_id_generation")
        ),
        sa.UniqueConstraint("number", name=op.f("uq_certificate_number")),
        sa.UniqueConstraint(
            "serial_year", "serial", name=op.f("uq_certificate_serial_year_serial")
        ),
        sa.UniqueConstraint("verification_code", name=op.f("uq_certificate_verification_code")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            "ix_certificate_expires_on_unwarned",
            ["expires_on"],
            unique=False,
            postgresql_where=sa.text("expiry_notice_sent_at IS NULL AND status = 'valid'"),
            sqlite_where=sa.text("expiry_notice_sent_at IS NULL AND status = 'valid'"),
        )
        batch_op.create_index(batch_op.f("ix_certificate_learner_id"), ["learner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_pdf_sha256"), ["pdf_sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_certificate_revoked_by_id"), ["revoked_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certificate_superseded_by_id"), ["superseded_by_id"], unique=False
        )

    op.create_table(
        "certificate_file",
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_file_certificate_id_certificate"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_certificate_file")),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "allows_recertification", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_column("allows_recertification")

    op.drop_table("certificate_file")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_superseded_by_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_revoked_by_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_pdf_sha256"))
        batch_op.drop_index(batch_op.f("ix_certificate_learner_id"))
        batch_op.drop_index(
            "ix_certificate_expires_on_unwarned",
            postgresql_where=sa.text("expiry_notice_sent_at IS NULL AND status = 'valid'"),
            sqlite_where=sa.text("expiry_notice_sent_at IS NULL AND status = 'valid'"),
        )
        batch_op.drop_index(batch_op.f("ix_certificate_course_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_cohort_id"))

    op.drop_table("certificate")
    op.drop_table("certificate_serial")
