#!/usr/bin/env bash
# Builds the eventkit role images with `docker` (Docker, or anything with its CLI):
#   scripts/images.sh build            eventkit-gateway:$IMAGE_TAG, eventkit-worker:…, eventkit-loader:…
#   scripts/images.sh sizes            their sizes
# IMAGE_TAG defaults to dev; IMAGE_PREFIX (e.g. europe-docker.pkg.dev/PROJECT/eventkit/) is put
# before each name, for pushing to a registry.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tag=${IMAGE_TAG:-dev}
prefix=${IMAGE_PREFIX:-}
roles=(gateway worker loader)
case ${1:-build} in
build)
  command -v docker >/dev/null || { echo "images: no docker command on PATH" >&2; exit 1; }
  for role in "${roles[@]}"; do
    echo "== image ${prefix}eventkit-$role:$tag"
    docker build -f "Dockerfile.$role" -t "${prefix}eventkit-$role:$tag" .
  done
  "$0" sizes
  ;;
sizes)
  for role in "${roles[@]}"; do
    printf '%-28s %s\n' "${prefix}eventkit-$role:$tag" "$(docker image inspect "${prefix}eventkit-$role:$tag" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1000000}')"
  done
  ;;
*) echo "usage: scripts/images.sh build|sizes" >&2; exit 2 ;;
esac
