# Weft. `make demo` runs the product; `make test` runs every test tier. Both install what
# a fresh machine lacks first (see tools/install-deps.sh).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

NODEDIR := $(shell dirname "$$(dirname "$$(command -v node)")")
TS_PACKAGES := api native agent control ui cli tools bench e2e
# Compiled test files, derived from the sources so a deleted test never runs from dist/.
tests_of = $(shell find $(TS_PACKAGES) -path '*/node_modules' -prune -o -path '*/dist' -prune -o -name '$(1)' -print 2>/dev/null \
	| sed -E 's#^(native)/lib/#\1/dist/#; s#/src/#/dist/#; s#\.ts$$#.js#' | sort)
UNIT_TESTS = $(filter-out %.privileged.test.js %.e2e.test.js,$(call tests_of,*.test.ts))
PRIVILEGED_TESTS = $(call tests_of,*.privileged.test.ts)
E2E_TESTS = $(call tests_of,*.e2e.test.ts)
# Spec output for people, a TAP copy for the closing summary line.
NODE_TEST = mkdir -p artifacts; status=0; node --test --test-reporter=spec --test-reporter-destination=stdout \
	--test-reporter=tap --test-reporter-destination=artifacts/$(1).tap $(2) || status=$$?; \
	node tools/dist/test-summary.js artifacts/$(1).tap; exit $$status

.PHONY: deps build bpf native ts ui gen golden lint test test-unit test-privileged test-e2e bench demo demo-down clean clean-test-leftovers testbed-up testbed-down testbed-status

deps:
	@bash tools/install-deps.sh

build: deps bpf native ts ui

bpf:
	@$(MAKE) --no-print-directory -C bpf

native:
	@cd native && npx node-gyp build --nodedir="$(NODEDIR)" --loglevel=warn >/dev/null

ts:
	@npx tsc -b

## The web app (ui/dist/app), which the control plane serves on :8084.
ui:
	@cd ui && npx vite build --logLevel warn

## Regenerates api/src/gen from api/proto (protoc + ts-proto); lint fails if it drifted.
gen: deps
	@bash tools/gen-api.sh

lint: build
	npx eslint .
	node tools/dist/check-imports.js .
	node e2e/dist/chart/chart-lint-main.js
	@tmp=$$(mktemp -d) && bash tools/gen-api.sh "$$tmp" && diff -r api/src/gen "$$tmp" >/dev/null \
		|| { echo "lint: api/src/gen is not what 'make gen' produces from api/proto; run 'make gen'" >&2; rm -rf "$$tmp"; exit 1; }; \
		rm -rf "$$tmp"
	@echo "lint: ok"

## Rewrites the chart's golden renderings (helm/weft/ci/golden) after a meant change; review the diff.
golden: build
	@node e2e/dist/chart/chart-lint-main.js --update

## Tier 1 (unit), tier 2 (privileged: root, netns, real eBPF) and tier 3 (e2e: the
## Kubernetes testbed; the first run builds the upstream binaries, ~12 minutes) in one run.
test: build
	@$(call NODE_TEST,test,$(UNIT_TESTS) $(PRIVILEGED_TESTS) $(E2E_TESTS))

test-unit: build
	@$(call NODE_TEST,unit,$(UNIT_TESTS))

test-privileged: build
	@$(call NODE_TEST,privileged,$(PRIVILEGED_TESTS))

test-e2e: build
	@$(call NODE_TEST,e2e,$(E2E_TESTS))

bench: build
	node bench/dist/capture-bench.js
	node bench/dist/ca-bench.js
	node bench/dist/identity-prewarm-bench.js
	node bench/dist/push-bench.js
	bash bench/scripts/build-fortio.sh >/dev/null
	node bench/dist/datapath-bench.js
	node bench/dist/ui-bench.js

## A local two-node cluster with Weft and a sample app; prints the UI address (root; see README).
demo: build
	@node e2e/dist/demo/demo-main.js up

## Removes everything `make demo` made (the cluster, its processes, namespaces and files).
demo-down:
	@if [ -f e2e/dist/demo/demo-main.js ]; then node e2e/dist/demo/demo-main.js down; else $(MAKE) --no-print-directory build && node e2e/dist/demo/demo-main.js down; fi

clean:
	@$(MAKE) --no-print-directory -C bpf clean
	rm -rf native/build $(addsuffix /dist,$(TS_PACKAGES)) $(addsuffix /tsconfig.tsbuildinfo,$(TS_PACKAGES))

## After an interrupted privileged run: remove its namespaces, cgroups and bpffs mounts.
clean-test-leftovers:
	@bash tools/clean-test-leftovers.sh

## The Kubernetes testbed by hand (see e2e/README.md).
testbed-up: build
	@node e2e/dist/testbed-main.js up

testbed-down:
	@node e2e/dist/testbed-main.js down

testbed-status:
	@node e2e/dist/testbed-main.js status
