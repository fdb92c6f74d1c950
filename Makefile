# The README's commands. `make demo` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint bench messages system-packages serve worker clean-demo

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Fonts for the PDF and poppler for its checks; installed when we can, else explained.
system-packages:
	@bash scripts/system-packages.sh

demo: $(STAMP) system-packages
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo
	# The periodic jobs (scheduled releases, sweeps) run beside the server and stop with it.
	DEBUG=1 $(PY) manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	@WITH_BENCH=1 bash scripts/system-packages.sh
	$(PY) -m bench

# Refresh the catalogues after changing user-facing text; translate the new entries in
# editorial/locale/zh_Hans/LC_MESSAGES/django.po (clear any "fuzzy" flag), then compile.
messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete \
		--ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=test-artifacts --ignore=staticfiles
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv
