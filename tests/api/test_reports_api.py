"""The bulletins over HTTP: public downloads named in Chinese, problems naming the parameter."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote

import openpyxl
import pyarrow as pa

from ecohub.store import READING_SCHEMA

from .conftest import DAY, Service

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The six pollutants for a day at both air stations of populate(): a complete daily report.
SIX = {"a21026": 10.0, "a21004": 20.0, "a21005": 0.6, "a05024": 80.0, "a34002": 60.0}


def _six_pollutants(service: Service) -> None:
    stations = [o for o in service.store.registry.objects("air_station")]
    rows = [{"mn": f"MN-{i}", "object_id": o.id, "factor": code, "kind": "hour",
             "period_start": DAY + dt.timedelta(hours=h), "period_s": 3600, "statistic": "Avg",
             "value": value, "device_flag": "N", "received_at": DAY + dt.timedelta(hours=h + 1),
             "packet_id": None}
            for i, o in enumerate(stations) for code, value in SIX.items() for h in range(24)]
    service.store.measurements.write(pa.Table.from_pylist(rows, schema=READING_SCHEMA))


def _filename(response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=\"air-")  # an ASCII fallback first
    return unquote(disposition.split("filename*=UTF-8''")[1])


def test_daily_bulletin_is_public_as_pdf_and_xlsx(service: Service) -> None:
    _six_pollutants(service)
    with service.client() as anonymous:
        pdf = anonymous.get("/api/v1/reports/air-daily", params={"day": "2026-12-01"})
        book = anonymous.get("/api/v1/reports/air-daily",
                             params={"day": "2026-12-01", "format": "xlsx"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert _filename(pdf) == "安徽省城市环境空气质量日报_2026-12-01.pdf"
    assert book.status_code == 200 and book.headers["content-type"] == XLSX
    assert _filename(book) == "安徽省城市环境空气质量日报_2026-12-01.xlsx"
    rows = list(openpyxl.load_workbook(io.BytesIO(book.content))["日报"].values)
    assert "GB 3095-2026（过渡阶段）" in rows[0][0]
    assert rows[1][:3] == ("排名", "城市", "AQI") and "PM2.5 (µg/m³)" in rows[1]
    assert {r[1] for r in rows[2:]} == {"合肥市", "芜湖市"}
    assert all(isinstance(r[2], int) for r in rows[2:])  # six pollutants: a published AQI


def test_monthly_bulletin_and_the_2012_edition(service: Service) -> None:
    with service.client() as anonymous:
        monthly = anonymous.get("/api/v1/reports/air-monthly",
                                params={"month": "2026-12", "format": "xlsx", "edition": "2012"})
    assert monthly.status_code == 200, monthly.text
    assert _filename(monthly) == "安徽省城市环境空气质量月报_2026-12.xlsx"
    first = list(openpyxl.load_workbook(io.BytesIO(monthly.content))["城市排名"].values)[0][0]
    assert "GB 3095-2012、HJ 633-2012、HJ 663-2013" in first


def test_bad_days_months_and_options_are_problems_naming_the_parameter(service: Service) -> None:
    with service.client() as anonymous:
        cases = {
            "day": anonymous.get("/api/v1/reports/air-daily", params={"day": "2026-13-01"}),
            "month": anonymous.get("/api/v1/reports/air-monthly", params={"month": "2026-13"}),
            "stage": anonymous.get("/api/v1/reports/air-daily",
                                   params={"day": "2026-12-01", "stage": "final"}),
            "format": anonymous.get("/api/v1/reports/air-daily",
                                    params={"day": "2026-12-01", "format": "docx"}),
        }
        missing = anonymous.get("/api/v1/reports/air-daily", params={"day": "2026-11-01"})
    for parameter, response in cases.items():
        assert response.status_code == 422, (parameter, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["parameter"] for e in response.json()["errors"]] == [parameter]
    assert "2026-13" in cases["month"].json()["detail"]
    assert missing.status_code == 404
    problem = missing.json()
    assert "no air data for 2026-11-01" in problem["detail"]
    assert problem["errors"][0]["parameter"] == "day"
