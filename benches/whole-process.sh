#!/usr/bin/env bash
# Whole-process timing, side by side with hyperfine: `skygen render -f VALUES` against
# `helm template` of the same values, the ratio of their medians, and the cost of each further
# release when one run renders several (`--release-name` repeated).
#
# Usage: benches/whole-process.sh [VALUES]       (default: benches/realistic.values.yaml)
# Environment:
#   SKYGEN  the binary to time (default: the static release build of scripts/build-static.sh on
#           Linux with glibc, else target/release/skygen; either is built or brought up to date)
#   HELM    the helm binary (default: `helm` on PATH; none: skygen's numbers only)
#   CHART   the upstream chart directory (with its subcharts in charts/, e.g. from
#           `helm pull skypilot/skypilot-nightly --untar`) or .tgz, if you have it
#   RUNS    runs per command (default 200)
#
# The upstream chart's templates are not in this repository (nor in the team's reference
# material: only its values.yaml and schema), so without CHART the script cannot run Helm on the
# real chart. It then times Helm on a stand-in chart: skygen's defaults as values.yaml and the
# very manifest skygen renders as a static file the one template includes. Helm still starts,
# loads the chart, merges the values, renders, parses and sorts the output, but runs none of the
# chart's template logic, so that figure is a floor of `helm template` on the real chart and the
# printed ratio a lower bound; it says so.
set -euo pipefail
cd "$(dirname "$0")/.."

values=${1:-benches/realistic.values.yaml}
skygen=${SKYGEN:-}
helm=${HELM:-$(command -v helm || true)}
runs=${RUNS:-200}

command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 2; }
if [ -z "$skygen" ]; then
    case "$(rustc -vV | sed -n 's/^host: //p')" in
    *-linux-gnu) skygen=$(scripts/build-static.sh) ;;
    *) cargo build --release --locked >&2 && skygen=target/release/skygen ;;
    esac
fi
skygen=$(realpath "$skygen")
values=$(realpath "$values")

echo "date: $(date -u +%Y-%m-%d)"
echo "machine: $(uname -sm), $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "skygen: $("$skygen" --version | head -1), $skygen ($(readelf -lW "$skygen" 2>/dev/null | grep -q INTERP && echo dynamically || echo statically) linked)"
"$skygen" render -f "$values" >/dev/null # the values must render

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Medians in ms, one per command of a hyperfine JSON export.
median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.2f" % (x["median"] * 1000) for x in r))' "$1"; }
# One line per command: median, fastest, and CPU time (user + system, which a busy machine
# disturbs less than wall time).
table() { python3 -c '
import json, sys
for name, x in zip(sys.argv[2:], json.load(open(sys.argv[1]))["results"]):
    print("%-34s median %7.2f ms   fastest %7.2f ms   cpu %7.2f ms" % (name, x["median"] * 1000, x["min"] * 1000, (x["user"] + x["system"]) * 1000))
' "$@"; }
# The ratio of the second command to the first, by median and by CPU time.
ratio() { python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1]))["results"]
print("ratio: skygen render is %s%.1fx faster than helm template by median wall time, %s%.1fx by CPU time" % (sys.argv[2], b["median"] / a["median"], sys.argv[2], (b["user"] + b["system"]) / (a["user"] + a["system"])))
' "$@"; }

cmds=("$skygen render -f $values")
names=("skygen render")
if [ -n "$helm" ]; then
    echo "helm: $("$helm" version --short)"
    if [ -n "${CHART:-}" ]; then
        chart=$(realpath "$CHART")
        echo "helm chart: $chart (subcharts: $(ls "$chart/charts" 2>/dev/null | tr '\n' ' '))"
        names+=("helm template (upstream chart)")
        lower=""
    else
        echo "note: no CHART given and the upstream chart's templates are not available offline;"
        echo "      timing helm on a stand-in chart (static manifest): the ratio is a lower bound."
        chart="$tmp/stand-in"
        mkdir -p "$chart/templates" "$chart/files"
        printf 'apiVersion: v2\nname: skypilot\nversion: 0.0.0\n' >"$chart/Chart.yaml"
        "$skygen" values >"$chart/values.yaml"
        "$skygen" render -f "$values" >"$chart/files/manifest.yaml"
        echo '{{ .Files.Get "files/manifest.yaml" }}' >"$chart/templates/manifest.yaml"
        names+=("helm template (stand-in chart)")
        lower="at least "
    fi
    cmds+=("$helm template skypilot $chart --namespace skypilot -f $values")
fi

hyperfine -N --warmup 20 --runs "$runs" --export-json "$tmp/side.json" "${cmds[@]}" >"$tmp/side.txt" 2>&1 || { cat "$tmp/side.txt"; exit 1; }
echo
table "$tmp/side.json" "${names[@]}"
if [ -n "$helm" ]; then
    ratio "$tmp/side.json" "$lower"
else
    echo "helm not found (set HELM=…): skygen's numbers only"
fi

# Several releases in one process: the template environment, schema and defaults are built once.
many=()
for i in $(seq 1 10); do many+=(--release-name "r$i"); done
hyperfine -N --warmup 10 --runs "$runs" --export-json "$tmp/many.json" \
    "$skygen render -f $values --release-name r1" \
    "$skygen render -f $values ${many[*]}" >/dev/null 2>&1
python3 -c '
import json, sys
one, ten = json.load(open(sys.argv[1]))["results"]
cpu = lambda x: (x["user"] + x["system"]) * 1000
print("releases: 1 in %.2f ms (cpu %.2f), 10 in %.2f ms (cpu %.2f): %.2f ms per further release (cpu %.2f)" % (
    one["median"] * 1000, cpu(one), ten["median"] * 1000, cpu(ten),
    (ten["median"] - one["median"]) * 1000 / 9, (cpu(ten) - cpu(one)) / 9))
' "$tmp/many.json"
hyperfine -N --warmup 20 --runs "$runs" --export-json "$tmp/floor.json" "$skygen --version" >/dev/null 2>&1
table "$tmp/floor.json" "skygen --version (process start)"
