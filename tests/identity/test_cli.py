"""`ecohub admin` and `ecohub audit` end to end: one-line errors, secrets shown once, audited."""

from __future__ import annotations

import re

import openpyxl
import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.identity import authenticate_token, events, sign_in
from ecohub.store import open_store

runner = CliRunner()


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOHUB_DATABASE_URL", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "opsuser")
    where = tmp_path / "data"
    assert runner.invoke(app, ["store", "migrate", "--data-dir", str(where)]).exit_code == 0
    return where


def run(data, *args, input=None, code=0):
    result = runner.invoke(app, [*args, "--data-dir", str(data)], input=input)
    assert result.exit_code == code, result.output
    if code:
        assert isinstance(result.exception, SystemExit)  # a message, not a traceback
        (line,) = result.output.strip().splitlines()
        assert line.startswith("ecohub: ")
        return line
    return result.output


def test_admin_commands_end_to_end(data, tmp_path):
    out = run(data, "admin", "init")
    one_time = re.search(r"one-time password: (\S+)", out).group(1)
    assert "not be shown again" in out or "cannot be shown again" in out
    line = run(data, "admin", "init", code=1)
    assert "an administrator exists already (admin)" in line

    run(data, "admin", "org", "add", "dept-air", "大气环境处", "--kind", "department",
        "--parent", "bureau")
    assert "--kind 'centre'" not in run(data, "admin", "org", "add", "u1", "中心", "--kind",
                                        "centre", code=1)
    assert "大气环境处" in run(data, "admin", "org", "list")

    password = "Manager-Pass-2026"
    out = run(data, "admin", "user", "add", "alice", "--role", "data_manager", "--org",
              "dept-air", "--name", "张三", "--password-stdin", input=password + "\n")
    assert password not in out
    out = run(data, "admin", "user", "add", "bob", "--role", "viewer", "--org", "bureau",
              "--one-time")
    bob_password = re.search(r"one-time password: (\S+)", out).group(1)
    assert "too short" in run(data, "admin", "user", "add", "carol", "--role", "viewer",
                              "--org", "bureau", "--password-stdin", input="Sh0rt-Xq\n", code=1)
    assert "exactly one of" in run(data, "admin", "user", "add", "carol", "--role", "viewer",
                                   "--org", "bureau", code=1)
    assert "role 'boss'" in run(data, "admin", "user", "add", "carol", "--role", "boss",
                                "--org", "bureau", "--one-time", code=1)
    assert "'nowhere' is not a known organisation" in run(
        data, "admin", "user", "add", "carol", "--role", "viewer", "--org", "nowhere",
        "--one-time", code=1)
    listed = run(data, "admin", "user", "list")
    assert "alice" in listed and "bob" in listed and "carol" not in listed

    out = run(data, "admin", "token", "create", "alice", "--name", "省平台", "--scope",
              "data.read", "--scope", "registry.read", "--days", "30")
    token = re.search(r"ecohub_[0-9a-f]{8}_\S{43}", out).group(0)
    assert "cannot be shown again" in out
    assert "scope 'users.manage'" in run(data, "admin", "token", "create", "alice", "--name",
                                         "x", "--scope", "users.manage", code=1)
    listed = run(data, "admin", "token", "list", "--user", "alice")
    assert token not in listed and token[7:15] in listed
    with open_store(data_dir=data, registry_only=True) as store:
        principal = authenticate_token(store, token)
        assert principal.username == "alice" and principal.scopes == {"data.read",
                                                                      "registry.read"}
        sign_in(store, "admin", one_time, ip=None)
        sign_in(store, "bob", bob_password, ip=None)
    run(data, "admin", "token", "revoke", token[7:15])
    assert "no token" in run(data, "admin", "token", "revoke", "999", code=1)

    run(data, "admin", "user", "disable", "bob")
    assert "'ghost': no such user" in run(data, "admin", "user", "disable", "ghost", code=1)
    out = run(data, "admin", "user", "reset", "alice")
    new_one_time = re.search(r"one-time password: (\S+)", out).group(1)
    run(data, "admin", "user", "reset", "alice", "--password-stdin",
        input="Another-Pass-2026\n")

    with open_store(data_dir=data, registry_only=True) as store:
        assert authenticate_token(store, token) is None
        everything = events(store, limit=10_000)
    assert {e.actor_kind for e in everything if e.action != "sign_in"} == {"cli"}
    assert {e.actor for e in everything if e.actor_kind == "cli"} == {"opsuser"}
    failed = [e for e in everything if e.outcome == "failed"]
    assert {e.target for e in failed} >= {"ecohub admin init", "ecohub admin user add",
                                          "ecohub admin token create"}
    text = repr(everything)
    for secret in (one_time, password, bob_password, token, new_one_time, "Another-Pass-2026",
                   "Sh0rt-Xq"):
        assert secret not in text

    listed = run(data, "audit", "list", "--user", "opsuser", "--action", "token_create")
    assert "创建令牌" in listed
    book = tmp_path / "audit.xlsx"
    out = run(data, "audit", "list", "--since", "2000-01-01", "--out", str(book))
    assert "events written to" in out
    sheet = openpyxl.load_workbook(book).active
    header = [cell.value for cell in sheet[2]]
    assert header[:4] == ["编号", "时间（北京时间）", "用户", "访问方式"]
    assert sheet.max_row > 10
    assert "expected a .xlsx" in run(data, "audit", "list", "--out", "x.csv", code=1)
    with open_store(data_dir=data, registry_only=True) as store:
        (export,) = events(store, action="export")
    assert export.target == "ecohub audit list" and export.row_count == sheet.max_row - 2


def test_password_stdin_must_give_a_password(data):
    assert "standard input gave no password" in run(
        data, "admin", "init", "--password-stdin", input="\n", code=1)


def test_admin_commands_need_a_store(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOHUB_DATABASE_URL", raising=False)
    line = run(tmp_path / "none", "admin", "user", "list", code=1)
    assert "run `ecohub store migrate`" in line


@pytest.mark.postgres
def test_admin_commands_on_postgresql(pg_url, tmp_path, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "opsuser")
    url = ["--database-url", pg_url]
    assert runner.invoke(app, ["store", "migrate", *url]).exit_code == 0
    result = runner.invoke(app, ["admin", "init", "--password-stdin", *url],
                           input="Bureau-Chief-2026\n")
    assert result.exit_code == 0, result.output
    assert "one-time password" not in result.output
    result = runner.invoke(app, ["admin", "user", "list", *url])
    assert result.exit_code == 0 and "admin" in result.output
    result = runner.invoke(app, ["admin", "token", "create", "admin", "--name", "x", "--days",
                                 "0", *url])
    assert result.exit_code == 1 and result.output.startswith("ecohub: token for admin: days 0")
    with open_store(pg_url, registry_only=True) as store:
        assert sign_in(store, "admin", "Bureau-Chief-2026", ip=None)[0].can("audit.read")
        assert [e.outcome for e in events(store, actor="opsuser", action="token_create")] == [
            "failed"]
