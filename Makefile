# The two commands: `make demo` and `make test`. Both create the virtual
# environment on first use (PyPI only) and reuse it afterwards.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml src/ecohub/protocols/hj212/_crc.c
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: demo test lint setup
setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ecohub demo

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
