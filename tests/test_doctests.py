"""Every docstring example in ecohub runs and gives what it shows.

The standards and the HJ 212 codec are read by people checking a number against the standard's
text, so each of their public modules shows its use in at least one example.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ecohub

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(ecohub.__path__, "ecohub.")
    if ".migrations" not in info.name
)
MUST_SHOW_USE = ("ecohub.standards.", "ecohub.protocols.hj212.")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


@pytest.mark.parametrize("name", [m for m in MODULES if m.startswith(MUST_SHOW_USE)
                                  and not m.rsplit(".", 1)[1].startswith("_")])
def test_standards_and_codec_modules_show_their_use(name: str) -> None:
    finder = doctest.DocTestFinder()
    assert any(t.examples for t in finder.find(importlib.import_module(name))), name
