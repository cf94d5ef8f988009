"""The registry kept by people: monitored objects and devices from Excel/CSV files and back.

``ecohub registry template`` writes the workbook to fill in (:func:`write_template`),
``ecohub registry import`` checks each row and registers the good ones (:func:`import_file`),
``ecohub registry export`` writes the registry back in the same layout
(:func:`export_registry`). The records themselves live in :mod:`ecohub.store`.
See ``docs/registry.md``.
"""

from __future__ import annotations

from ecohub.registry.codes import (
    CHINA_BBOX,
    BoundingBox,
    credit_code_check_character,
    credit_code_error,
    division_code_error,
)
from ecohub.registry.importing import (
    ImportPlan,
    ImportReport,
    RowProblem,
    import_file,
    plan_import,
)
from ecohub.registry.layout import (
    DEVICES_SHEET,
    OBJECTS_SHEET,
    RegistryFileError,
    devices_frame,
    export_registry,
    objects_frame,
    read_registry_file,
    write_template,
)

__all__ = [
    "CHINA_BBOX", "DEVICES_SHEET", "OBJECTS_SHEET", "BoundingBox", "ImportPlan", "ImportReport",
    "RegistryFileError", "RowProblem", "credit_code_check_character", "credit_code_error",
    "devices_frame", "division_code_error", "export_registry", "import_file", "objects_frame",
    "plan_import", "read_registry_file", "write_template",
]
