"""The chief-data-officer view: how well each department, object and factor supplies its data.

* :mod:`ecohub.governance.quality_scores` — completeness, timeliness, validity and consistency
  of the stored period data, and the combined score (:func:`quality_scores`).

The workbook people read is written by :mod:`ecohub.reports.quality`.
"""
