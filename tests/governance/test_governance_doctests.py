"""The docstring examples of ecohub.governance run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["ecohub.governance", "ecohub.governance.quality_scores"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
