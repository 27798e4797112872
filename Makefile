VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CRM := $(VENV)/bin/crm
PYTHON ?= python3

.PHONY: demo test typecheck docs lint clean catalogs mo bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed mo
	CRM_USER=alice $(CRM) -C sample-workspace check
	@echo
	CRM_USER=alice $(CRM) -C sample-workspace list opportunities --where "outcome == 'open'" --sort -amount --columns name,list,amount,client_name --limit 10
	@echo
	CRM_USER=alice $(CRM) -C sample-workspace dashboard sales

test: $(VENV)/.installed-test mo
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy crmcli/core crmcli/fields crmcli/formulas crmcli/engine crmcli/index
	$(VENV)/bin/pytest -q -n auto

# Messages: extract (ours, the dashboard page's, and click's and typer's that a person reads)
# into crmcli/locale/crmcli.pot, merge into the fr and ru .po files, compile the .mo files.
PYBABEL := $(VENV)/bin/pybabel
SITE_PACKAGES = $(shell $(PY) -c "import os, sysconfig; print(os.path.relpath(sysconfig.get_paths()['purelib']))")
CATALOGS := crmcli/locale

catalogs: $(VENV)/.installed
	$(PYBABEL) -q extract -F babel.cfg -k lazy --sort-by-file --project crmcli -o $(CATALOGS)/crmcli.pot . $(SITE_PACKAGES)
	$(PYBABEL) -q update -i $(CATALOGS)/crmcli.pot -d $(CATALOGS) -D crmcli --ignore-obsolete
	$(MAKE) mo

# The .mo files a checkout runs with (not committed; the wheel's are compiled by setup.py).
mo: $(VENV)/.installed
	$(PYBABEL) -q compile -d $(CATALOGS) -D crmcli

# The core packages type-check with no errors (`test` runs this too).
typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy crmcli/core crmcli/fields crmcli/formulas crmcli/engine crmcli/index

# docs/CLI.md is generated from every command's --help (tests/test_cli_reference.py checks it).
docs: $(VENV)/.installed-test
	CRM_LANG=en LANGUAGE= LC_ALL=C.UTF-8 COLUMNS=100 NO_COLOR=1 TERM=dumb $(VENV)/bin/cog -I . -r docs/CLI.md

# One table of every command on a generated workspace (built once under benchmarks/.work/):
# BENCH_SIZE=small (default, 12,000 files) or full (120,000 files: 20-30 minutes).
BENCH_SIZE ?= small
BENCH_RUNS ?= 3
$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) install --quiet -e '.[bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/bench.py --size $(BENCH_SIZE) --runs $(BENCH_RUNS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .import_linter_cache
