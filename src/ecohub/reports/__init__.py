"""What people read: tables, workbooks and maps made from results.

* :mod:`ecohub.reports.tables` — any table to Excel, CSV or the terminal; the one Excel writer.
* :mod:`ecohub.reports.quality` — the data-quality score workbook and its Chinese labels.
* :mod:`ecohub.reports.maps` — offline SVG maps (the city AQI map).

Reports compute nothing themselves: the numbers come from :mod:`ecohub.analytics` and
:mod:`ecohub.governance`.
"""
