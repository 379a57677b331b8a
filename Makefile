# OmniStock — two commands for a fresh clone:
#   make run    install, build the web UI, migrate, load the demo company, serve on :8000
#   make test   the checks CI runs: lint, import contracts, API client freshness, the whole test suite
# Other targets: install, web, bench, clean. Needs python3 (>= 3.11), node and npm.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
# The demo company's administrator (created by `omnistock demo`).
DEMO_USER := admin
DEMO_PASSWORD := OmniStock\#2026
# `make bench BENCH_ARGS=` runs the full benchmarks instead of the quick smoke sizes.
BENCH_ARGS ?= --smoke

.PHONY: install web run test bench chromium clean

# -- Python ------------------------------------------------------------------------------------
install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -e '.[test]'
	touch $@

# -- web UI (skipped until web/package.json exists) ---------------------------------------------
ifneq ($(wildcard web/package.json),)
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) \
               $(wildcard web/index.html web/*.json web/*.ts web/*.js web/*.mjs)

web: web/dist/index.html

web/node_modules/.stamp: web/package-lock.json
	cd web && npm ci
	touch $@

web/dist/index.html: web/node_modules/.stamp $(WEB_SOURCES)
	cd web && npm run build
	touch $@
else
web:
	@echo "web/package.json not found: skipping the web UI build"
endif

# -- run -----------------------------------------------------------------------------------------
# The database is OMNISTOCK_DATABASE_URL, by default sqlite:///./var/omnistock.db.
run: install web
	mkdir -p var
	$(BIN)/omnistock db upgrade
	$(BIN)/omnistock demo --if-empty
	@echo
	@echo "  OmniStock: http://$${OMNISTOCK_HOST:-127.0.0.1}:$${OMNISTOCK_PORT:-8000}"
	@echo "  Sign in as $(DEMO_USER) / $(DEMO_PASSWORD) (the demo administrator)"
	@echo
	$(BIN)/omnistock serve

# -- test ----------------------------------------------------------------------------------------
# Playwright drives Debian's chromium, and printed PDFs embed a CJK TrueType font (Debian's
# fonts-wqy-microhei; see platform/pdf.py): install what is missing (as root), else say how.
chromium:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing=" chromium"; \
	[ -f $(CJK_FONT) ] || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	  else \
	    echo "error: missing$$missing; install: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

# pytest exit code 5 means it collected no tests: that is a failure, said out loud.
test: install web chromium
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/python scripts/openapi.py --check
	cd web && npm run check:api
	$(BIN)/pytest -n 2 || { rc=$$?; [ $$rc -ne 5 ] || echo "error: pytest collected no tests" >&2; exit $$rc; }

# -- benchmarks ----------------------------------------------------------------------------------
# Every bench/*.py (but the _*.py helpers, e.g. _common.py) prints its figures; with --smoke it runs small sizes quickly.
bench: install
	@set -e; n=0; for f in bench/*.py; do \
	  case "$$(basename "$$f")" in _*|\*.py) continue;; esac; \
	  n=$$((n + 1)); echo "== $$f $(BENCH_ARGS)"; $(BIN)/python "$$f" $(BENCH_ARGS); \
	done; [ $$n -gt 0 ] || echo "no benchmarks in bench/ yet"

clean:
	rm -rf $(VENV) web/node_modules web/dist
