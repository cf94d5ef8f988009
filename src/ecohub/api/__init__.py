"""The HTTP service (FastAPI).

``/api/v1`` for programs and the web app; ``/healthz``, ``/readyz`` and ``/metrics`` for
operations. See :func:`create_app` and ``docs/api.md``.
"""

from ecohub.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
