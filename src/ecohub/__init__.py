"""ecohub: an open-source eco-environment data platform."""

__version__ = "0.1.0"
