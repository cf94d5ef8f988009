"""Wire formats, without I/O.

* :mod:`ecohub.protocols.hj212` — the HJ 212-2017 / HJ/T 212-2005 packet codec.
"""
