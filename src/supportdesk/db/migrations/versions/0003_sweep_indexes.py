"""sweep indexes: per-queue at-risk and due instants

Revision ID: 0003_sweep
Revises: 0002_web
Create Date: 2026-11-22
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0003_sweep'
down_revision: str | None = '0002_web'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_queue_next_at_risk_at', ['queue', 'next_at_risk_at'], unique=False
        )
        batch_op.create_index('ix_tickets_queue_next_due_at', ['queue', 'next_due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_queue_next_due_at')
        batch_op.drop_index('ix_tickets_queue_next_at_risk_at')
