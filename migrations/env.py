"""Alembic environment: one history for SQLite and PostgreSQL, run through Flask-Migrate."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from lms.core.db import alembic_render_item
from lms.models import metadata

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def _options():
    return {
        "target_metadata": metadata,
        "render_as_batch": True,  # SQLite cannot ALTER most things in place
        "render_item": alembic_render_item,
        "compare_type": True,
        "compare_server_default": False,
    }


def run_migrations_offline():
    context.configure(
        url=str(current_app.extensions["migrate"].db.engine.url),
        literal_binds=True,
        **_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty_revisions(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    connectable = current_app.extensions["migrate"].db.engine
    with connectable.connect() as connection:
        context.configure(
            connection=connection, process_revision_directives=skip_empty_revisions, **_options()
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
