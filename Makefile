# mine2magnet: the two set-up commands are `make run` and `make test`.
VENV     ?= .venv
PYTHON   ?= python3
PY       := $(VENV)/bin/python
M2M      := $(VENV)/bin/m2m
INSTANCE ?= instances/us_mine_to_magnet
RUNTIME  := $(VENV)/.installed-runtime
DEV      := $(VENV)/.installed-dev
BENCH    := $(VENV)/.installed-bench

.PHONY: run test test-slow bench docs repin clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME)

$(BENCH): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(DEV) $(RUNTIME)

## make run: create .venv, install, solve the default instance, write results/
run: $(RUNTIME)
	$(M2M) solve $(INSTANCE)

## make test: install the dev extras and run the whole suite
test: $(DEV)
	$(PY) -m pytest -q -n 2

## make test-slow: the large OR-Library instances (capa/capb/capc)
test-slow: $(DEV)
	$(PY) -m pytest -q -m slow

## make bench: m2m solve end to end against HiGHS alone and linopy (10k, 100k), a warm sweep, the OR-Library
## capa MILPs (60 s each), the solver paths; writes benchmarks/results.md (see benchmarks/README.md for the long runs)
bench: $(BENCH)
	$(PY) benchmarks/end_to_end.py
	$(PY) benchmarks/milp.py
	$(PY) benchmarks/solver_paths.py

## make docs: regenerate what the docs show from the tool: the instance-format and results references, the flagship
## report, the console transcripts of README.md and docs/*.md, and the two figures of the README
docs: $(DEV)
	$(PY) -m optimizer.docs > docs/instance-format.md
	$(PY) -m optimizer.docs results docs/results.md
	$(PY) -m optimizer.docs model docs/model.md
	$(PY) -m optimizer.docs architecture docs/architecture.md
	$(PY) docs/flagship_report.py
	$(PY) docs/console.py
	@tmp=$$(mktemp -d); \
	$(M2M) sweep $(INSTANCE) --scenario china_cap_50 --policy china_share_us --param share --from 0.1 --to 0 \
	  --steps 6 --out "$$tmp/sweep" --quiet && cp "$$tmp/sweep/frontier.png" docs/img/frontier.png && \
	$(M2M) solve $(INSTANCE) --scenario baseline --out "$$tmp/fb" --quiet && $(M2M) report "$$tmp/fb" && \
	$(PY) -m tests.browser "$$tmp/fb/report.html" docs/img/sankey.png --size 1400x900 --only sankey; \
	status=$$?; rm -rf "$$tmp"; exit $$status

## REASON='why' make repin INSTANCE=instances/x: re-solve every pinned entry and record what moved
## (REASON comes from the environment, so that it may hold any character, `$` included)
repin: $(RUNTIME)
	@test -n "$$REASON" || { echo "usage: REASON='why the pins move' make repin INSTANCE=instances/<name>" >&2; exit 2; }
	@out=$$(mktemp -d); for key in $$($(PY) -c "import json; print(' '.join(json.load(open('$(INSTANCE)/expected.json'))))"); do \
	  if [ "$$key" = base ]; then sc=""; else sc="--scenario $$(echo $$key | tr + ,)"; fi; \
	  $(M2M) solve $(INSTANCE) $$sc --out "$$out/$$key" --quiet --update-expected --reason "$$REASON" || exit $$?; \
	done; rm -rf "$$out"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis results/*/
