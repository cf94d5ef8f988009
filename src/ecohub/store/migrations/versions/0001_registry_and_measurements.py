"""Registry, rejected packets; on PostgreSQL also the measurement tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monitored_objects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False, index=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("monitored_objects.id")),
        sa.Column("longitude", sa.Float),
        sa.Column("latitude", sa.Float),
        sa.Column("city", sa.String(64), index=True),
        sa.Column("city_code", sa.String(12)),
        sa.Column("county", sa.String(64)),
        sa.Column("department", sa.String(200), index=True),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
    )
    op.create_table(
        "devices",
        sa.Column("mn", sa.String(64), primary_key=True),
        sa.Column("object_id", sa.Integer, sa.ForeignKey("monitored_objects.id"), nullable=False,
                  index=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("protocol", sa.String(8), nullable=False),
        sa.Column("factors", sa.JSON, nullable=False),
        sa.Column("minute_interval", sa.Integer, nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
    )
    op.create_table(
        "rejected_packets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("received_at", UTC_TIMESTAMP, nullable=False, index=True),
        sa.Column("disposition", sa.String(16), nullable=False),
        sa.Column("reason_kind", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("peer", sa.String(64)),
        sa.Column("mn", sa.String(64), index=True),
        sa.Column("raw", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_rejected_disposition_kind", "rejected_packets",
                    ["disposition", "reason_kind"])
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded backend keeps measurements in DuckDB (store/measurements.py)
    op.create_table(
        "readings",
        sa.Column("mn", sa.Text, nullable=False),
        sa.Column("object_id", sa.BigInteger, nullable=False),
        sa.Column("factor", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("period_start", UTC_TIMESTAMP, nullable=False),
        sa.Column("period_s", sa.Integer, nullable=False),
        sa.Column("statistic", sa.Text, nullable=False),
        sa.Column("value", sa.Float(53)),
        sa.Column("device_flag", sa.Text),
        sa.Column("received_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("packet_id", sa.Text),
        sa.PrimaryKeyConstraint("mn", "factor", "kind", "period_start", "statistic"),
    )
    op.create_index("ix_readings_kind_period", "readings", ["kind", "period_start"])
    op.create_index("ix_readings_object_period", "readings", ["object_id", "period_start"])
    op.create_table(
        "packets",
        sa.Column("packet_id", sa.Text),
        sa.Column("mn", sa.Text),
        sa.Column("cn", sa.Text),
        sa.Column("received_at", UTC_TIMESTAMP),
        sa.Column("raw", sa.Text),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("packets")
        op.drop_table("readings")
    op.drop_table("rejected_packets")
    op.drop_table("devices")
    op.drop_table("monitored_objects")
