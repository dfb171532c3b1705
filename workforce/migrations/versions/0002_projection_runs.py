"""The projection_runs table: each projection records its scenario, extract, models, code and seed (issue 12).

Revision ID: 0002_projection_runs
Revises: 0001_baseline
Create Date: 2026-12-01 11:38:22.202278
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002_projection_runs'
down_revision: Union[str, Sequence[str], None] = '0001_baseline'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the table (empty: no run was recorded before it existed)."""
    op.create_table('projection_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=True),
    sa.Column('origin', sa.String(length=20), nullable=True),
    sa.Column('scenario_name', sa.String(length=200), nullable=True),
    sa.Column('scenario_hash', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('transformation_applied', sa.Boolean(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=True),
    sa.Column('extract_date', sa.Date(), nullable=True),
    sa.Column('models', sa.JSON(), nullable=True),
    sa.Column('code_version', sa.String(length=80), nullable=True),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('mc_replicates', sa.Integer(), nullable=False),
    sa.Column('horizon', sa.Integer(), nullable=False),
    sa.Column('result_fingerprint', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['extract_id'], ['extracts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_projection_runs_created_at'), 'projection_runs', ['created_at'], unique=False)


def downgrade() -> None:
    """Drop the table and the runs it holds (they are also in the audit log)."""
    op.drop_index(op.f('ix_projection_runs_created_at'), table_name='projection_runs')
    op.drop_table('projection_runs')
