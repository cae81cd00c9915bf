"""husbandry species parameters: dependence of young, release ages

Adds to ``species``: ``dependence_months`` (young depend on their dam until this age: the
dam is neither moved nor re-paired, the young are not moved) and ``release_age_min`` /
``release_age_max`` (years: the default age window of reintroduction candidates). All
nullable: unset means no such constraint. Columns are added in place on both databases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Frozen history: this file never imports studbook.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('species', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dependence_months', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('release_age_min', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('release_age_max', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('species', schema=None) as batch_op:
        batch_op.drop_column('release_age_max')
        batch_op.drop_column('release_age_min')
        batch_op.drop_column('dependence_months')
