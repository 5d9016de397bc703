# Two commands for a newcomer: `make run` (the guide + backend on :8000) and `make test`.
# Both set everything up first: system packages on Debian, then .venv with the project.
PORT ?= 8000
HOST ?= 127.0.0.1
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-deps check build preview bench bench-small clean

run: setup
	$(VENV)/bin/guide serve --host $(HOST) --port $(PORT)

test: setup
	$(VENV)/bin/pytest -q

check: setup
	$(VENV)/bin/guide check

build: setup
	$(VENV)/bin/guide build

preview: setup
	$(VENV)/bin/guide preview

setup: system-deps $(STAMP)

# Graphviz draws the flows, a CJK font sizes their boxes, chromium runs the browser tests.
# The handbook PDF: WeasyPrint needs Pango (+ HarfBuzz subsetting) and embeds Noto CJK;
# poppler-utils (pdftotext, pdffonts, pdftoppm) lets the tests read the PDF back.
LDCONFIG := $(shell command -v ldconfig || echo /sbin/ldconfig)
system-deps:
	@missing=""; libs="$$($(LDCONFIG) -p 2>/dev/null)"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	command -v fc-list >/dev/null || missing="$$missing fontconfig"; \
	fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing="$$missing fonts-wqy-microhei"; \
	fc-list 2>/dev/null | grep -q "Noto Serif CJK SC" || missing="$$missing fonts-noto-cjk"; \
	echo "$$libs" | grep -q "libpango-1.0.so.0 " || missing="$$missing libpango-1.0-0"; \
	echo "$$libs" | grep -q "libpangoft2-1.0.so.0 " || missing="$$missing libpangoft2-1.0-0"; \
	echo "$$libs" | grep -q "libharfbuzz-subset.so.0 " || missing="$$missing libharfbuzz-subset0"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "please install:$$missing (Debian package names)"; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Debian: apt-get install python3 python3-venv)"; exit 1; }
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

bench: setup
	$(VENV)/bin/python benchmarks/build_scale.py
	$(VENV)/bin/python benchmarks/submit_load.py
	$(VENV)/bin/python benchmarks/console_scale.py
	$(VENV)/bin/python benchmarks/handbook_scale.py
	$(VENV)/bin/python benchmarks/write_lock.py
	$(VENV)/bin/python benchmarks/warnings_scale.py
	$(VENV)/bin/python benchmarks/page_weight.py

# What CI runs: proves the benchmark scripts work; timings are printed, never asserted.
bench-small: setup
	$(VENV)/bin/python benchmarks/build_scale.py --sizes 10,20
	$(VENV)/bin/python benchmarks/submit_load.py --seconds 3 --concurrency 4
	$(VENV)/bin/python benchmarks/console_scale.py --n 2000 --repeat 1
	$(VENV)/bin/python benchmarks/handbook_scale.py --sizes 10 --guides songjiang
	$(VENV)/bin/python benchmarks/write_lock.py --seconds 2 --rounds 1
	$(VENV)/bin/python benchmarks/warnings_scale.py --sizes 500,2000
	$(VENV)/bin/python benchmarks/page_weight.py

clean:
	rm -rf site .guide-build examples/*/site examples/*/.guide-build test-artifacts
