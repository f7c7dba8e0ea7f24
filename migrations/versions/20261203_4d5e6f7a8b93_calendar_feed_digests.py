"""Calendar feeds keep a reference and a digest of their secret address, never the address.

Existing feeds keep working: each gets the SHA-256 of its token (what
`lms.core.tokens.digest` computes) and no reference, so its address is still recognised
but can no longer be shown; the calendar page offers to make a new one.

Downgrading cannot put the tokens back (they are not stored), so it removes every feed;
people make a new address.

Revision ID: 4d5e6f7a8b93
Revises: 3c4d5e6f7a82
Create Date: 2026-12-03 00:00:00

"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d5e6f7a8b93"
down_revision = "3c4d5e6f7a82"
branch_labels = None
depends_on = None

calendar_feed = sa.table(
    "calendar_feed",
    sa.column("id", sa.Integer),
    sa.column("token", sa.String),
    sa.column("token_hash", sa.String),
)


def upgrade():
    with op.batch_alter_table("calendar_feed") as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(sa.select(calendar_feed.c.id, calendar_feed.c.token)).all()
    if rows:
        connection.execute(
            calendar_feed.update()
            .where(calendar_feed.c.id == sa.bindparam("feed_id"))
            .values(token_hash=sa.bindparam("digest")),
            [
                {"feed_id": id_, "digest": hashlib.sha256(token.encode()).hexdigest()}
                for id_, token in rows
            ],
        )

    with op.batch_alter_table("calendar_feed") as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_calendar_feed_token", type_="unique")
        batch_op.drop_column("token")
        batch_op.create_unique_constraint("uq_calendar_feed_reference", ["reference"])
        batch_op.create_unique_constraint("uq_calendar_feed_token_hash", ["token_hash"])


def downgrade():
    op.execute(calendar_feed.delete())
    with op.batch_alter_table("calendar_feed") as batch_op:
        batch_op.drop_constraint("uq_calendar_feed_token_hash", type_="unique")
        batch_op.drop_constraint("uq_calendar_feed_reference", type_="unique")
        batch_op.drop_column("token_hash")
        batch_op.drop_column("reference")
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=False))
        batch_op.create_unique_constraint("uq_calendar_feed_token", ["token"])
