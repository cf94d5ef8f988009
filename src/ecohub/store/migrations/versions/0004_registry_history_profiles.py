"""The registry kept by people, protocol profiles, released quarantine.

History, retirement, permits and limits; the devices' protocol profiles; quarantined packets
released; the deviations accepted with each stored packet (PostgreSQL).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("monitored_objects") as table:
        table.add_column(sa.Column("retired_at", UTC_TIMESTAMP))
    with op.batch_alter_table("devices") as table:
        table.add_column(sa.Column("retired_at", UTC_TIMESTAMP))
        table.add_column(sa.Column("profile", sa.String(32), nullable=False,
                                   server_default="default"))
        table.add_column(sa.Column("accept", sa.JSON, nullable=False, server_default="[]"))
        table.add_column(sa.Column("utc_offset_minutes", sa.Integer, nullable=False,
                                   server_default="480"))
    with op.batch_alter_table("rejected_packets") as table:
        table.add_column(sa.Column("released_at", UTC_TIMESTAMP))
    op.create_table(
        "registry_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("changed_at", UTC_TIMESTAMP, nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
    )
    op.create_index("ix_registry_changes_entity_key", "registry_changes",
                    ["entity", "key", "changed_at"])
    op.create_table(
        "permits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(64), nullable=False, unique=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("monitored_objects.id"),
                  nullable=False, index=True),
        sa.Column("issued_by", sa.String(200)),
        sa.Column("valid_from", UTC_TIMESTAMP),
        sa.Column("valid_to", UTC_TIMESTAMP),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("retired_at", UTC_TIMESTAMP),
    )
    op.create_table(
        "discharge_limits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("monitored_objects.id"),
                  nullable=False, index=True),
        sa.Column("factor", sa.String(16), nullable=False),
        sa.Column("statistic", sa.String(16), nullable=False),
        sa.Column("limit_value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("standard", sa.String(200)),
        sa.Column("permit_id", sa.Integer, sa.ForeignKey("permits.id")),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("retired_at", UTC_TIMESTAMP),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("packets", sa.Column("deviations", sa.Text))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("packets", "deviations")
    op.drop_table("discharge_limits")
    op.drop_table("permits")
    op.drop_index("ix_registry_changes_entity_key", "registry_changes")
    op.drop_table("registry_changes")
    with op.batch_alter_table("rejected_packets") as table:
        table.drop_column("released_at")
    with op.batch_alter_table("devices") as table:
        for column in ("utc_offset_minutes", "accept", "profile", "retired_at"):
            table.drop_column(column)
    with op.batch_alter_table("monitored_objects") as table:
        table.drop_column("retired_at")
