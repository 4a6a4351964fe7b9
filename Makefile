# Two commands do everything on a fresh clone:
#   make run    install both runtimes, build what is stale, start every service
#   make test   the same set-up, then the whole test suite in both runtimes
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
VENV_RASA := .venv-rasa
PYTHON311 ?= $(shell command -v python3.11 || command -v python3)
# Hide pip's noise about this machine's extra package locations (sed never fails, so a
# failing pip still fails the pipeline under pipefail).
PIP_FILTER := sed -e '/^WARNING: Location/d' -e '/DEPRECATION: .* legacy/d'

# Nothing is downloaded at run time; no telemetry leaves the machine.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning

# The Rasa model is named after a fingerprint of everything that shapes it.
RASA_INPUTS = $(shell find bot/config.yml bot/domain.yml bot/data nlu_data bot/components tthc_text \
	-type f \( -name '*.yml' -o -name '*.py' \) -not -path '*/__pycache__/*' | sort)
RASA_FP = $(shell for f in $(RASA_INPUTS); do echo "$$f"; cat "$$f"; done | sha256sum | cut -c1-12)
RASA_MODEL = bot/models/tthc-$(RASA_FP).tar.gz

.PHONY: help install index model run run-scaled deploy-files lint test test-app test-rasa nlu-eval bench clean

help:
	@echo "make run    set up everything and start the bot (chat page: http://localhost:8000/)"
	@echo "make test   set up everything and run the whole test suite"
	@echo "make bench  benchmarks (figures, not assertions)"
	@echo "make lint   ruff, mypy in both runtimes, the deployment files' check (make test runs it)"
	@echo "make run-scaled  two Rasa replicas and two action servers behind nginx (deploy/Procfile;"
	@echo "                 needs DATABASE_URL=postgresql://... and REDIS_URL=redis://... in .env)"
	@echo "make nlu-eval  held-out NLU evaluation (intent F1, accuracy by typing style)"

## --- environments ------------------------------------------------------------------
$(VENV)/.installed: pyproject.toml
	@echo "==> Python 3.11 environment ($(VENV)): actions, retrieval, console"
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found: install python3.11" >&2; exit 1; }
	@$(PYTHON311) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
		{ echo "$(PYTHON311) is not Python 3.11: install python3.11 or set PYTHON311=..." >&2; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON311) -m venv $(VENV)
	@# exactly torch==2.13.0 first: pip takes the CPU wheel from this machine's disk
	$(VENV)/bin/pip install --progress-bar on torch==2.13.0 2>&1 | $(PIP_FILTER)
	$(VENV)/bin/pip install --progress-bar on -e '.[app,test]' 2>&1 | $(PIP_FILTER)
	@touch $@

$(VENV_RASA)/.installed: pyproject.toml scripts/find-python310.sh
	@echo "==> Python 3.10 environment ($(VENV_RASA)): Rasa 3.6, channels, bot components"
	@test -x $(VENV_RASA)/bin/python || "$$(scripts/find-python310.sh)" -m venv $(VENV_RASA)
	$(VENV_RASA)/bin/pip install --progress-bar on -e '.[rasa,test-rasa]' 2>&1 | $(PIP_FILTER)
	@touch $@

install: $(VENV)/.installed $(VENV_RASA)/.installed

## --- build artefacts (each rebuilt only when its inputs changed) -----------------------
index: $(VENV)/.installed
	@echo "==> search index (build/index)"
	$(VENV)/bin/tthc index build --if-stale

model: $(VENV_RASA)/.installed
	@mkdir -p bot/models build
	@if [ -f $(RASA_MODEL) ]; then echo "==> Rasa model up to date: $(RASA_MODEL)"; else \
		echo "==> training the Rasa model ($(RASA_MODEL))"; \
		$(VENV_RASA)/bin/rasa train --config bot/config.yml --domain bot/domain.yml \
			--data bot/data nlu_data --out bot/models --fixed-model-name tthc-$(RASA_FP); \
		find bot/models -name 'tthc-*.tar.gz' ! -name 'tthc-$(RASA_FP).tar.gz' -delete; \
	fi

## --- run -------------------------------------------------------------------------------
run: install index model
	@mkdir -p build
	@echo ""
	@echo "  Chat demo page:   http://localhost:8000/   (a city page with the widget; full page: /chat)"
	@echo "  Widget to embed:  <script src=\"http://localhost:8000/widget.js\" defer></script>"
	@echo "  Staff console:    http://localhost:8000/console/   (first: .venv/bin/tthc admin create-user NAME)"
	@echo "  Rasa REST API:    POST http://localhost:5005/webhooks/rest/webhook  {\"sender\": \"...\", \"message\": \"...\"}"
	@echo "  Action server:    http://localhost:5055/health"
	@echo "  Ctrl-C stops everything."
	@echo ""
	$(VENV)/bin/tthc db upgrade
	$(VENV)/bin/honcho start -f Procfile

# The scaled-out stack on one machine, without containers (see "Scaling out" in the README).
run-scaled: install index model
	@{ [[ "$${REDIS_URL:-}" == redis* ]] || grep -q '^REDIS_URL=redis' .env 2>/dev/null; } && \
	 { [[ "$${DATABASE_URL:-}" == postgresql* ]] || grep -q '^DATABASE_URL=postgresql' .env 2>/dev/null; } || \
		{ echo "set DATABASE_URL=postgresql://... and REDIS_URL=redis://... in .env first" >&2; exit 1; }
	@echo "  Public (widget, console, webhooks): http://localhost:$$(sed -n 's/^  public: \([0-9]*\).*/\1/p' deploy/topology.yml)/"
	$(VENV)/bin/tthc db upgrade
	$(VENV)/bin/honcho -f deploy/Procfile start

# Rewrite deploy/docker-compose.yml, deploy/Procfile and deploy/nginx/ from deploy/topology.yml.
deploy-files: $(VENV)/.installed
	$(VENV)/bin/tthc deploy render

## --- tests -----------------------------------------------------------------------------
# mypy per runtime: the packages each one runs (tthc_data and tthc_text run in both)
MYPY_APP := actions console dossiers guides retrieval tthc tthc_data tthc_settings tthc_text web servers benchmarks \
	--exclude benchmarks/stages.py
MYPY_RASA := connectors dossiers bot/components benchmarks/stages.py tthc_data tthc_text
# ruff (unused or undefined names, import order), mypy, and the deployment files up to date
lint: $(VENV)/.installed $(VENV_RASA)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(MYPY_APP)
	$(VENV_RASA)/bin/mypy $(MYPY_RASA)
	$(VENV)/bin/tthc deploy render --check

test: install index model
	$(MAKE) lint
	$(MAKE) test-app
	$(MAKE) test-rasa

test-app:
	$(VENV)/bin/python -m pytest tests --ignore=tests/bot --ignore=tests/connectors

test-rasa:
	$(VENV_RASA)/bin/python -m pytest tests/bot tests/connectors tests/dossiers tests/tthc_text tests/tthc_data

nlu-eval: $(VENV_RASA)/.installed
	$(VENV_RASA)/bin/python -m bot.nlu_evaluation

bench: install index model
	$(VENV)/bin/python -m benchmarks.retrieval
	$(VENV)/bin/python -m benchmarks.service
	$(VENV_RASA)/bin/python -m benchmarks.stages
	$(VENV)/bin/python -m benchmarks.scale
	$(VENV)/bin/python -m benchmarks.dossier

clean:
	rm -rf build bot/models .rasa
