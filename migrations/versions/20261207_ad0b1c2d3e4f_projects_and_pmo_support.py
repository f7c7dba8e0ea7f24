"""Projects and PMO services: the project register (people by role, dated updates), the
PMO's support for projects, and the coaching sessions within it; CPD entries made from
coaching (received and given) are, like a certificate's, filed under no category.

Revision ID: ad0b1c2d3e4f
Revises: 9cabdcedfe48
Create Date: 2026-12-07 05:48:40.027479

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ad0b1c2d3e4f"
down_revision = "9cabdcedfe48"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("ppm_reference", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("service_group_id", sa.Integer(), nullable=True),
        sa.Column("sponsor", sa.String(length=200), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("planned_end_on", sa.Date(), nullable=True),
        sa.Column("start_cutoff", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "active",
                "on_hold",
                "closed",
                "stopped",
                name="project_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "planned_end_on IS NULL OR starts_on IS NULL OR planned_end_on >= starts_on",
            name=op.f("ck_project_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_project_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_group_id"],
            ["service_group.id"],
            name=op.f("fk_project_service_group_id_service_group"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("ppm_reference", name=op.f("uq_project_ppm_reference")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_service_group_id"), ["service_group_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_project_start_cutoff"), ["start_cutoff"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_status"), ["status"], unique=False)
        batch_op.create_index("ix_project_status_starts_on", ["status", "starts_on"], unique=False)

    op.create_table(
        "project_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "lead",
                "project_manager",
                "member",
                name="project_role",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["user_account.id"],
            name=op.f("fk_project_member_person_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_member_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_member")),
        sa.UniqueConstraint(
            "project_id", "person_id", name=op.f("uq_project_member_project_id_person_id")
        ),
    )
    with op.batch_alter_table("project_member", schema=None) as batch_op:
        batch_op.create_index("ix_project_member_person_role", ["person_id", "role"], unique=False)
        batch_op.create_index(
            "ix_project_member_project_role", ["project_id", "role"], unique=False
        )

    op.create_table(
        "project_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column(
            "rag",
            sa.Enum("red", "amber", "green", name="project_rag", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "milestones_met",
            sa.Enum(
                "yes",
                "no",
                "partly",
                "too_early",
                name="project_answer",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "on_time",
            sa.Enum(
                "yes",
                "no",
                "partly",
                "too_early",
                name="project_answer",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "on_budget",
            sa.Enum(
                "yes",
                "no",
                "partly",
                "too_early",
                name="project_answer",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "benefits_realised",
            sa.Enum(
                "yes",
                "no",
                "partly",
                "too_early",
                name="project_answer",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("narrative", sa.Text(), server_default="", nullable=False),
        sa.Column("final", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_project_update_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_update_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_update")),
    )
    with op.batch_alter_table("project_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_update_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            "ix_project_update_project_reported", ["project_id", "reported_on"], unique=False
        )

    op.create_table(
        "support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("coaching", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("immersive", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("assurance", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("advice", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "accepted",
                "declined",
                name="support_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("decline_reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status <> 'accepted' OR (starts_on IS NOT NULL AND responsible_id IS NOT NULL)",
            name=op.f("ck_support_accepted_has_dates_and_person"),
        ),
        sa.CheckConstraint(
            "coaching OR immersive OR assurance OR advice",
            name=op.f("ck_support_asks_for_something"),
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_support_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_support_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_support_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_support_requested_by_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_id"],
            ["user_account.id"],
            name=op.f("fk_support_responsible_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support")),
    )
    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_decided_by_id"), ["decided_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_support_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_support_requested_by_id"), ["requested_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_responsible_id"), ["responsible_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_support_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_support_status_dates", ["status", "starts_on", "ends_on"], unique=False
        )

    op.create_table(
        "coaching_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("support_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("coachee_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("actions", sa.Text(), server_default="", nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("coachee_entry_id", sa.Integer(), nullable=True),
        sa.Column("coach_entry_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "minutes > 0 AND minutes <= 600", name=op.f("ck_coaching_session_minutes_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["coach_entry_id"],
            ["cpd_entry.id"],
            name=op.f("fk_coaching_session_coach_entry_id_cpd_entry"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["user_account.id"],
            name=op.f("fk_coaching_session_coach_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["coachee_entry_id"],
            ["cpd_entry.id"],
            name=op.f("fk_coaching_session_coachee_entry_id_cpd_entry"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["coachee_id"],
            ["user_account.id"],
            name=op.f("fk_coaching_session_coachee_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["support_id"],
            ["support.id"],
            name=op.f("fk_coaching_session_support_id_support"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_session")),
        sa.UniqueConstraint("coach_entry_id", name=op.f("uq_coaching_session_coach_entry_id")),
        sa.UniqueConstraint("coachee_entry_id", name=op.f("uq_coaching_session_coachee_entry_id")),
    )
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coaching_session_coach_id"), ["coach_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coaching_session_coachee_id"), ["coachee_id"], unique=False
        )
        batch_op.create_index(
            "ix_coaching_session_support_held", ["support_id", "held_on"], unique=False
        )
    op.create_index("ix_project_title_lower", "project", [sa.text("lower(title)"), "id"])
    op.create_index(
        "uq_project_ppm_reference_lower", "project", [sa.text("lower(ppm_reference)")], unique=True
    )
    with op.batch_alter_table("cpd_entry") as batch_op:
        batch_op.drop_constraint(
            op.f("ck_cpd_entry_external_entries_have_a_category"), type_="check"
        )
        batch_op.create_check_constraint(
            "external_entries_have_a_category",
            "(source <> 'external') OR (category_id IS NOT NULL)",
        )


def downgrade():
    op.execute("DELETE FROM cpd_entry WHERE source IN ('coaching_received', 'coaching_given')")
    with op.batch_alter_table("cpd_entry") as batch_op:
        batch_op.drop_constraint(
            op.f("ck_cpd_entry_external_entries_have_a_category"), type_="check"
        )
        batch_op.create_check_constraint(
            "external_entries_have_a_category",
            "(source = 'certificate') OR (category_id IS NOT NULL)",
        )
    op.drop_index("uq_project_ppm_reference_lower", table_name="project")
    op.drop_index("ix_project_title_lower", table_name="project")
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.drop_index("ix_coaching_session_support_held")
        batch_op.drop_index(batch_op.f("ix_coaching_session_coachee_id"))
        batch_op.drop_index(batch_op.f("ix_coaching_session_coach_id"))

    op.drop_table("coaching_session")
    with op.batch_alter_table("support", schema=None) as batch_op:
        batch_op.drop_index("ix_support_status_dates")
        batch_op.drop_index(batch_op.f("ix_support_status"))
        batch_op.drop_index(batch_op.f("ix_support_responsible_id"))
        batch_op.drop_index(batch_op.f("ix_support_requested_by_id"))
        batch_op.drop_index(batch_op.f("ix_support_project_id"))
        batch_op.drop_index(batch_op.f("ix_support_decided_by_id"))

    op.drop_table("support")
    with op.batch_alter_table("project_update", schema=None) as batch_op:
        batch_op.drop_index("ix_project_update_project_reported")
        batch_op.drop_index(batch_op.f("ix_project_update_author_id"))

    op.drop_table("project_update")
    with op.batch_alter_table("project_member", schema=None) as batch_op:
        batch_op.drop_index("ix_project_member_project_role")
        batch_op.drop_index("ix_project_member_person_role")

    op.drop_table("project_member")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index("ix_project_status_starts_on")
        batch_op.drop_index(batch_op.f("ix_project_status"))
        batch_op.drop_index(batch_op.f("ix_project_start_cutoff"))
        batch_op.drop_index(batch_op.f("ix_project_service_group_id"))
        batch_op.drop_index(batch_op.f("ix_project_created_by_id"))

    op.drop_table("project")
