"""The sweeps and sweep_results tables: each `workforce sweep` records its grid, points and reproducibility facts,
and its long table of published figures (issue 17).

Revision ID: 0003_sweeps
Revises: 0002_projection_runs
Create Date: 2026-12-01 20:01:32.150996
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003_sweeps'
down_revision: Union[str, Sequence[str], None] = '0002_projection_runs'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the tables (empty: no sweep was recorded before they existed)."""
    op.create_table('sweeps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=True),
    sa.Column('base', sa.JSON(), nullable=True),
    sa.Column('grid', sa.JSON(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=True),
    sa.Column('replicates', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('backend', sa.String(length=200), nullable=True),
    sa.Column('extract_id', sa.Integer(), nullable=True),
    sa.Column('extract_date', sa.Date(), nullable=True),
    sa.Column('models', sa.JSON(), nullable=True),
    sa.Column('code_version', sa.String(length=80), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['extract_id'], ['extracts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sweeps_created_at'), 'sweeps', ['created_at'], unique=False)
    op.create_table('sweep_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sweep_id', sa.Integer(), nullable=False),
    sa.Column('point', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('group_code', sa.String(length=200), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('mean', sa.Float(), nullable=True),
    sa.Column('p10', sa.Float(), nullable=True),
    sa.Column('p50', sa.Float(), nullable=True),
    sa.Column('p90', sa.Float(), nullable=True),
    sa.Column('suppressed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['sweep_id'], ['sweeps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sweep_results_sweep_point', 'sweep_results', ['sweep_id', 'point'], unique=False)


def downgrade() -> None:
    """Drop the tables and the sweeps they hold (each sweep is also in the audit log)."""
    op.drop_index('ix_sweep_results_sweep_point', table_name='sweep_results')
    op.drop_table('sweep_results')
    op.drop_index(op.f('ix_sweeps_created_at'), table_name='sweeps')
    op.drop_table('sweeps')
