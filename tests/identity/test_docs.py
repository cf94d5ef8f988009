"""docs/accounts.md's permission table says what :data:`ROLES` says."""

from __future__ import annotations

from pathlib import Path

from ecohub.identity import PERMISSIONS, ROLES

DOC = Path(__file__).parents[2] / "docs" / "accounts.md"


def doc_table() -> tuple[list[str], dict[str, list[str]]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| permission |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells
    return header, rows


def test_the_documented_table_matches_roles():
    header, rows = doc_table()
    roles = header[2:]
    assert roles == list(ROLES)
    assert list(rows) == list(PERMISSIONS)
    for permission, cells in rows.items():
        documented = {role for role, cell in zip(roles, cells[2:], strict=True) if cell}
        granted = {role for role, held in ROLES.items() if permission in held}
        assert documented == granted, permission


def test_the_roles_module_table_matches_too():
    from ecohub.identity import roles

    for permission in PERMISSIONS:
        (line,) = [line for line in roles.__doc__.splitlines()
                   if line.startswith(f"| ``{permission}``")]
        cells = [cell.strip() for cell in line.strip("|").split("|")][2:]
        documented = {role for role, cell in zip(ROLES, cells, strict=True) if cell}
        assert documented == {role for role, held in ROLES.items() if permission in held}
