"""The registry kept by people: monitored objects, devices, permits and limits (一源一档).

``ecohub registry template`` writes the workbook to fill in (:func:`write_template`),
``ecohub registry import`` checks each row, registers the new ones and applies the changed ones
with their history (:func:`import_file`), ``ecohub registry export`` writes the registry back
in the same layout (:func:`export_registry`), ``ecohub registry archive`` one enterprise's
archive (:func:`write_archive`). The records and their history live in :mod:`ecohub.store`.
See ``docs/registry.md``.
"""

from __future__ import annotations

from ecohub.registry.archive import archive_frames, history_frame, write_archive
from ecohub.registry.codes import (
    CHINA_BBOX,
    BoundingBox,
    credit_code_check_character,
    credit_code_error,
    division_code_error,
    format_utc_offset,
    parse_utc_offset,
)
from ecohub.registry.importing import (
    ActorRequired,
    ImportPlan,
    ImportReport,
    PlannedUpdate,
    RowProblem,
    import_file,
    plan_import,
    records_outside,
)
from ecohub.registry.layout import (
    DEVICES_SHEET,
    LIMITS_SHEET,
    OBJECTS_SHEET,
    PERMITS_SHEET,
    RegistryFileError,
    devices_frame,
    export_registry,
    limits_frame,
    objects_frame,
    permits_frame,
    read_registry_file,
    write_template,
)

__all__ = [
    "CHINA_BBOX", "DEVICES_SHEET", "LIMITS_SHEET", "OBJECTS_SHEET", "PERMITS_SHEET",
    "ActorRequired", "BoundingBox", "ImportPlan", "ImportReport", "PlannedUpdate",
    "RegistryFileError", "RowProblem", "archive_frames", "credit_code_check_character",
    "credit_code_error", "devices_frame", "division_code_error", "export_registry",
    "format_utc_offset", "history_frame", "import_file", "limits_frame", "objects_frame",
    "parse_utc_offset", "permits_frame", "plan_import", "read_registry_file", "records_outside",
    "write_archive", "write_template",
]
