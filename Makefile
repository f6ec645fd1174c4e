# Campus–City Booking: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app booking
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in emails, .ics files, feeds and QR codes point at the server `make run` starts, unless set.
BASE_URL ?= http://$(HOST):$(PORT)
TRANSLATIONS := booking/translations

.PHONY: run test lint format install translations extract-messages update-messages bench bench-quick e2e clean vendor-js vendor-leaflet

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -d $(TRANSLATIONS)

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -o $(TRANSLATIONS)/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel update -N -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

run: translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	BASE_URL=$(BASE_URL) $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Real-browser journeys (Playwright driving /usr/bin/chromium against a live gunicorn); `make test` runs them too.
e2e: translations
	$(BIN)/python -m pytest tests/e2e -m e2e -q

# Leaflet is vendored into static/vendor/leaflet (served locally, never from a CDN); this refreshes it from
# the npm registry's package at the pinned version.
LEAFLET_VERSION := 1.9.4
vendor-leaflet:
	rm -rf .leaflet-pack && mkdir .leaflet-pack
	cd .leaflet-pack && npm pack --silent leaflet@$(LEAFLET_VERSION) && tar xzf leaflet-$(LEAFLET_VERSION).tgz
	mkdir -p static/vendor/leaflet/images
	cp .leaflet-pack/package/dist/leaflet.js .leaflet-pack/package/dist/leaflet.css .leaflet-pack/package/LICENSE static/vendor/leaflet/
	cp .leaflet-pack/package/dist/images/*.png static/vendor/leaflet/images/
	rm -rf .leaflet-pack

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: translations
	$(BIN)/python -c 'import httpx' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py
	if [ -f bench/bench_calendar.py ]; then $(BIN)/python bench/bench_calendar.py; fi
	$(BIN)/python bench/bench_reports.py

bench-quick: translations
	$(BIN)/python -c 'import httpx' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test,bench]'
	BENCH_SCALE=quick $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Chart.js for the reports, from npm, served from static/ (the app works offline; the CSP allows no CDN).
vendor-js:
	npm install --no-audit --no-fund
	mkdir -p static/vendor/chart.js
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md static/vendor/chart.js/
