# Campus–City Booking: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app booking.app
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in emails, .ics files, feeds and QR codes point at the server `make run` starts, unless set.
BASE_URL ?= http://$(HOST):$(PORT)
TRANSLATIONS := booking/translations

.PHONY: run test lint format install translations extract-messages update-messages bench bench-quick e2e clean vendor-js api-fuzz

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

# In parallel, one pytest-xdist worker per core; tests that must run alone together form groups
# (tests/conftest.py: loadgroup keeps each group on one worker).
PYTEST_WORKERS ?= auto
test: translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Real-browser journeys (Playwright driving /usr/bin/chromium against a live gunicorn); `make test` runs them too.
e2e: translations
	$(BIN)/python -m pytest tests/e2e -m e2e -q

# Schemathesis over every API operation for a long while (the normal run tries a few examples of each).
API_FUZZ_EXAMPLES ?= 500
api-fuzz: translations
	API_FUZZ_EXAMPLES=$(API_FUZZ_EXAMPLES) API_FUZZ_RANDOM=1 $(BIN)/python -m pytest tests/api/test_api_schemathesis.py -q $(PYTEST_ARGS)

# Style (ruff), the layer contracts (import-linter, pyproject.toml) and types (mypy, pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# BENCH_PROFILE=1 make bench (or bench-quick): a py-spy profile of the server per scenario in bench-results/profiles/.
bench: translations
	$(BIN)/python -c 'import httpx' 2>/dev/null && [ -x $(BIN)/py-spy ] || $(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py
	if [ -f bench/bench_calendar.py ]; then $(BIN)/python bench/bench_calendar.py; fi
	$(BIN)/python bench/bench_reports.py
	$(BIN)/python bench/bench_availability.py

bench-quick: translations
	$(BIN)/python -c 'import httpx' 2>/dev/null && [ -x $(BIN)/py-spy ] || $(BIN)/python -m pip install --quiet -e '.[test,bench]'
	BENCH_SCALE=quick $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache

# Browser libraries (Chart.js for the reports, Leaflet for the map, Swagger UI for the API's docs page) come from the npm registry at the versions
# pinned in package.json and are served from static/vendor: the app works offline and the CSP allows no CDN.
vendor-js:
	npm install --no-audit --no-fund
	mkdir -p static/vendor/chart.js static/vendor/leaflet/images
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md static/vendor/chart.js/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE \
	   static/vendor/leaflet/
	cp node_modules/leaflet/dist/images/*.png static/vendor/leaflet/images/
	mkdir -p static/vendor/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/LICENSE static/vendor/swagger-ui/
