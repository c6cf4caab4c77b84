"""outbox dead letters: dead_at

Revision ID: 0004_outbox_dead
Revises: 0003_sweep
Create Date: 2026-11-29

A message whose attempts are exhausted is marked dead (kept, listed, re-queued by an operator)
instead of silently never being tried again. Messages already exhausted before this migration
(undelivered, attempts >= 20, the old limit) become dead letters now, so they are visible.
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import supportdesk.db.types

revision: str = '0004_outbox_dead'
down_revision: str | None = '0003_sweep'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_MAX_ATTEMPTS = 20

outbox = sa.table(
    'outbox',
    sa.column('delivered_at', supportdesk.db.types.UTCDateTime(timezone=True)),
    sa.column('dead_at', supportdesk.db.types.UTCDateTime(timezone=True)),
    sa.column('attempts', sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('dead_at', supportdesk.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        outbox.update()
        .where(outbox.c.delivered_at.is_(None), outbox.c.attempts >= OLD_MAX_ATTEMPTS)
        .values(dead_at=datetime.now(UTC))
    )


def downgrade() -> None:
    # Keep dead letters out of the old dispatcher's reach (it stops at 20 attempts).
    op.execute(
        outbox.update()
        .where(outbox.c.dead_at.is_not(None), outbox.c.attempts < OLD_MAX_ATTEMPTS)
        .values(attempts=OLD_MAX_ATTEMPTS)
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
