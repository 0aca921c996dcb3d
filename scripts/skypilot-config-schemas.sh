#!/usr/bin/env bash
# Regenerate schema/skypilot/config-VERSION.json: the SkyPilot server config schema of each
# release, as the API server validates `~/.sky/config.yaml` (maintainer tool; needs PyPI, so
# tests and CI never run it).
#
#   scripts/skypilot-config-schemas.sh                 # every skypilot release >= 0.10.0 and the newest nightly
#   scripts/skypilot-config-schemas.sh 0.14.1 1.0.0.dev20261027
#
# How: one throw-away venv gets the newest release with its dependencies (what the schema
# module imports: jsonschema, colorama, ...). Each wanted release is then installed with
# `pip install --no-deps --target` into a directory of its own, and
# scripts/skypilot_config_schema.py imports that release's own sky/utils/schemas.py and calls
# get_config_schema() in the server view. Versions named 1.0.0.devYYYYMMDD come from
# skypilot-nightly. A .postN release whose schema equals its release's is not written (releases
# run oldest first, so the release's file is there to compare with). Afterwards: add the versions to src/skyconfig/versions.rs (the list the
# binary embeds) and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
out=schema/skypilot
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
pip=("$py" -m pip --disable-pip-version-check -q)

versions_of() { # PACKAGE [--pre]: every version on PyPI, newest first
    "$py" -m pip --disable-pip-version-check index versions "$@" 2>/dev/null |
        sed -n 's/^Available versions: //p' | tr -d ' ' | tr ',' '\n'
}

mapfile -t releases < <(versions_of skypilot)
"${pip[@]}" install "skypilot==${releases[0]}"
if [ $# -gt 0 ]; then
    wanted=("$@")
else
    mapfile -t wanted < <(printf '%s\n' "${releases[@]}" |
        "$py" -c 'import sys; from packaging.version import Version as V; print("\n".join(sorted((v for v in sys.stdin.read().split() if V(v) >= V("0.10.0")), key=V)))')
    mapfile -t nightlies < <(versions_of skypilot-nightly --pre)
    wanted+=("${nightlies[0]}")
fi

for v in "${wanted[@]}"; do
    case $v in
        1.0.0.dev*) package=skypilot-nightly ;;
        *) package=skypilot ;;
    esac
    "${pip[@]}" download --no-deps -d "$work/wheels/$v" "$package==$v"
    wheel=$(ls "$work/wheels/$v"/*.whl)
    "${pip[@]}" install --no-deps --target "$work/pkgs/$v" "$wheel"
    # A throw-away HOME: importing sky may create ~/.sky.
    HOME="$work/home" "$py" scripts/skypilot_config_schema.py --root "$work/pkgs/$v" --package "$package" \
        --version "$v" --wheel "$wheel" --command "scripts/skypilot-config-schemas.sh $v" \
        >"$out/config-$v.json.tmp"
    mv "$out/config-$v.json.tmp" "$out/config-$v.json"
    base=${v%.post*}
    if [ "$base" != "$v" ] && [ -f "$out/config-$base.json" ] &&
        "$py" - "$out/config-$base.json" "$out/config-$v.json" <<'PY'; then
import json, sys
def body(path):
    d = json.load(open(path))
    d.pop('$comment'); d.pop('x-skypilot')
    return d
sys.exit(0 if body(sys.argv[1]) == body(sys.argv[2]) else 1)
PY
        # skygen reads a post release without a file of its own as its release.
        rm "$out/config-$v.json"
        echo "$v: same schema as $base, not written"
    else
        echo "$out/config-$v.json ($(wc -c <"$out/config-$v.json") bytes)"
    fi
done
