"""web desk: sessions, sign-in failures, ticket attachments

Revision ID: 0002_web
Revises: 0001
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import supportdesk.db.types

revision: str = '0002_web'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', supportdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', supportdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', supportdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_web_sessions_agent_id_agents'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_web_sessions_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_sessions')),
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_expires_at'), ['expires_at'], unique=False)

    op.create_table(
        'signin_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('at', supportdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_failures')),
    )
    with op.batch_alter_table('signin_failures', schema=None) as batch_op:
        batch_op.create_index('ix_signin_failures_email_at', ['email', 'at'], unique=False)
        batch_op.create_index('ix_signin_failures_at', ['at'], unique=False)

    op.create_table(
        'ticket_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', supportdesk.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_attachments_ticket_id_tickets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_attachments')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_ticket_attachments_stored_name')),
    )
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_attachments_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_attachments_ticket_id'))
    op.drop_table('ticket_attachments')
    with op.batch_alter_table('signin_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_signin_failures_at')
        batch_op.drop_index('ix_signin_failures_email_at')
    op.drop_table('signin_failures')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_expires_at'))
        batch_op.drop_index(batch_op.f('ix_web_sessions_person_id'))
        batch_op.drop_index(batch_op.f('ix_web_sessions_agent_id'))
    op.drop_table('web_sessions')
