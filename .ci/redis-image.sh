#!/usr/bin/env bash
# Builds a Redis image FROM scratch out of the host's redis-server binary and the shared
# libraries it links, for machines that can run Docker but cannot pull images.
# Usage: .ci/redis-image.sh [IMAGE]   (default peakready/redis:local)
set -euo pipefail

image=${1:-peakready/redis:local}
bin=$(command -v redis-server) || { echo "redis-image: redis-server is not installed" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/data"
cp "$bin" "$ctx/rootfs/usr/bin/redis-server"
# Every library the binary links, at the same path, plus the dynamic loader.
ldd "$bin" | awk '/=> \//{print $3} /^[ \t]*\//{print $1}' | sort -u | while read -r lib; do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done

cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["/usr/bin/redis-server"]
CMD ["--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
EOF

docker build -q -t "$image" "$ctx" >/dev/null
echo "$image"
