"""records for a real programme: corrections, voids, wild life, egg species, problems

Tables that other tables reference (animal, event) are never rebuilt here: SQLite
would run the ON DELETE actions of their children while copying. New columns are
added in place; only institution, local_id and species are rebuilt on SQLite
(``studbook.db`` runs migrations with foreign keys off and checks them before the commit).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Frozen history: this file never imports studbook.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table('problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('animal', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('hint', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=120), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=120), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.CheckConstraint("severity IN ('error','warning')", name=op.f('ck_problem_severity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problem'))
    )
    op.create_index(op.f('ix_problem_animal'), 'problem', ['animal'], unique=False)

    op.add_column('animal', sa.Column('void', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('animal', sa.Column('void_reason', sa.Text(), nullable=True))
    op.add_column('audit_log', sa.Column('reason', sa.Text(), nullable=True))

    if _sqlite():  # a column with a REFERENCES clause is added in place (no rebuild of event)
        op.execute("ALTER TABLE event ADD COLUMN laid_at_id INTEGER "
                   "CONSTRAINT fk_event_laid_at_id_institution REFERENCES institution (id)")
    else:
        op.add_column('event', sa.Column('laid_at_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_event_laid_at_id_institution'), 'event', 'institution', ['laid_at_id'], ['id'])
    op.add_column('event', sa.Column('wild_egg', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('event', sa.Column('litter_id', sa.Integer(), nullable=True))
    op.add_column('event', sa.Column('void', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('event', sa.Column('void_reason', sa.Text(), nullable=True))
    op.create_index(op.f('ix_event_litter_id'), 'event', ['litter_id'], unique=False)

    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='zoo'))
        batch_op.alter_column('country', existing_type=sa.VARCHAR(length=2), nullable=True)
        batch_op.alter_column('latitude', existing_type=sa.FLOAT(), nullable=True)
        batch_op.alter_column('longitude', existing_type=sa.FLOAT(), nullable=True)
        batch_op.create_check_constraint(op.f('ck_institution_coordinates'), "(latitude IS NULL) = (longitude IS NULL)")
        batch_op.create_check_constraint(op.f('ck_institution_kind'),
                                         "kind IN ('zoo','breeding-centre','release-site','wild-area')")

    with op.batch_alter_table('local_id', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_local_id_animal_institution'), type_='unique')
        batch_op.create_index('ix_local_id_local_id', ['local_id'], unique=False)
        batch_op.create_unique_constraint('uq_local_id_holding', ['animal_id', 'institution_id', 'local_id'])
        batch_op.create_foreign_key(batch_op.f('fk_local_id_event_id_event'), 'event', ['event_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('species', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reproduction', sa.String(length=4), nullable=False, server_default='live'))
        batch_op.add_column(sa.Column('incubation_min_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('incubation_max_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clutch_interval_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('census_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_studbook_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('earliest_year', sa.Integer(), nullable=False, server_default='1850'))
        batch_op.create_check_constraint(op.f('ck_species_reproduction'), "reproduction IN ('live','egg')")
        batch_op.create_check_constraint(
            op.f('ck_species_incubation'),
            "incubation_min_days IS NULL OR incubation_max_days IS NULL "
            "OR (incubation_min_days > 0 AND incubation_max_days >= incubation_min_days)")


def downgrade() -> None:
    with op.batch_alter_table('species', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_species_incubation'), type_='check')
        batch_op.drop_constraint(op.f('ck_species_reproduction'), type_='check')
        batch_op.drop_column('earliest_year')
        batch_op.drop_column('next_studbook_id')
        batch_op.drop_column('census_date')
        batch_op.drop_column('clutch_interval_days')
        batch_op.drop_column('incubation_max_days')
        batch_op.drop_column('incubation_min_days')
        batch_op.drop_column('reproduction')

    # Several local IDs per holding cannot go back into one: keep the latest of each holding.
    op.execute("DELETE FROM local_id WHERE id NOT IN "
               "(SELECT max(id) FROM local_id GROUP BY animal_id, institution_id)")
    with op.batch_alter_table('local_id', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_local_id_event_id_event'), type_='foreignkey')
        batch_op.drop_constraint('uq_local_id_holding', type_='unique')
        batch_op.drop_index('ix_local_id_local_id')
        batch_op.create_unique_constraint(batch_op.f('uq_local_id_animal_institution'), ['animal_id', 'institution_id'])
        batch_op.drop_column('event_id')

    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_institution_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_institution_coordinates'), type_='check')
        batch_op.alter_column('longitude', existing_type=sa.FLOAT(), nullable=False)
        batch_op.alter_column('latitude', existing_type=sa.FLOAT(), nullable=False)
        batch_op.alter_column('country', existing_type=sa.VARCHAR(length=2), nullable=False)
        batch_op.drop_column('kind')

    if not _sqlite():
        op.drop_constraint(op.f('fk_event_laid_at_id_institution'), 'event', type_='foreignkey')
    op.drop_index(op.f('ix_event_litter_id'), table_name='event')
    for col in ('void_reason', 'void', 'litter_id', 'wild_egg', 'laid_at_id'):
        op.drop_column('event', col)
    op.drop_column('audit_log', 'reason')
    op.drop_column('animal', 'void_reason')
    op.drop_column('animal', 'void')
    op.drop_index(op.f('ix_problem_animal'), table_name='problem')
    op.drop_table('problem')
