"""The docstring examples of the HJ 212 codec run as doctests, module by module."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

from ecohub.protocols import hj212

MODULES = ["ecohub.protocols.hj212"] + [
    f"ecohub.protocols.hj212.{info.name}"
    for info in pkgutil.iter_modules(hj212.__path__)
    if not info.name.startswith("_")
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_every_module_has_examples() -> None:
    # errors, tables, times … each shows its use; a module without examples is a gap
    finder = doctest.DocTestFinder()
    for name in MODULES:
        examples = sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
        assert examples, name
