# Two entry points for a fresh clone (see README): `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
export NX_DAEMON := false
export NX_NO_CLOUD := true
DEMO_OUT ?= tmp/demo-tests

.PHONY: setup demo test worker-tests alert-tests lint typecheck unit format bench clean

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.venv/.test-agent-requirements: node_modules/.package-lock.json libs/infrastructure/src/lib/python/requirements.txt
	bin/test-agent setup

## setup: install Node packages, Test Agent's Python venv, bubblewrap (the sandbox), libfaketime, redis-server (the shared job queue) and prometheus (promtool; with apt-get as root)
setup: node_modules/.package-lock.json .venv/.test-agent-requirements
	@tools/setup/system-packages.sh

## demo: the main job on a bundled example (offline)
demo: setup
	bin/test-agent generate examples/calculator.py --out $(DEMO_OUT)

typecheck: setup
	npx tsc -p tsconfig.json

lint: setup
	npx nx run-many -t lint --outputStyle=static

## format: rewrite every TypeScript and JavaScript file the way Prettier prints it (`make test` checks it)
format: node_modules/.package-lock.json
	npm run -s format

unit: setup
	npx nx run-many -t test --outputStyle=static

## test: formatting (Prettier), typecheck, lint (layering included) and every test suite
test: setup
	npm run -s format:check
	npx tsc -p tsconfig.json
	node tools/build/build.cjs
	$(MAKE) worker-tests
	$(MAKE) alert-tests
	@mkdir -p tmp && set -o pipefail && npx nx run-many -t lint test --outputStyle=static --skip-nx-cache 2>&1 \
	  | tee tmp/test.log || { node tools/ci/failures.cjs tmp/test.log; exit 1; }

## worker-tests: the search worker's own pytest tests (its guard, its regex strings, its replies to the protocol fixture, its
## package's size limits), inside bubblewrap: the machine read-only but a private temp folder
worker-tests: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && PYTHONDONTWRITEBYTECODE=1 TMPDIR="$$tmp" \
	  bwrap --ro-bind / / --dev /dev --proc /proc --bind "$$tmp" "$$tmp" --unshare-pid --unshare-net --die-with-parent \
	  --chdir "$(CURDIR)" -- .venv/bin/python -m pytest -q -p no:cacheprovider \
	  libs/infrastructure/src/lib/adapters/python-worker/test_executor_worker_*.py

## alert-tests: the Prometheus alert rules: promtool's syntax check and unit tests (Debian's prometheus package), then
## every metric an alert names checked against a real scrape of the built server
alert-tests: setup
	@command -v promtool >/dev/null || { echo "promtool not found: install Prometheus (Debian/Ubuntu: sudo apt-get install prometheus)" >&2; exit 1; }
	promtool check rules docker/prometheus/test-agent-alerts.yml
	promtool test rules docker/prometheus/test-agent-alerts.test.yml
	node tools/build/build.cjs
	node tools/prometheus/check-alert-metrics.cjs docker/prometheus/test-agent-alerts.yml

clean:
	rm -rf dist tmp .nx
