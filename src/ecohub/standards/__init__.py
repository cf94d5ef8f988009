"""The national standards as pure functions and tables, no I/O.

One module per source: :mod:`.aqi` (HJ 633), :mod:`.gb3095` (ambient air limits and validity),
:mod:`.air_stats` (HJ 663 statistics), :mod:`.gb3838` (surface-water classes),
:mod:`.water_assessment` (the 2011 surface-water assessment method), :mod:`.trophic` (TLI of
lakes), :mod:`.noise` (GB 3096). Of ecohub only :mod:`ecohub.vocabulary` is imported. Sources
and the ✔ ◐ ⚑ marks: ``docs/reference/standards.md``.
"""
