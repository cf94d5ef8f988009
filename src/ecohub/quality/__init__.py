"""Automatic quality control of monitoring time series (QARTOD tests, HJ 212 device flags).

Public API::

    from ecohub.quality import (gross_range, spike, rate_of_change, flat_line,  # QARTOD tests
                                QCFlag, aggregate, valid_for_statistics,         # flag scheme
                                QCConfig, load_config, default_config,           # configuration
                                run_qc, climatology_envelope, completeness, gaps)

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

__all__ = [
    "DEVICE_FLAGS",
    "TESTS",
    "QCConfig",
    "QCConfigError",
    "QCFlag",
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
    "run_qc",
    "spike",
    "valid_for_statistics",
]
