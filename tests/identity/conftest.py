"""A store with the bureau, a department, an enterprise and a few users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from ecohub.identity import add_organisation, add_user
from ecohub.store import ObjectSpec, Store

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
"""10:00 China Standard Time."""

PASSWORD = "Correct-Horse-42"
ADMIN = "root-operator"


@pytest.fixture
def people(store: Store) -> Store:
    """The ``store`` fixture (each backend) with organisations and users.

    bureau ← dept-air (大气环境处, department), ent-1 (enterprise of source S1); users alice
    (data_manager, dept-air), vic (viewer, bureau), ent (enterprise, ent-1), all with
    :data:`PASSWORD`.
    """
    store.registry.add_objects([ObjectSpec("S1", "某热电厂", "pollution_source",
                                           department="大气环境处")])
    add_organisation(store, "bureau", "某市生态环境局", kind="bureau", actor=ADMIN, now=T0)
    add_organisation(store, "dept-air", "大气环境处", kind="department", parent="bureau",
                     actor=ADMIN, now=T0)
    add_organisation(store, "ent-1", "某热电有限公司", kind="enterprise", parent="bureau",
                     enterprise_code="S1", actor=ADMIN, now=T0)
    add_user(store, "alice", PASSWORD, role="data_manager", organisation="dept-air",
             display_name="张三", actor=ADMIN, now=T0)
    add_user(store, "vic", PASSWORD, role="viewer", organisation="bureau", actor=ADMIN, now=T0)
    add_user(store, "ent", PASSWORD, role="enterprise", organisation="ent-1", actor=ADMIN,
             now=T0)
    return store


def every_cell(store: Store, table: str) -> list[str]:
    """Every value of every row of ``table`` as text (for scanning for secrets)."""
    with store.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()
    return [str(value) for row in rows for value in row]
