"""The docstring examples of ecohub.reports run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["ecohub.reports", "ecohub.reports.maps", "ecohub.reports.quality",
           "ecohub.reports.tables"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
