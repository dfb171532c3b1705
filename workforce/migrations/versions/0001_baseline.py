"""Baseline: the schema of the last release without migrations (14 tables, with the unique index on
extracts(kind, extract_date)); databases created by that release are stamped here, then upgraded.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-01 11:38:02.638922
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001_baseline'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the 14 tables and their indexes."""
    op.create_table('agent_skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('skill_code', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_agent_skills_agent_id'), 'agent_skills', ['agent_id'], unique=False)
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_table('extracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=400), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_stored', sa.Integer(), nullable=False),
    sa.Column('rows_quarantined', sa.Integer(), nullable=False),
    sa.Column('mapping', sa.String(length=200), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    op.create_index(op.f('ix_extracts_extract_date'), 'extracts', ['extract_date'], unique=False)
    op.create_index('uq_extract_kind_date', 'extracts', ['kind', 'extract_date'], unique=True)
    op.create_table('metiers',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('famille', sa.String(length=120), nullable=True),
    sa.Column('filiere', sa.String(length=40), nullable=True),
    sa.Column('categories', sa.String(length=20), nullable=True),
    sa.Column('service_category', sa.String(length=20), nullable=True),
    sa.Column('rome_codes', sa.String(length=120), nullable=True),
    sa.Column('direction', sa.String(length=120), nullable=True),
    sa.Column('transition_eco', sa.String(length=80), nullable=True),
    sa.Column('transition_num', sa.Boolean(), nullable=True),
    sa.Column('transition_demo', sa.Boolean(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('rome_appellations',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=400), nullable=False),
    sa.Column('short_label', sa.String(length=400), nullable=True),
    sa.Column('code_rome', sa.String(length=10), nullable=False),
    sa.Column('transition_eco', sa.String(length=80), nullable=True),
    sa.Column('transition_num', sa.Boolean(), nullable=True),
    sa.Column('transition_demo', sa.Boolean(), nullable=True),
    sa.Column('classification', sa.String(length=20), nullable=True),
    sa.Column('rarely_used', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_index(op.f('ix_rome_appellations_code_rome'), 'rome_appellations', ['code_rome'], unique=False)
    op.create_table('rome_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_rome', sa.String(length=10), nullable=False),
    sa.Column('bloc', sa.Integer(), nullable=False),
    sa.Column('rubrique', sa.Integer(), nullable=True),
    sa.Column('code_ogr', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_rome', 'bloc', 'code_ogr', name='uq_rome_link')
    )
    op.create_index(op.f('ix_rome_links_code_ogr'), 'rome_links', ['code_ogr'], unique=False)
    op.create_index(op.f('ix_rome_links_code_rome'), 'rome_links', ['code_rome'], unique=False)
    op.create_table('rome_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('folder', sa.String(length=400), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('scenarios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['scenarios.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('skills',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=400), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('transition_eco', sa.Boolean(), nullable=True),
    sa.Column('transition_num', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('agent_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('extract_date', sa.Date(), nullable=False),
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('statut', sa.String(length=40), nullable=False),
    sa.Column('categorie', sa.String(length=1), nullable=False),
    sa.Column('filiere', sa.String(length=40), nullable=True),
    sa.Column('cadre_emplois', sa.String(length=120), nullable=True),
    sa.Column('grade', sa.String(length=120), nullable=True),
    sa.Column('metier_code', sa.String(length=40), nullable=False),
    sa.Column('metier_label', sa.String(length=200), nullable=True),
    sa.Column('direction', sa.String(length=120), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=True),
    sa.Column('quotite', sa.Float(), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=True),
    sa.Column('public_service_entry_date', sa.Date(), nullable=True),
    sa.Column('service_category', sa.String(length=20), nullable=False),
    sa.Column('position', sa.String(length=40), nullable=True),
    sa.Column('active_service_years', sa.Float(), nullable=True),
    sa.Column('insurance_quarters', sa.Integer(), nullable=True),
    sa.Column('indice_majore', sa.Integer(), nullable=True),
    sa.Column('departure_date', sa.Date(), nullable=True),
    sa.Column('departure_motive', sa.String(length=40), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['extract_id'], ['extracts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('extract_id', 'agent_id', name='uq_snapshot_agent')
    )
    op.create_index(op.f('ix_agent_snapshots_extract_date'), 'agent_snapshots', ['extract_date'], unique=False)
    op.create_index(op.f('ix_agent_snapshots_extract_id'), 'agent_snapshots', ['extract_id'], unique=False)
    op.create_index('ix_snapshot_agent_date', 'agent_snapshots', ['agent_id', 'extract_date'], unique=False)
    op.create_table('metier_skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metier_code', sa.String(length=40), nullable=False),
    sa.Column('skill_code', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('from_year', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['metier_code'], ['metiers.code'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_code'], ['skills.code'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('metier_code', 'skill_code', 'from_year', name='uq_metier_skill')
    )
    op.create_index(op.f('ix_metier_skills_metier_code'), 'metier_skills', ['metier_code'], unique=False)
    op.create_index(op.f('ix_metier_skills_skill_code'), 'metier_skills', ['skill_code'], unique=False)
    op.create_table('model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=True),
    sa.Column('data_hash', sa.String(length=64), nullable=True),
    sa.Column('code_version', sa.String(length=60), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=True),
    sa.Column('trained_at', sa.DateTime(), nullable=False),
    sa.Column('training_seconds', sa.Float(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('format', sa.String(length=20), nullable=True),
    sa.Column('libraries', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['extract_id'], ['extracts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'version', name='uq_model_version')
    )
    op.create_table('movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('movement_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('motive', sa.String(length=40), nullable=True),
    sa.Column('from_metier', sa.String(length=40), nullable=True),
    sa.Column('to_metier', sa.String(length=40), nullable=True),
    sa.Column('from_direction', sa.String(length=120), nullable=True),
    sa.Column('to_direction', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['extract_id'], ['extracts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_movement_kind_date', 'movements', ['kind', 'movement_date'], unique=False)
    op.create_index(op.f('ix_movements_agent_id'), 'movements', ['agent_id'], unique=False)
    op.create_index(op.f('ix_movements_extract_id'), 'movements', ['extract_id'], unique=False)
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['extract_id'], ['extracts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_quarantine_extract_id'), 'quarantine', ['extract_id'], unique=False)


def downgrade() -> None:
    """Drop everything: back to an empty database."""
    op.drop_index(op.f('ix_quarantine_extract_id'), table_name='quarantine')
    op.drop_table('quarantine')
    op.drop_index(op.f('ix_movements_extract_id'), table_name='movements')
    op.drop_index(op.f('ix_movements_agent_id'), table_name='movements')
    op.drop_index('ix_movement_kind_date', table_name='movements')
    op.drop_table('movements')
    op.drop_table('model_versions')
    op.drop_index(op.f('ix_metier_skills_skill_code'), table_name='metier_skills')
    op.drop_index(op.f('ix_metier_skills_metier_code'), table_name='metier_skills')
    op.drop_table('metier_skills')
    op.drop_index('ix_snapshot_agent_date', table_name='agent_snapshots')
    op.drop_index(op.f('ix_agent_snapshots_extract_id'), table_name='agent_snapshots')
    op.drop_index(op.f('ix_agent_snapshots_extract_date'), table_name='agent_snapshots')
    op.drop_table('agent_snapshots')
    op.drop_table('skills')
    op.drop_table('scenarios')
    op.drop_table('rome_releases')
    op.drop_index(op.f('ix_rome_links_code_rome'), table_name='rome_links')
    op.drop_index(op.f('ix_rome_links_code_ogr'), table_name='rome_links')
    op.drop_table('rome_links')
    op.drop_index(op.f('ix_rome_appellations_code_rome'), table_name='rome_appellations')
    op.drop_table('rome_appellations')
    op.drop_table('metiers')
    op.drop_index('uq_extract_kind_date', table_name='extracts')
    op.drop_index(op.f('ix_extracts_extract_date'), table_name='extracts')
    op.drop_table('extracts')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_agent_skills_agent_id'), table_name='agent_skills')
    op.drop_table('agent_skills')
