"""Automatic quality control of monitoring time series (QARTOD tests, HJ 212 device flags).

Public API::

    from ecohub.quality import (gross_range, spike, rate_of_change, flat_line,  # QARTOD tests
                                QCFlag, aggregate, valid_for_statistics,         # flag scheme
                                QCConfig, load_config, default_config,           # configuration
                                run_qc, climatology_envelope, completeness, gaps)

In the data path (these need the store and are imported on first use)::

    from ecohub.quality import QualityControl, recheck, review

See :mod:`ecohub.quality.flags` for the flag scheme and its mapping to HJ 212 data flags,
:mod:`ecohub.quality.qartod` for the tests' exact edge rules, :mod:`ecohub.quality.config` for
defaults and their sources, and :mod:`ecohub.quality.checks` for :func:`run_qc`.
"""

from ecohub.quality.checks import TESTS, climatology_envelope, completeness, gaps, run_qc
from ecohub.quality.config import QCConfig, QCConfigError, default_config, load_config
from ecohub.quality.flags import (
    DEVICE_FLAGS,
    QCFlag,
    aggregate,
    device_flag_test,
    valid_for_statistics,
)
from ecohub.quality.qartod import flat_line, gross_range, rate_of_change, spike

# The store-facing parts load the store (SQLAlchemy, DuckDB) only when used.
_LAZY = {"QualityControl": "streaming", "recheck": "rechecks", "review": "reviews"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"ecohub.quality.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ecohub.quality' has no attribute {name!r}")


__all__ = [
    "DEVICE_FLAGS",
    "TESTS",
    "QCConfig",
    "QCConfigError",
    "QCFlag",
    "QualityControl",
    "aggregate",
    "climatology_envelope",
    "completeness",
    "default_config",
    "device_flag_test",
    "flat_line",
    "gaps",
    "gross_range",
    "load_config",
    "rate_of_change",
    "recheck",
    "review",
    "run_qc",
    "spike",
    "valid_for_statistics",
]
