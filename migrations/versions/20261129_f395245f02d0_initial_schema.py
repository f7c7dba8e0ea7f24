"""Initial schema: accounts and roles, people, courses, audit log and mail outbox.

Revision ID: f395245f02d0
Revises:
Create Date: 2026-11-29 08:52:35.776684

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f395245f02d0"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_category")),
        sa.UniqueConstraint("name", name=op.f("uq_course_category_name")),
    )
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=250), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_message_next_attempt_at"), ["next_attempt_at"], unique=False
        )

    op.create_table(
        "service_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_group")),
        sa.UniqueConstraint("name", name=op.f("uq_service_group_name")),
    )
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("learning_outcomes", sa.JSON(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column(
            "delivery_mode",
            sa.Enum(
                "in_person", "online", "blended", name="delivery_mode", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("cpd_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("accreditation_body", sa.String(length=200), nullable=True),
        sa.Column("accreditation_reference", sa.String(length=100), nullable=True),
        sa.Column("accreditation_valid_from", sa.Date(), nullable=True),
        sa.Column("accreditation_valid_to", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", "archived", name="course_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("requires_approval", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("min_attendance_percent", sa.Integer(), server_default="80", nullable=False),
        sa.Column("certificate_validity_months", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("cpd_hours >= 0", name=op.f("ck_course_cpd_hours_not_negative")),
        sa.CheckConstraint(
            "min_attendance_percent BETWEEN 0 AND 100",
            name=op.f("ck_course_min_attendance_percent_range"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["course_category.id"],
            name=op.f("fk_course_category_id_course_category"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
        sa.UniqueConstraint("code", name=op.f("uq_course_code")),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_status"), ["status"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column("staff_number", sa.String(length=20), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("service_group_id", sa.Integer(), nullable=True),
        sa.Column("line_manager_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("session_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_user_account_department_id_department"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["line_manager_id"],
            ["user_account.id"],
            name=op.f("fk_user_account_line_manager_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_group_id"],
            ["service_group.id"],
            name=op.f("fk_user_account_service_group_id_service_group"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("staff_number", name=op.f("uq_user_account_staff_number")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_account_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_account_line_manager_id"), ["line_manager_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_account_service_group_id"), ["service_group_id"], unique=False
        )
    # Email is the login and is unique whatever its case (an expression index,
    # which autogenerate cannot write).
    op.create_index(
        "uq_user_account_email_lower", "user_account", [sa.text("lower(email)")], unique=True
    )

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("entity_type", sa.String(length=80), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_audit_event_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_entity_type"), ["entity_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "password_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_password_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_token_token_hash")),
    )
    with op.batch_alter_table("password_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "trainer", name="role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_role_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_role")),
        sa.UniqueConstraint("user_id", "role", name=op.f("uq_user_role_user_id_role")),
    )


def downgrade():
    op.drop_table("user_role")
    with op.batch_alter_table("password_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_token_user_id"))

    op.drop_table("password_token")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_event_entity_type"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    op.drop_index("uq_user_account_email_lower", table_name="user_account")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_service_group_id"))
        batch_op.drop_index(batch_op.f("ix_user_account_line_manager_id"))
        batch_op.drop_index(batch_op.f("ix_user_account_department_id"))

    op.drop_table("user_account")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_status"))
        batch_op.drop_index(batch_op.f("ix_course_category_id"))

    op.drop_table("course")
    op.drop_table("service_group")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_next_attempt_at"))

    op.drop_table("outbox_message")
    op.drop_table("department")
    op.drop_table("course_category")
