"""The examples in the standards modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ecohub.standards

# Every module of the package with examples; a module listed here that loses them fails below.
WITH_EXAMPLES = (
    "_rounding", "air_stats", "aqi", "gb3095", "gb3838", "noise", "trophic", "water_assessment",
)


def test_every_module_with_examples_is_listed() -> None:
    names = {m.name for m in pkgutil.iter_modules(ecohub.standards.__path__)}
    assert set(WITH_EXAMPLES) <= names
    finder = doctest.DocTestFinder()
    for name in names - set(WITH_EXAMPLES):
        module = importlib.import_module(f"ecohub.standards.{name}")
        assert not any(t.examples for t in finder.find(module)), f"list {name} in WITH_EXAMPLES"


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"ecohub.standards.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name}: no docstring examples"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
