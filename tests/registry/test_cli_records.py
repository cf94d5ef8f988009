"""`ecohub registry object|device|show|history|archive`: changes with history, end to end."""

from __future__ import annotations

import openpyxl
import pytest
from tests.registry.test_import import DEVICES, MN, OBJECTS, fill
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.store import open_store

ANHUI = ["--region-bbox", "114.8,29.3,119.7,34.7"]


@pytest.fixture
def data_dir(tmp_path):
    open_store(data_dir=tmp_path / "data", migrate=True).close()
    return tmp_path / "data"


def run(data_dir, *args: str, stdin: str | None = None):
    result = CliRunner().invoke(app, ["registry", *map(str, args), "--data-dir", str(data_dir)],
                                input=stdin)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit), result.output
    return result


def enterprise(data_dir) -> None:
    assert run(data_dir, "object", "add", "S1", "--name", "热电厂", "--type", "污染源",
               "--by", "张工").exit_code == 0
    assert run(data_dir, "object", "add", "S1-1", "--name", "1# 烟囱", "--type", "排放口",
               "--parent", "S1", "--by", "张工").exit_code == 0
    added = run(data_dir, "device", "add", MN, "--object", "S1-1", "--factors", "a21026,a21002",
                "--password-stdin", "--by", "张工", "--reason", "新装", stdin="first-secret\n")
    assert added.exit_code == 0, added.output
    assert "密码：***" in added.output and "first-secret" not in added.output


def test_device_set_keeps_history_and_never_shows_the_password(data_dir) -> None:
    enterprise(data_dir)
    changed = run(data_dir, "device", "set", MN, "--profile", "modbus", "--accept", "crc.modbus",
                  "--utc-offset", "0", "--password-stdin", "--factors", "a21026",
                  "--by", "张工", "--reason", "厂家协议", stdin="new-secret\n")
    assert changed.exit_code == 0, changed.output
    assert "协议配置：default → modbus" in changed.output
    assert "时区：UTC+8 → UTC" in changed.output and "密码：*** → ***" in changed.output
    with open_store(data_dir=data_dir) as store:
        device = store.registry.devices()[MN]
        assert device.verify_password("new-secret") and device.profile == "modbus"
        assert device.utc_offset_minutes == 0 and device.factors == ("a21026",)
    same = run(data_dir, "device", "set", MN, "--profile", "modbus", "--by", "张工")
    assert same.exit_code == 0 and "无变化，未写入" in same.output

    history = run(data_dir, "history", "--mn", MN)
    assert history.exit_code == 0 and "厂家协议" in history.output and "新装" in history.output
    assert "secret" not in history.output
    shown = run(data_dir, "device", "show", MN)
    assert "协议配置：modbus" in shown.output and "secret" not in shown.output


def test_show_as_of_and_history_since(data_dir) -> None:
    enterprise(data_dir)
    renamed = run(data_dir, "object", "set", "S1", "--name", "合肥热电厂", "--by", "张工")
    assert renamed.exit_code == 0 and "名称：热电厂 → 合肥热电厂" in renamed.output
    before = run(data_dir, "show", "S1", "--as-of", "2020-01-01")
    assert before.exit_code == 0 and "当时尚未登记" in before.output
    now = run(data_dir, "show", "S1", "--as-of", "2999-01-01")
    assert "名称：合肥热电厂" in now.output
    assert "名称：热电厂 → 合肥热电厂" in run(data_dir, "history", "--code", "S1").output
    assert "变更记录 0 条" in run(data_dir, "history", "--since", "2999-01-01").output


def test_retire_reinstate_and_archive(data_dir, tmp_path) -> None:
    enterprise(data_dir)
    refused = run(data_dir, "object", "retire", "S1", "--by", "张工")
    assert refused.exit_code == 1 and f"device {MN}, object S1-1" in refused.output
    retired = run(data_dir, "device", "retire", MN, "--by", "张工", "--reason", "报废")
    assert retired.exit_code == 0 and "停用" in retired.output
    with open_store(data_dir=data_dir) as store:
        assert MN in store.registry.retired_devices()
    assert run(data_dir, "device", "reinstate", MN, "--by", "张工").exit_code == 0

    out = tmp_path / "archive.xlsx"
    archive = run(data_dir, "archive", "S1", "--out", out)
    assert archive.exit_code == 0, archive.output
    assert "企业 S1 热电厂：排放口 1 个，数采仪 1 台" in archive.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["企业", "排放口", "数采仪", "排污许可证", "排放限值", "变更记录"]
    assert [c.value for c in book["变更记录"][1]] == [
        "时间", "操作人", "操作", "类别", "编号", "变更内容", "原因"]
    actions = [row[2] for row in book["变更记录"].iter_rows(min_row=2, values_only=True)]
    assert actions == ["恢复", "停用", "新增", "新增", "新增"]

    cascade = run(data_dir, "object", "retire", "S1", "--cascade", "--by", "张工")
    assert cascade.exit_code == 0 and cascade.output.count(" 停用：") == 3


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["object", "set", "NOPE", "--name", "x", "--by", "张工"], None, "object NOPE: not registered"),
    (["object", "set", "S1", "--name", "x"], None, "--by NAME is required"),
    (["object", "add", "S2", "--name", "x", "--type", "工厂", "--by", "张工"], None,
     "--type '工厂': expected one of"),
    (["object", "add", "S1", "--name", "x", "--type", "污染源", "--by", "张工"], None,
     "registered already"),
    (["device", "set", MN, "--profile", "lenient", "--by", "张工"], None,
     "profile 'lenient', expected one of"),
    (["device", "set", MN, "--accept", "crc.nope", "--by", "张工"], None,
     "deviation kind 'crc.nope'"),
    (["device", "set", MN, "--utc-offset", "UTC+20", "--by", "张工"], None, "--utc-offset"),
    (["device", "set", MN, "--factors", "x99999", "--by", "张工"], None, "x99999"),
    (["device", "set", MN, "--by", "张工"], None, "nothing to change"),
    (["device", "set", "NOPE", "--profile", "modbus", "--by", "张工"], None,
     "device NOPE: not registered"),
    (["device", "add", "MN2", "--object", "S1", "--factors", "a21026", "--by", "张工"], None,
     "--password-stdin"),
    (["device", "add", "MN2", "--object", "S1", "--factors", "a21026", "--password-stdin",
      "--by", "张工"], "", "gave no password"),
    (["device", "reinstate", MN, "--by", "张工"], None, "not retired"),
    (["show", "NOPE"], None, "record NOPE: not registered"),
    (["archive", "S1-1"], None, "not a pollution source"),
    (["history", "--code", "S1", "--mn", MN], None, "not both"),
])
def test_bad_input_gives_one_line(data_dir, args, stdin, message) -> None:
    enterprise(data_dir)
    result = run(data_dir, *args, stdin=stdin)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_import_needs_by_when_it_changes_something(data_dir, tmp_path) -> None:
    file = fill(tmp_path / "in.xlsx", OBJECTS, DEVICES)
    assert run(data_dir, "import", file, *ANHUI).exit_code == 0
    changed = fill(tmp_path / "b.xlsx", [["A001", "合肥市监测站（新）", *OBJECTS[0][2:]]], [])
    dry = run(data_dir, "import", changed, "--dry-run", *ANHUI)
    assert dry.exit_code == 0
    assert "修改 A001：名称：合肥市监测站 → 合肥市监测站（新）" in dry.output
    assert "可修改 1" in dry.output
    refused = run(data_dir, "import", changed, *ANHUI)
    assert refused.exit_code == 1 and "--by NAME is required" in refused.output
    applied = run(data_dir, "import", changed, *ANHUI, "--by", "张工", "--reason", "更名")
    assert applied.exit_code == 0 and "修改 1" in applied.output
    history = run(data_dir, "history", "--code", "A001")
    assert "更名" in history.output and "张工" in history.output
