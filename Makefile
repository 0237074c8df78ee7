# Developer entry points. `make test` is what CI runs (through .ci/run).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

VENV := .venv
REQUIREMENTS := infra/requirements-dev.txt
# Touched after a successful install, so pip runs again only when the
# requirements file changes or an install failed half-way.
VENV_STAMP := $(VENV)/.requirements-installed

.PHONY: venv test lint-template dev bench page-check clean

venv: $(VENV_STAMP)

$(VENV_STAMP): $(REQUIREMENTS)
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check --quiet -r $(REQUIREMENTS)
	touch $@

test: venv
	infra/test.sh

lint-template: venv
	infra/lint-template.sh

dev: venv
	infra/dev.sh

bench: venv
	infra/bench.sh

# Opens a rendered public record page in headless Chromium (installed with
# apt-get when missing) and checks what the browser built. Not part of `test`.
page-check:
	infra/page-check.sh

# Leaves .venv in place because rebuilding it takes about a minute; delete it by
# hand to start from scratch. moto is stopped first so its pid file is not lost.
clean:
	for dir in .dev .dev/moto .dev/test .dev/bench; do MOTO_STATE_DIR=$$dir infra/moto.sh stop; done
	rm -rf .aws-sam .dev
	cargo clean
