#!/usr/bin/env bash
# Smoke-tests a peakready image: its size, `version`, a fake's admin API through a
# published port (with the start-up time to "listening on" and to the first answer),
# the integrator's /readyz, and a short scenario run inside the image.
# Usage: deploy/image-smoke.sh [IMAGE] [SCENARIO]   (defaults peakready/peakready:local, smoke)
# Reports of the scenario go to $REPORTS (default reports/image-smoke).
set -euo pipefail

image=${1:-peakready/peakready:local}
scenario=${2:-smoke}
reports=${REPORTS:-reports/image-smoke}

containers=()
cleanup() { for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# wait_for CONTAINER PORT PATH: waits for "listening on" in its log and a 200 on PATH;
# prints the start-up times measured from $start.
wait_for() {
  local c=$1 path=$2 port t_listen="" t_ok=""
  for _ in $(seq 1 300); do
    if [ -z "$t_listen" ] && docker logs "$c" 2>/dev/null | grep -q '^listening on '; then t_listen=$(now); fi
    if [ -n "$t_listen" ]; then
      port=$(docker port "$c" 8080/tcp | head -1 | awk -F: '{print $NF}')
      if curl -fsS -o /dev/null "http://127.0.0.1:$port$path" 2>/dev/null; then t_ok=$(now); break; fi
    fi
    if [ "$(docker inspect -f '{{.State.Running}}' "$c")" != true ]; then
      echo "container exited:"; docker logs "$c" 2>&1 | tail -20; return 1
    fi
    sleep 0.05
  done
  [ -n "$t_ok" ] || { echo "no answer on $path:"; docker logs "$c" 2>&1 | tail -20; return 1; }
  echo "  start-up: listening on after $(ms "$start" "$t_listen") ms, $path answered after $(ms "$start" "$t_ok") ms (from docker run)"
  echo "$port"
}

echo "== $image"
docker image inspect -f '  size: {{.Size}} bytes' "$image"
docker image inspect -f '  user: {{.Config.User}}, entrypoint: {{.Config.Entrypoint}}' "$image"
docker run --rm "$image" version

echo "== fake netsuite: /_fake/stats"
start=$(now)
c=$(docker run -d -p 127.0.0.1::8080 "$image" fake netsuite --addr 0.0.0.0:8080)
containers+=("$c")
out=$(wait_for "$c" /_fake/stats)
echo "$out" | head -n -1
port=$(echo "$out" | tail -1)
stats=$(curl -fsS "http://127.0.0.1:$port/_fake/stats")
echo "$stats" | grep -q '"platform":"netsuite"' || { echo "unexpected stats: $stats"; exit 1; }
curl -fsS -o /dev/null -H 'Authorization: Bearer any' "http://127.0.0.1:$port/services/rest/record/v1/salesOrder"
echo "  stats: $(echo "$stats" | head -c 120)..."
docker rm -f "$c" >/dev/null

echo "== integrator: /readyz"
start=$(now)
c=$(docker run -d -p 127.0.0.1::8080 -e PEAKREADY_WEBHOOK_SECRET=smoke -e PEAKREADY_NETSUITE_TOKEN=smoke \
  -e PEAKREADY_NETSUITE_URL=http://127.0.0.1:9 "$image" integrator)
containers+=("$c")
wait_for "$c" /readyz | head -n -1
docker rm -f "$c" >/dev/null

echo "== run $scenario inside the image (reports in $reports)"
mkdir -p "$reports"
chmod 0777 "$reports" # the image runs as 65532
code=0
docker run --rm -v "$(cd "$reports" && pwd):/work/reports" "$image" run "$scenario" --quiet \
  --junit "reports/$scenario.xml" --json "reports/$scenario.json" --html "reports/$scenario.html" \
  >"$reports/$scenario.txt" 2>&1 || code=$?
sed -n '1,/^Totals/p' "$reports/$scenario.txt" | sed '$d'
[ "$code" -eq 0 ] || { echo "peakready run $scenario exited $code"; exit 1; }
test -s "$reports/$scenario.xml"
echo "== ok"
