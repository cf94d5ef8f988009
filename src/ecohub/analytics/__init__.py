"""What is computed over stored data: the assessments of the national publications.

* :mod:`ecohub.analytics.air` — ambient air of the air stations (HJ 633, HJ 663, GB 3095);
* :mod:`ecohub.analytics.water` — surface water of the automatic water stations (GB 3838-2002);
* :mod:`ecohub.analytics.noise` — acoustic environment of the noise stations (GB 3096-2008).
"""
