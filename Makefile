# The two set-up commands of README.md: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test test-unit test-app test-browser bench browser-deps demo clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-deps

# Debian's Chromium (Playwright cannot download browsers here) and a CJK font.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

run: $(VENV)/.run-deps
	$(PY) -m csperf demo --if-empty
	$(VENV)/bin/streamlit run app.py

demo: $(VENV)/.run-deps
	$(PY) -m csperf demo

test: $(VENV)/.test-deps browser-deps
	$(PY) -m pytest -q -p no:cacheprovider

test-unit: $(VENV)/.test-deps
	$(PY) -m pytest -q -m "not browser and not server"

bench: $(VENV)/.test-deps
	$(PY) -m bench

clean:
	rm -rf $(VENV) test-output bench/out
