"""Registry files: template → fill → import → export, and every rule of a row."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from ecohub.region import anhui_region, register
from ecohub.registry import (
    DEVICES_SHEET,
    LIMITS_SHEET,
    OBJECTS_SHEET,
    PERMITS_SHEET,
    ActorRequired,
    BoundingBox,
    RegistryFileError,
    credit_code_check_character,
    export_registry,
    import_file,
    read_registry_file,
    write_template,
)
from ecohub.registry.layout import (
    DEVICE_COLUMNS,
    LIMIT_COLUMNS,
    OBJECT_COLUMNS,
    PERMIT_COLUMNS,
)
from ecohub.store import ObjectSpec, Store

ANHUI = BoundingBox.parse("114.8,29.3,119.7,34.7")
CREDIT = "91340100MA2N0X1B0" + credit_code_check_character("91340100MA2N0X1B0")
MN = "340100000001000000000000"

OBJECTS = [
    ["A001", "合肥市监测站", "空气站", "117.23", "31.82", "合肥市", "340100", "蜀山区",
     "合肥市生态环境局", "", ""],
    ["S001", "合肥热电厂", "污染源", "117.3", "31.85", "合肥市", "340100", "", "", "", CREDIT],
    ["S001-1", "合肥热电厂 1# 烟囱", "排放口", "117.3", "31.85", "合肥市", "340100", "", "",
     "S001", ""],
]
DEVICES = [
    [MN, "A001", "123456", "a34004,a34002", "2017", "10"],
    ["Y80110010000010", "S001-1", "654321", "a21026，a21002", "2005", "5"],
]


def fill(path: Path, objects: list[list[str]], devices: list[list[str]]) -> Path:
    """Fill the template as a person does in Excel."""
    write_template(path)
    book = openpyxl.load_workbook(path)
    for name, rows in ((OBJECTS_SHEET, objects), (DEVICES_SHEET, devices)):
        for row in rows:
            book[name].append(row)
    book.save(path)
    return path


def rows_of(path: Path, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def test_template_has_the_layout(tmp_path) -> None:
    write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == [
        OBJECTS_SHEET, DEVICES_SHEET, PERMITS_SHEET, LIMITS_SHEET, "填写说明"]
    sheet = book[OBJECTS_SHEET]
    assert [c.value for c in sheet[1]] == list(OBJECT_COLUMNS)
    assert [c.value for c in book[DEVICES_SHEET][1]] == list(DEVICE_COLUMNS)
    assert [c.value for c in book[PERMITS_SHEET][1]] == list(PERMIT_COLUMNS)
    assert [c.value for c in book[LIMITS_SHEET][1]] == list(LIMIT_COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert "空气站" in "".join(str(c.value) for c in book["填写说明"]["A"])


def test_fill_import_export_round_trip(store: Store, tmp_path) -> None:
    file = fill(tmp_path / "in.xlsx", OBJECTS, DEVICES)
    report = import_file(store.registry, file, region=ANHUI)
    assert (report.added_objects, report.added_devices, report.unchanged, report.errors) == (
        3, 2, 0, 0)
    objects = {o.code: o for o in store.registry.objects()}
    assert objects["S001-1"].parent_id == objects["S001"].id
    assert objects["S001"].attributes == {"credit_code": CREDIT}
    assert objects["A001"].longitude == 117.23 and objects["A001"].city_code == "340100"
    devices = store.registry.devices()
    assert devices[MN].factors == ("a34004", "a34002") and devices[MN].verify_password("123456")
    assert devices["Y80110010000010"].protocol == "2005"
    assert devices["Y80110010000010"].minute_interval == 5

    out = tmp_path / "out.xlsx"
    assert export_registry(store.registry, out) == {
        OBJECTS_SHEET: 3, DEVICES_SHEET: 2, PERMITS_SHEET: 0, LIMITS_SHEET: 0}
    assert [list(r) for r in rows_of(out, OBJECTS_SHEET)[1:]] == [
        [c or None for c in row] for row in OBJECTS]
    again = import_file(store.registry, out, region=ANHUI)
    assert (again.added, again.unchanged, again.errors) == (0, 5, 0)
    assert len(store.registry.objects()) == 3


def test_importing_twice_changes_nothing(store: Store, tmp_path) -> None:
    file = fill(tmp_path / "in.xlsx", OBJECTS, DEVICES)
    import_file(store.registry, file, region=ANHUI)
    before = (store.registry.objects(), store.registry.devices())
    report = import_file(store.registry, file, region=ANHUI)
    assert (report.added, report.unchanged, report.errors) == (0, 5, 0)
    assert (store.registry.objects(), store.registry.devices()) == before


def test_dry_run_writes_nothing(store: Store, tmp_path) -> None:
    file = fill(tmp_path / "in.xlsx", OBJECTS, [*DEVICES, ["", "A001", "", "", "", ""]])
    report = import_file(store.registry, file, region=ANHUI, dry_run=True)
    assert (report.added_objects, report.added_devices, report.errors) == (3, 2, 1)
    assert report.dry_run and report.errors_file is None
    assert store.registry.objects() == [] and store.registry.devices() == {}
    assert sorted(p.name for p in tmp_path.glob("*.xlsx*")) == ["in.xlsx"]


def test_demo_region_exports_and_imports_as_a_no_op(store: Store, tmp_path) -> None:
    register(store, anhui_region(air_per_city=1, water_per_city=1, sources_per_city=1,
                                 noise_per_city=1))
    out = tmp_path / "registry.xlsx"
    written = export_registry(store.registry, out)
    report = import_file(store.registry, out, region=ANHUI)
    assert (report.added, report.updated, report.errors) == (0, 0, 0)
    assert report.unchanged == sum(written.values())


BAD_OBJECTS = [
    ["", "无编码", "空气站", "", "", "", "", "", "", "", ""],                          # 3
    ["B002", "", "工厂", "", "", "", "", "", "", "", ""],                              # 4
    ["B003", "上海站", "空气站", "121.47", "31.23", "", "", "", "", "", ""],           # 5
    ["B004", "经度错", "空气站", "东经117", "31.8", "", "", "", "", "", ""],           # 6
    ["B005", "只有经度", "空气站", "117.2", "", "", "", "", "", "", ""],               # 7
    ["B006", "代码错", "空气站", "", "", "", "990100", "", "", "", ""],                # 8
    ["B007", "代码短", "空气站", "", "", "", "34010", "", "", "", ""],                 # 9
    ["B008", "信用代码错", "污染源", "", "", "", "", "", "", "", CREDIT[:-1] + "X"
     if CREDIT[-1] != "X" else CREDIT[:-1] + "Y"],                                     # 10
    ["B009", "无上级排放口", "排放口", "", "", "", "", "", "", "", ""],                # 11
    ["B010", "上级不存在", "排放口", "", "", "", "", "", "", "NOPE", ""],              # 12
    ["B011", "上级是站", "排放口", "", "", "", "", "", "", "G001", ""],                # 13
    ["G001", "好站", "空气站", "117.0", "32.0", "", "340100", "", "", "", ""],         # 14
    ["G001", "好站", "空气站", "117.0", "32.0", "", "340100", "", "", "", ""],         # 15
    ["G001", "另一个好站", "空气站", "117.0", "32.0", "", "", "", "", "", ""],         # 16
    ["B012", "上级有错", "排放口", "", "", "", "", "", "", "B008", ""],                # 17
    ["G002", "好排放口", "排放口", "", "", "", "", "", "", "G003", ""],                # 18
    ["G003", "后面的污染源", "污染源", "", "", "", "", "", "", "", ""],                # 19
]
BAD_DEVICES = [
    ["M1", "G001", "pw", "a34004", "", ""],                   # 2 good
    ["M1", "G001", "pw", "a34004", "", ""],                   # 3 duplicate row
    ["M2", "G001", "pw", "x99999,a34004", "", ""],            # 4 unknown factor
    ["M3", "NOPE", "pw", "a34004", "", ""],                   # 5 unknown object
    ["M4", "B002", "pw", "a34004", "", ""],                   # 6 object row has errors
    ["M5", "G001", "", "a34004", "", ""],                     # 7 new device without password
    ["M6", "G001", "pw", "a34004", "2020", "7"],              # 8 protocol, interval
    ["", "", "pw", "", "", ""],                               # 9 required
    ["R1", "G001", "pw", "a34004", "", ""],                   # 10 MN registered, differs
    ["M7", "G002", "pw", "w01018", "", ""],                   # 11 good, at a new outlet
    ["X" * 65, "G001", "pw", "a34004", "", ""],               # 12 MN too long
]


def test_every_rule_on_a_mixed_file(store: Store, tmp_path) -> None:
    (registered,) = store.registry.add_objects(
        [ObjectSpec("R001", "已登记站", "air_station", 117.0, 31.0)])
    store.registry.add_device("R1", registered, "secret", ["a34004"])
    file = fill(tmp_path / "mixed.xlsx",
                [["R001", "已登记站", "空气站", "117.0", "31.0", "", "", "", "", "", ""],  # 2
                 *BAD_OBJECTS], BAD_DEVICES)
    errors = tmp_path / "errors.xlsx"
    with pytest.raises(ActorRequired, match="1 row"):  # R1's new password changes R1
        import_file(store.registry, file, region=ANHUI, errors_path=errors)
    assert {o.code for o in store.registry.objects()} == {"R001"} and not errors.exists()
    report = import_file(store.registry, file, region=ANHUI, errors_path=errors, actor="张工")
    why = {(p.sheet, p.row): p.reason for p in report.problems}
    objects = {row: why.get((OBJECTS_SHEET, row), "") for row in range(2, 20)}
    assert objects[2] == ""  # registered and equal: unchanged
    assert "编码：必填" in objects[3]
    assert "名称：必填" in objects[4] and "类型：'工厂' 不是已知类型" in objects[4]
    assert "不在区域内" in objects[5]
    assert "经度：'东经117' 不是数字" in objects[6]
    assert "须同时填写" in objects[7]
    assert "行政区划代码：'990100' 省级代码 99" in objects[8]
    assert "应为 6 位数字" in objects[9]
    assert "统一社会信用代码" in objects[10] and "校验码应为" in objects[10]
    assert "排放口须填写所属污染源的编码" in objects[11]
    assert "上级编码：NOPE 未登记" in objects[12]
    assert "是空气站，应为污染源" in objects[13]
    assert objects[14] == ""
    assert objects[15] == "编码：与第 14 行重复"
    assert objects[16] == "编码：与第 14 行重复，内容不同"
    assert "上级编码：B008 本文件中该行有错误" in objects[17]
    assert objects[18] == objects[19] == ""
    devices = {row: why.get((DEVICES_SHEET, row), "") for row in range(2, 13)}
    assert devices[2] == devices[11] == ""
    assert devices[3] == "MN：与第 2 行重复"
    assert "因子：x99999 不是 HJ 212-2017 附录 B 的因子编码" in devices[4]
    assert "对象编码：NOPE 未登记" in devices[5] and "对象编码：B002" in devices[6]
    assert "密码：新登记的数采仪必填" in devices[7]
    assert "协议版本：'2020'" in devices[8] and "分钟数据间隔：'7'" in devices[8]
    assert "MN：必填" in devices[9] and "对象编码：必填" in devices[9]
    assert devices[10] == ""  # registered: it moves to G001, its password changes
    (update,) = report.updates
    assert (update.entity, update.key, update.row, update.summary) == (
        "device", "R1", 10, "对象编码：R001 → G001；密码：*** → ***")
    assert store.registry.devices()["R1"].verify_password("pw")
    assert store.registry.devices()["R1"].object_code == "G001"
    assert (report.added_objects, report.added_devices, report.unchanged) == (3, 2, 1)
    assert {o.code for o in store.registry.objects()} == {"R001", "G001", "G002", "G003"}
    assert set(store.registry.devices()) == {"R1", "M1", "M7"}

    # the error workbook: same columns + 错误原因, fix it and import it again
    book = openpyxl.load_workbook(errors)
    header = [c.value for c in book[OBJECTS_SHEET][1]]
    assert header == [*OBJECT_COLUMNS, "错误原因"]
    assert book[OBJECTS_SHEET].max_row - 1 == len([r for r in objects.values() if r])
    sheet = book[DEVICES_SHEET]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "M5":
            row[2].value = "fixed"
    book.save(errors)
    retry = import_file(store.registry, errors, region=ANHUI)
    assert retry.added_devices == 1 and "M5" in store.registry.devices()


def test_a_changed_row_is_an_update_with_history(store: Store, tmp_path) -> None:
    import_file(store.registry, fill(tmp_path / "a.xlsx", OBJECTS, DEVICES), region=ANHUI)
    changed = fill(tmp_path / "b.xlsx", [["A001", "合肥市监测站（新）", *OBJECTS[0][2:]]],
                   [[MN, "A001", "", "a34004", "2017", "10", "modbus", "crc.modbus", "UTC"]])
    version = store.registry.version()

    dry = import_file(store.registry, changed, region=ANHUI, dry_run=True)
    assert [(u.key, u.summary) for u in dry.updates] == [
        ("A001", "名称：合肥市监测站 → 合肥市监测站（新）"),
        (MN, "因子：a34004,a34002 → a34004；协议配置：default → modbus；"
             "接受偏差：（空） → crc.modbus；时区：UTC+8 → UTC"),
    ]
    assert store.registry.version() == version  # a dry run writes nothing
    assert store.registry.objects()[0].name == "合肥市监测站"

    with pytest.raises(ActorRequired):
        import_file(store.registry, changed, region=ANHUI)
    assert store.registry.version() == version
    report = import_file(store.registry, changed, region=ANHUI, actor="张工", reason="站名变更")
    assert (report.updated, report.added, report.unchanged, report.errors) == (2, 0, 0, 0)
    assert store.registry.objects()[0].name == "合肥市监测站（新）"
    device = store.registry.devices()[MN]
    assert (device.factors, device.profile, device.accept, device.utc_offset_minutes) == (
        ("a34004",), "modbus", ("crc.modbus",), 0)
    (change, _) = store.registry.history("object", "A001")
    assert (change.action, change.actor, change.reason) == ("update", "张工", "站名变更")
    assert change.changes == {"name": ("合肥市监测站", "合肥市监测站（新）")}
    assert store.registry.history("device", MN)[0].changes["profile"] == ("default", "modbus")

    again = import_file(store.registry, changed, region=ANHUI)  # no --by needed: no change
    assert (again.updated, again.unchanged) == (0, 2)
    assert store.registry.version() == version + 2


def test_empty_optional_device_cells_keep_the_registered_values(store: Store, tmp_path) -> None:
    import_file(store.registry, fill(tmp_path / "a.xlsx", OBJECTS, DEVICES), region=ANHUI)
    # 协议版本 2005 and 5 minutes registered; the row leaves them (and the new columns) empty
    row = ["Y80110010000010", "S001-1", "", "a21026,a21002", "", "", "", "", ""]
    report = import_file(store.registry, fill(tmp_path / "b.xlsx", [], [row]), region=ANHUI)
    assert (report.updated, report.unchanged) == (0, 1)


def test_retired_records_are_not_registered_again(store: Store, tmp_path) -> None:
    import_file(store.registry, fill(tmp_path / "a.xlsx", OBJECTS, DEVICES), region=ANHUI)
    store.registry.retire("object", "A001", actor="张工", cascade=True)
    report = import_file(store.registry, fill(tmp_path / "a.xlsx", OBJECTS, DEVICES),
                         region=ANHUI)
    why = {p.row: p.reason for p in report.problems}
    assert "编码：A001 已停用" in why[2] and f"MN：{MN} 已停用" in why[2]
    assert "对象编码：A001 已停用" in why[2]
    assert report.added == 0 and report.unchanged == 3


PERMITS = [
    ["91340100MA2N0X1B0X001P", "S001", "合肥市生态环境局", "2025-01-01", "2029-12-31"],
    ["P-BAD-1", "A001", "", "", ""],                                   # 3 not a source
    ["P-BAD-2", "NOPE", "", "2025-13-01", ""],                         # 4 unknown, bad date
    ["P-BAD-3", "S001", "", "2026-01-02", "2026-01-01"],               # 5 ends before start
    ["", "", "", "", ""],                                              # blank
    ["91340100MA2N0X1B0X001P", "S001", "", "", ""],                    # 7 repeated
]
LIMITS = [
    ["S001-1", "a21026", "ZsAvg", "35", "mg/m³", "GB 13223-2011", "91340100MA2N0X1B0X001P"],
    ["S001-1", "a21002", "", "50", "mg/m³", "", ""],                   # 3 good, statistic Avg
    ["S001-1", "a21026", "Max", "35", "mg/m³", "", ""],                # 4 statistic
    ["S001-1", "x99999", "Avg", "-1", "", "", ""],                     # 5 factor, value, unit
    ["A001", "a34004", "Avg", "75", "µg/m³", "", ""],                  # 6 not an outlet
    ["S001-1", "a21003", "Avg", "100", "mg/m³", "", "P-BAD-1"],        # 7 permit with errors
    ["S001-1", "a21026", "ZsAvg", "30", "mg/m³", "", ""],              # 8 repeated
]


def fill_all(path: Path, permits: list[list[str]], limits: list[list[str]]) -> Path:
    fill(path, OBJECTS, DEVICES)
    book = openpyxl.load_workbook(path)
    for name, rows in ((PERMITS_SHEET, permits), (LIMITS_SHEET, limits)):
        for row in rows:
            book[name].append(row)
    book.save(path)
    return path


def test_permits_and_limits_sheets(store: Store, tmp_path) -> None:
    file = fill_all(tmp_path / "all.xlsx", PERMITS, LIMITS)
    report = import_file(store.registry, file, region=ANHUI, errors_path=tmp_path / "e.xlsx")
    assert (report.added_permits, report.added_limits) == (1, 2)
    why = {(p.sheet, p.row): p.reason for p in report.problems}
    assert "企业编码：A001 是空气站，应为污染源" in why[(PERMITS_SHEET, 3)]
    assert "企业编码：NOPE 未登记" in why[(PERMITS_SHEET, 4)]
    assert "有效期起：'2025-13-01' 应为日期 YYYY-MM-DD" in why[(PERMITS_SHEET, 4)]
    assert "有效期止：2026-01-01 早于有效期起 2026-01-02" in why[(PERMITS_SHEET, 5)]
    assert why[(PERMITS_SHEET, 7)] == "许可证编号：与第 2 行重复，内容不同"
    assert "统计量：'Max' 应为 Avg（实测）或 ZsAvg（折算）" in why[(LIMITS_SHEET, 4)]
    assert "因子：x99999" in why[(LIMITS_SHEET, 5)]
    assert "限值：-1 应大于 0" in why[(LIMITS_SHEET, 5)]
    assert "单位：必填" in why[(LIMITS_SHEET, 5)]
    assert "排放口编码：A001 是空气站，应为排放口" in why[(LIMITS_SHEET, 6)]
    assert "许可证编号：P-BAD-1 未登记" in why[(LIMITS_SHEET, 7)]
    assert why[(LIMITS_SHEET, 8)] == "排放口编码、因子、统计量：与第 2 行重复，内容不同"
    assert [p.number for p in store.registry.permits()] == ["91340100MA2N0X1B0X001P"]
    assert [(lim.key, lim.value, lim.permit_number) for lim in store.registry.limits()] == [
        ("S001-1/a21026/ZsAvg", 35.0, "91340100MA2N0X1B0X001P"),
        ("S001-1/a21002/Avg", 50.0, None)]
    errors = openpyxl.load_workbook(tmp_path / "e.xlsx")
    assert [c.value for c in errors[LIMITS_SHEET][1]] == [*LIMIT_COLUMNS, "错误原因"]
    assert errors[PERMITS_SHEET].max_row == 5

    # export → import is a no-op, the permit's dates included; a changed limit is an update
    out = tmp_path / "out.xlsx"
    assert export_registry(store.registry, out)[LIMITS_SHEET] == 2
    assert rows_of(out, PERMITS_SHEET)[1] == tuple(PERMITS[0])
    again = import_file(store.registry, out, region=ANHUI)
    assert (again.added, again.updated, again.unchanged, again.errors) == (0, 0, 8, 0)
    book = openpyxl.load_workbook(out)
    book[LIMITS_SHEET]["D2"] = "30"
    book.save(out)
    changed = import_file(store.registry, out, region=ANHUI, actor="张工")
    assert [u.summary for u in changed.updates] == ["限值：35 → 30"]
    assert store.registry.history("limit", "S001-1/a21026/ZsAvg")[0].changes == {
        "value": (35.0, 30.0)}


def test_bad_device_columns(store: Store, tmp_path) -> None:
    rows = [["M1", "A001", "pw", "a34004", "", "", "lenient", "crc.nope", "UTC+20"]]
    report = import_file(store.registry, fill(tmp_path / "d.xlsx", OBJECTS, rows), region=ANHUI)
    (problem,) = report.problems
    assert "协议配置：'lenient' 应为 standard、default、modbus" in problem.reason
    assert "接受偏差：crc.nope 不是已知的偏差类型" in problem.reason
    assert "时区：'UTC+20' 不在 UTC-12 至 UTC+14 之间" in problem.reason


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_import(store: Store, tmp_path, encoding: str) -> None:
    objects = tmp_path / "objects.csv"
    objects.write_text(",".join(OBJECT_COLUMNS) + "\n" + "\n".join(
        ",".join(row) for row in OBJECTS) + "\n", encoding=encoding)
    devices = tmp_path / "devices.csv"
    devices.write_text(",".join(DEVICE_COLUMNS) + "\n" + "\n".join(
        ",".join(f'"{c}"' for c in row) for row in DEVICES) + "\n", encoding=encoding)
    assert import_file(store.registry, objects, region=ANHUI).added_objects == 3
    report = import_file(store.registry, devices, region=ANHUI)
    assert (report.added_devices, report.errors) == (2, 0)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.xlsx", None, "no such file"),
    ("notes.txt", b"x", "expected .xlsx or .csv"),
    ("broken.xlsx", b"not a zip", "not an Excel workbook"),
    ("other.csv", b"a,b\n1,2\n", "names no objects"),
    ("short.csv", "编码,名称\nA,B\n".encode(), "lacks column(s) 类型"),
])
def test_unreadable_files(tmp_path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RegistryFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_registry_file(path)


def test_workbook_without_record_sheets(tmp_path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.save(tmp_path / "wrong.xlsx")
    with pytest.raises(RegistryFileError, match="no sheet 监测对象, 数采仪, 排污许可证, 排放限值"):
        read_registry_file(tmp_path / "wrong.xlsx")


def test_records_outside_names_what_another_department_owns(tmp_path):
    from ecohub.registry import plan_import, read_registry_file, records_outside
    from ecohub.store import ObjectSpec, open_store

    with open_store(data_dir=tmp_path / "data", migrate=True) as store:
        store.registry.add_objects([ObjectSpec("S1", "站一", "air_station", department="大气处")])
        csv = tmp_path / "objects.csv"
        csv.write_text("编码,名称,类型,所属部门\nA1,新站,空气站,大气处\nW1,水站,水质站,水处\n",
                       encoding="utf-8")
        plan = plan_import(store.registry, read_registry_file(csv))
        assert records_outside(plan, store.registry, lambda d: d == "大气处") == ["object W1"]
        assert records_outside(plan, store.registry, lambda d: True) == []
