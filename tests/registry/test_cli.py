"""`ecohub registry …`: one-line messages for bad files, the summary, lists with MNs."""

from __future__ import annotations

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


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_template_import_list_export(data_dir, tmp_path) -> None:
    assert run("registry", "template", tmp_path / "t.xlsx").exit_code == 0
    file = fill(tmp_path / "in.xlsx", [*OBJECTS, ["B1", "", "空气站", *[""] * 8]], DEVICES)
    dry = run("registry", "import", file, "--dry-run", *ANHUI, "--data-dir", data_dir)
    assert dry.exit_code == 0, dry.output
    assert ("可新增 5（监测对象 3，数采仪 2，许可证 0，排放限值 0） / 可修改 0 / 未变 0 / 错误 1"
            in dry.output)
    assert "演练，未写入" in dry.output and not (tmp_path / "in_errors.xlsx").exists()

    result = run("registry", "import", file, *ANHUI, "--data-dir", data_dir)
    assert "监测对象 第 5 行：名称：必填" in result.output
    assert "新增 5（监测对象 3，数采仪 2，许可证 0，排放限值 0） / 修改 0 / 未变 0 / 错误 1" in (
        result.output)
    assert (tmp_path / "in_errors.xlsx").exists() and "in_errors.xlsx" in result.output
    again = run("registry", "import", file, *ANHUI, "--data-dir", data_dir)
    assert "新增 0（监测对象 0，数采仪 0，许可证 0，排放限值 0） / 修改 0 / 未变 5 / 错误 1" in (
        again.output)

    listed = run("registry", "list", "--type", "排放口", "--data-dir", data_dir)
    assert "S001-1" in listed.output and "A001" not in listed.output
    assert "编码" in listed.output and "上级编码" in listed.output
    assert "A001" in run("registry", "list", "--city", "340100", "--data-dir", data_dir).output
    devices = run("registry", "devices", "--data-dir", data_dir)
    assert MN in devices.output and "Y80110010000010" in devices.output
    assert "密码" not in devices.output

    out = run("registry", "export", tmp_path / "out.xlsx", "--data-dir", data_dir)
    assert "监测对象 3，数采仪 2，排污许可证 0，排放限值 0 written" in out.output
    back = run("registry", "import", tmp_path / "out.xlsx", *ANHUI, "--data-dir", data_dir)
    assert "新增 0（监测对象 0，数采仪 0，许可证 0，排放限值 0） / 修改 0 / 未变 5 / 错误 0" in (
        back.output)


def test_china_is_the_default_region(data_dir, tmp_path) -> None:
    far = [["X1", "乌鲁木齐站", "空气站", "87.6", "43.8", *[""] * 6],
           ["X2", "东京", "空气站", "139.7", "35.7", *[""] * 6]]
    result = run("registry", "import", fill(tmp_path / "far.xlsx", far, []),
                 "--data-dir", data_dir)
    assert "新增 1" in result.output and "X2" not in result.output
    assert "不在区域内（经度 73–136，纬度 3–54）" in result.output


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("MN,因子\n"), "lacks column(s) 对象编码"),
    (lambda p: p.write_bytes(b"\x00\x01"), "not an Excel workbook"),
])
def test_bad_files_give_one_line(data_dir, tmp_path, make, message) -> None:
    name = "bad.csv" if "column" in message else "bad.xlsx"
    make(tmp_path / name)
    result = CliRunner().invoke(app, ["registry", "import", str(tmp_path / name),
                                      "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_region_and_type(data_dir, tmp_path) -> None:
    bad = run("registry", "import", tmp_path / "x.xlsx", "--region-bbox", "1,2",
              "--data-dir", data_dir)
    assert bad.exit_code == 2 and "region box" in bad.output
    wrong = run("registry", "list", "--type", "工厂", "--data-dir", data_dir)
    assert wrong.exit_code == 2 and "空气站" in wrong.output
