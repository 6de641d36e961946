# Service-Centre Planner: every target sets itself up (a .venv in the project root) first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test test-fast app bench bench-full lint data wuhan-data clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

## The main job on the Wuhan demo data: writes out/demo/ (map.html, report.html, sites, kpis.json, ...)
demo: setup
	$(VENV)/bin/planner demo --out out/demo --force

## Every test (unit, benchmarks-as-correctness, app, real Chromium where installed)
test: setup
	@$(PY) -m pytest -n auto --dist loadfile; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as a failure"; exit 1; fi; exit $$rc

## The edit loop: no real-browser tests, no tests marked slow (> 10 s), stop at the first failure
test-fast: setup
	@$(PY) -m pytest -m "not slow and not browser" -x -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as a failure"; exit 1; fi; exit $$rc

## The Streamlit app on the demo data, for this machine only (APP_ADDRESS=0.0.0.0 serves a team:
## it then needs a login, see docs/security.md)
APP_ADDRESS ?= 127.0.0.1
app: setup
	$(VENV)/bin/streamlit run app.py --server.address $(APP_ADDRESS)

## Benchmarks, quick subset (minutes); results written to BENCHMARKS.md (date, machine, command)
bench: setup
	$(VENV)/bin/planner bench --quick --out BENCHMARKS.md

bench-full: setup
	$(VENV)/bin/planner bench --out BENCHMARKS.md

lint: setup
	$(VENV)/bin/ruff check planner app.py tests benchmarks scripts
	$(VENV)/bin/ruff format --check planner app.py tests benchmarks scripts
	$(VENV)/bin/mypy planner

## Rebuild data/geo/ from the raw inputs in ../shared/data (needs the `data` extra: rasterio)
data: setup
	$(PY) scripts/build_demo_data.py --shared ../shared/data --out data/geo

## The whole-Wuhan rasters for scenarios/wuhan_municipality*.toml (4 MB, not committed)
SHARED ?= ../shared
wuhan-data:
	mkdir -p data/geo/wuhan
	cp $(SHARED)/data/wuhan/wuhan_pop_20plus_100m.tif $(SHARED)/data/wuhan/wuhan_pop_65plus_100m.tif data/geo/wuhan/

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
