# eventkit — every target provisions what it needs first (scripts/setup.sh is
# idempotent and fast when nothing changed).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
ENV := source node_modules/.eventkit-env

.PHONY: setup dev test test-unit test-int typecheck lint format bench chaos cloud-check images images-check clean

setup:
	@scripts/setup.sh

dev: setup
	@bin/eventkit-dev

test: setup
	@$(ENV); echo "== typecheck"; pnpm run -s typecheck
	@$(ENV); echo "== lint"; pnpm exec biome check . && node scripts/update-readme.ts --check
	@scripts/setup-browser.sh
	@$(ENV); echo "== tests"; node scripts/run-tests.ts all

test-unit: setup
	@$(ENV); node scripts/run-tests.ts unit

test-int: setup
	@scripts/setup-browser.sh
	@$(ENV); node scripts/run-tests.ts int

typecheck: setup
	@$(ENV); pnpm run -s typecheck

lint: setup
	@$(ENV); pnpm exec biome check . && node scripts/update-readme.ts --check

format: setup
	@$(ENV); pnpm exec biome check --write . && node scripts/update-readme.ts

bench: setup
	@$(ENV); node scripts/run-bench.ts

# The real executables under faults (never part of `make test`; loopback only,
# about 10 minutes; the disk-full scenario loop-mounts a small ext4 image as root).
chaos: setup
	@$(ENV); node packages/chaos/src/run.ts

# Against a real Google Cloud project (never part of `make test`): needs
# GCP_PROJECT_ID, GCP_GCS_BUCKET and application-default credentials.
cloud-check: setup
	@$(ENV); node packages/testing/src/cloud-check/run.ts

# The three role images, built with `docker` (IMAGE_TAG, default dev).
images:
	@scripts/images.sh build

# Builds the images, then runs the gateway, worker and loader containers against the
# Pub/Sub and Firestore emulators and a GCS test server on the host (never part of
# `make test`: needs a container engine; about 3 minutes).
images-check: setup images
	@$(ENV); node packages/testing/src/images-check/run.ts

clean:
	rm -rf node_modules packages/*/node_modules .eventkit
