# The two commands: `make demo` and `make test`. Both set up on first use and reuse it after:
# the virtual environment (PyPI), the web app's libraries (npm, copied into the package's
# static files: no CDN at run time), and the system's Chromium and CJK fonts (Debian) for the
# browser tests and the PDF bulletins.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
VENDOR := src/ecohub/web/static/vendor
WEB_STAMP := $(VENDOR)/.installed
SYSTEM_STAMP := $(VENV)/.system

$(STAMP): pyproject.toml src/ecohub/protocols/hj212/_crc.c
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(WEB_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/echarts/dist/echarts.min.js \
	   node_modules/maplibre-gl/dist/maplibre-gl.mjs \
	   node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs \
	   node_modules/maplibre-gl/dist/maplibre-gl-shared.mjs \
	   node_modules/maplibre-gl/dist/maplibre-gl.css \
	   node_modules/pmtiles/dist/pmtiles.js $(VENDOR)/
	touch $(WEB_STAMP)

# Debian's Chromium (Playwright drives it; no browser download), Noto CJK (the PDFs and pages),
# poppler-utils (the bulletin tests read the PDFs back with pdftotext) and wrk (bench/api.py's
# HTTP clients)
$(SYSTEM_STAMP): $(STAMP)
	command -v chromium >/dev/null && command -v pdftotext >/dev/null && \
	  command -v wrk >/dev/null && fc-list :lang=zh | grep -q . || (apt-get update -qq && \
	  apt-get install -y -qq chromium fonts-noto-cjk poppler-utils wrk >/dev/null)
	touch $(SYSTEM_STAMP)

.PHONY: demo test lint setup
setup: $(STAMP) $(WEB_STAMP) $(SYSTEM_STAMP)

demo: setup
	$(VENV)/bin/ecohub demo

test: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
