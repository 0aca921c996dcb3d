#!/usr/bin/env bash
# The slowest inputs we know how to build within each limit of docs/limits.md, timed with the
# release binary (#17: "the slowest input you can build within the limits renders or is
# refused in under a second"). Each case is generated here, run a few times, and printed with its
# exit code, its best wall time and its CPU time (user + system, which a busy machine disturbs
# less). Exit codes are part of the result: 0 rendered or no differences, 1 differences, 2 refused.
#
# Usage: benches/worst-inputs.sh [CASE...]      (default: every case; names in the table)
# Environment:
#   SKYGEN  the binary to time (default: target/release/skygen, built if missing)
#   RUNS    runs per case (default 3; the best one is printed)
#   KEEP    a directory to keep the generated inputs in (default: a temporary one, removed)
#   LIMIT   seconds after which a run is killed and reported as such (default 60)
#
# The last measurements are in docs/limits.md ("How long the worst inputs take").
set -euo pipefail
cd "$(dirname "$0")/.."

skygen=${SKYGEN:-target/release/skygen}
[ -x "$skygen" ] || cargo build --release --locked
skygen=$(realpath "$skygen")
runs=${RUNS:-3}
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  dir=$(realpath "$KEEP")
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(uname -sm), $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load $(cut -d' ' -f1 /proc/loadavg)"
echo "skygen: $("$skygen" --version | head -1)"

# Generate every input into $dir (Python for speed and clarity; no third-party module).
python3 - "$dir" <<'PY'
import json, os, sys

d = sys.argv[1]
# Iterations of an empty loop one template can run within overlay::guard::TEMPLATE_FUEL.
# (1,000 times this; 330 passes on skygen 0.1.0, 400 runs out.)
FUEL_LOOP = int(os.environ.get("FUEL_LOOP", "330"))
MiB = 1 << 20

def write(name, text):
    path = os.path.join(d, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

def fill(line_of, limit):
    """Lines line_of(0), line_of(1), ... while the text stays under `limit` bytes."""
    out, size, i = [], 0, 0
    while True:
        line = line_of(i)
        if size + len(line) > limit:
            return "".join(out)
        out.append(line)
        size += len(line)
        i += 1

# Values files at the 4 MiB cap (values::MAX_INPUT_BYTES), in the shapes that cost most.
cap = 4 * MiB - 1024
# A mapping entry is two nodes: 24,990 entries stay under the values' node cap
# (values::MAX_NODES, 50,000).
entries = 24_990
# Unknown top-level keys: each one a did-you-mean search.
write("unknown-keys.yaml", "".join(f"k{i}: v\n" for i in range(entries)))
# A free-form subtree (grafana.dashboardProviders, not rendered while Grafana is off) as wide as
# the node cap allows.
free = "grafana:\n  dashboardProviders:\n"
write("wide-free.yaml", free + "".join(f"    k{i}: {i}\n" for i in range(entries)))
# The same under a key that is rendered into an object and checked against Kubernetes' types.
write("wide-affinity.yaml", "apiService:\n  affinity:\n" + "".join(f"    k{i}: {i}\n" for i in range(entries)))
# A rendered free-form map of strings: the controller ConfigMap gets every entry.
write("wide-nginx-config.yaml", "ingress-nginx:\n  controller:\n    config:\n" + "".join(f"      k{i}: \"{i}\"\n" for i in range(entries)))
# Annotations: strings written into several objects.
write("wide-annotations.yaml", "apiService:\n  annotations:\n" + "".join(f"    a{i}.example.com/k: \"{i}\"\n" for i in range(entries)))
# One string of almost 4 MiB, all characters that need escaping in YAML.
write("long-escaped-string.yaml", "apiService:\n  annotations:\n    a: \"" + "\\x7f" * ((cap - 64) // 4) + "\"\n")
# Aliases expanding to just under yaml::MAX_NODES nodes.
bomb = ["grafana:", "  dashboardProviders:", "    a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 5):
    bomb.append(f"    a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
bomb.append("    b: [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]")
write("alias-bomb.yaml", "\n".join(bomb) + "\n")
# Depth: the values depth cap (32) with as many chains as fit in the node cap.
chain = "".join("{a" + str(k) + ": " for k in range(28)) + "1" + "}" * 28
write("deep-wide.yaml", free + "".join(f"    c{i}: {chain}\n" for i in range(entries // 29)))
# The same values spread over many files (the node cap is for all sources together).
for k in range(20):
    write(f"many/v{k}.yaml", free + "".join(f"    f{k}x{i}: {i}\n" for i in range(entries // 20 - 2)))
# --set: the longest path within the depth cap, and list indexes up to the items cap.
with open(os.path.join(d, "set-args"), "w") as f:
    for i in range(10):
        f.write(f"--set\ngrafana.dashboardProviders.l{i}[9999]=1\n")

# An overlay at the object cap: 10,000 ConfigMaps less the deployment's own, patches at the
# patch-node and patch-scan caps, 1,000 checks with `when:` at the token cap.
n = 9_950
write("ov-objects/r.yaml", "".join(
    f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, labels: {{w: x}}}}\ndata: {{k: v}}\n"
    for i in range(n)))
# 6 patches write 4 nodes (3 + 1 per object) into each of the 10,000 objects: 240,000 of
# overlay::guard::MAX_PATCH_NODES' 250,000; 19 more match nothing. 25 patches × 10,000 objects
# are the 250,000 of overlay::guard::MAX_PATCH_SCANS.
patches = "".join(
    f"  - target: {{kind: ConfigMap, labelSelector: w=x}}\n    expect: any\n    type: merge\n    patch: {{data: {{p{j}: x}}}}\n"
    for j in range(6)) + "".join(
    f"  - target: {{kind: ConfigMap, labelSelector: w=y}}\n    expect: 0\n    type: merge\n    patch: {{data: {{p{j}: x}}}}\n"
    for j in range(19))
# 32 false comparisons joined by `or` (all evaluated): 255 tokens, under the 256 cap.
when = " or ".join(["v.storage.enabled == 7"] * 32)
checks = "".join(f"  - when: {when}\n    key: storage.size\n    error: never\n" for _ in range(1000))
write("ov-objects/overlay.yaml", f"description: worst case\nresources: [r.yaml]\npatches:\n{patches}checks:\n{checks}")
# An overlay whose resource templates burn the run's fuel (overlay::guard::RUN_FUEL): each
# template just under its own budget, as many as the run's budget allows.
for k in range(10):
    write(f"ov-fuel/r{k}.yaml", "{% for i in range(1000) %}{% for j in range(" + str(FUEL_LOOP) + ") %}{% endfor %}{% endfor %}")
write("ov-fuel/overlay.yaml", "description: fuel\nresources: [" + ", ".join(f"r{k}.yaml" for k in range(10)) + "]\n")

# Diff inputs at the 8 MiB manifest cap (diff::dir::MAX_FILE_BYTES) or the node cap
# (yaml::MAX_NODES). The line diff works per object: the costly shape is big objects whose lines
# all differ.
dcap = 8 * MiB - 4096
def manifest(objects):
    return "".join("---\n" + json.dumps(o) + "\n" for o in objects)
def configmap(name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "d"}, "data": data}
# One ConfigMap of ~1M lines on each side, every line different.
lines = dcap // 16
write("diff-one-big-old.json", manifest([configmap("big", {"x": "".join(f"old-{i:09}\n" for i in range(lines))})]))
write("diff-one-big-new.json", manifest([configmap("big", {"x": "".join(f"new-{i:09}\n" for i in range(lines))})]))
# Many ConfigMaps of 2,000 different lines each.
per, count = 2_000, dcap // (2_000 * 16)
write("diff-many-old.json", manifest([configmap(f"c{k}", {"x": "".join(f"old-{i:09}\n" for i in range(per))}) for k in range(count)]))
write("diff-many-new.json", manifest([configmap(f"c{k}", {"x": "".join(f"new-{i:09}\n" for i in range(per))}) for k in range(count)]))
# Half the lines the same on both sides (the repeated structure of a YAML or JSON document),
# half different: the line diff cannot skip the common part.
half = lines // 2 - 1
write("diff-interleaved-old.json", manifest([configmap("big", {"x": "".join(f"  - same\nold-{i:09}\n" for i in range(half // 1))})]))
write("diff-interleaved-new.json", manifest([configmap("big", {"x": "".join(f"  - same\nnew-{i:09}\n" for i in range(half // 1))})]))
# The same lines in reverse order.
write("diff-reversed-old.json", manifest([configmap("big", {"x": "".join(f"line-{i:09}\n" for i in range(lines))})]))
write("diff-reversed-new.json", manifest([configmap("big", {"x": "".join(f"line-{i:09}\n" for i in reversed(range(lines)))})]))
# A big object with changes spread through it (every 10th line), the realistic large diff.
lines = lines * 9 // 10
write("diff-sparse-old.json", manifest([configmap("big", {"x": "".join(f"line-{i:09}\n" for i in range(lines))})]))
write("diff-sparse-new.json", manifest([configmap("big", {"x": "".join(f"line-{i:09}{'+' if i % 10 == 0 else ''}\n" for i in range(lines))})]))
# Many keys in one object: one field-path per key.
keys = 99_000  # under yaml::MAX_NODES (200,000)
write("diff-keys-old.json", manifest([configmap("k", {f"k{i:09}": "old" for i in range(keys)})]))
write("diff-keys-new.json", manifest([configmap("k", {f"k{i:09}": "new" for i in range(keys)})]))
# Many small objects, all changed.
small = 10_000  # the object cap (overlay::guard::MAX_OBJECTS)
write("diff-objects-old.json", manifest([configmap(f"o{i:07}", {"a": "old"}) for i in range(small)]))
write("diff-objects-new.json", manifest([configmap(f"o{i:07}", {"a": "new"}) for i in range(small)]))
# `check`: two renders with routes at check::MAX_ROUTES, every one overlapping the other's.
def ingress(name, n):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "d"},
            "spec": {"rules": [{"http": {"paths": [
                {"path": f"/p{i}", "pathType": "Prefix",
                 "backend": {"service": {"name": "s", "port": {"number": 80}}}} for i in range(n)]}}]}}
write("check-routes-a.json", manifest([ingress("a", 1000)]))
write("check-routes-b.json", manifest([ingress("b", 1000)]))
PY

# One case: NAME, then the skygen arguments. Prints the best of $runs.
case_() {
  local name=$1
  shift
  if [ ${#selected[@]} -gt 0 ] && [[ ! " ${selected[*]} " == *" $name "* ]]; then return; fi
  python3 - "$runs" "$name" "$@" <<'PY'
import os, resource, subprocess, sys, time
runs, name, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
limit = int(os.environ.get("LIMIT", "60"))
best = None
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    try:
        p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=limit)
    except subprocess.TimeoutExpired:
        print(f"{name:24} still running after {limit} s (killed)")
        sys.exit(0)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = after.ru_maxrss / 1024
    if best is None or wall < best[0]:
        best = (wall, cpu, p.returncode, rss, p.stderr.decode(errors="replace").strip().splitlines())
wall, cpu, code, rss, err = best
first = err[0][:90] if err else ""
print(f"{name:24} exit {code}  wall {wall:6.2f} s  cpu {cpu:6.2f} s  max rss {rss:5.0f} MB  {first}")
PY
}

selected=("$@")
d=$dir
case_ unknown-keys        "$skygen" render -f "$d/unknown-keys.yaml"
case_ wide-free           "$skygen" render -f "$d/wide-free.yaml"
case_ wide-affinity       "$skygen" render -f "$d/wide-affinity.yaml"
case_ wide-nginx-config   "$skygen" render -f "$d/wide-nginx-config.yaml"
case_ wide-annotations    "$skygen" render -f "$d/wide-annotations.yaml"
case_ long-escaped-string "$skygen" render -f "$d/long-escaped-string.yaml"
case_ many-files          "$skygen" render $(for k in $(seq 0 19); do echo -f "$d/many/v$k.yaml"; done)
case_ alias-bomb          "$skygen" render -f "$d/alias-bomb.yaml"
case_ deep-wide           "$skygen" render -f "$d/deep-wide.yaml"
mapfile -t set_args <"$d/set-args"
case_ set-list-items      "$skygen" render "${set_args[@]}"
case_ set-deep-path       "$skygen" render --set "storage.selector$(printf '.a%.0s' $(seq 30))=1"
case_ overlay-objects     "$skygen" render --overlay "$d/ov-objects"
case_ overlay-fuel        "$skygen" render --overlay "$d/ov-fuel"
case_ diff-one-big        "$skygen" diff "$d/diff-one-big-old.json" "$d/diff-one-big-new.json"
case_ diff-many           "$skygen" diff "$d/diff-many-old.json" "$d/diff-many-new.json"
case_ diff-interleaved    "$skygen" diff "$d/diff-interleaved-old.json" "$d/diff-interleaved-new.json"
case_ diff-reversed       "$skygen" diff "$d/diff-reversed-old.json" "$d/diff-reversed-new.json"
case_ diff-sparse         "$skygen" diff "$d/diff-sparse-old.json" "$d/diff-sparse-new.json"
case_ diff-keys           "$skygen" diff "$d/diff-keys-old.json" "$d/diff-keys-new.json"
case_ diff-objects        "$skygen" diff "$d/diff-objects-old.json" "$d/diff-objects-new.json"
case_ diff-objects-md     "$skygen" diff --format markdown "$d/diff-objects-old.json" "$d/diff-objects-new.json"
case_ diff-one-big-json    "$skygen" diff --format json "$d/diff-one-big-old.json" "$d/diff-one-big-new.json"
case_ check-objects       "$skygen" check "$d/diff-objects-old.json" "$d/diff-objects-new.json"
case_ check-routes        "$skygen" check "$d/check-routes-a.json" "$d/check-routes-b.json"
