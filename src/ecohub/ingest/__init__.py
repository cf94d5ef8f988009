"""The ways data arrives.

* :mod:`ecohub.ingest.hj212_server` — the HJ 212 TCP gateway the data loggers connect to;
* :mod:`ecohub.ingest.journal` — its write-ahead journal, on disk before a logger is answered;
* :mod:`ecohub.ingest.store_writer` — journaled batches applied to the stores in the background;
* :mod:`ecohub.ingest.simulate` — seeded, reproducible data loggers that talk to the gateway.
"""
