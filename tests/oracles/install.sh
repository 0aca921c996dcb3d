#!/usr/bin/env bash
# Installs what the oracles in tests/oracles need, on Debian 12 as root, and
# builds the Go checker into target/oracles/k8syaml. Also installs checkov (for
# tests/hardened.rs) into its own virtual environment, target/oracles/checkov,
# so its many pinned dependencies never meet kubernetes-validate's. Idempotent: when all is
# already in place it only checks versions and timestamps (well under a second).
#
# Network used: PyPI (pip) and Debian's archive (apt). Nothing else: the Go
# checker builds offline in GOPATH mode against Debian's packaged sources.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY_PINS=("kubernetes-validate==1.37.0" "PyYAML==6.0.3")
APT_PKGS=(golang-go golang-k8s-sigs-yaml-dev)
# Pinned: the hardened overlay's documented failure counts are checkov's at this version.
CHECKOV_PIN="checkov==3.3.30"
PYTHON="${PYTHON:-python3}"

log() { echo "oracles/install.sh: $*" >&2; }

# --- Python: kubernetes-validate + PyYAML, for whichever python3 is on PATH ---
py_ok() {
  "$PYTHON" - "${PY_PINS[@]}" <<'EOF' 2>/dev/null
import sys, importlib.metadata as m
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if m.version(name) != want:
        sys.exit(1)
import yaml, kubernetes_validate  # noqa: F401  (dependencies importable too)
EOF
}
if py_ok; then
  log "python packages already installed (${PY_PINS[*]})"
else
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    log "no pip for $PYTHON: installing python3-pip"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
  fi
  log "pip install ${PY_PINS[*]}"
  pip_install() { "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore "$@" "${PY_PINS[@]}"; }
  # Debian's own python3 refuses (PEP 668) without --break-system-packages.
  pip_install || pip_install --break-system-packages
  py_ok || { log "python packages still not importable after pip install"; exit 1; }
fi

# --- checkov, in a virtual environment of its own ---
VENV="$REPO/target/oracles/checkov"
checkov_ok() {
  [[ -x "$VENV/bin/checkov" ]] && "$VENV/bin/python" - "$CHECKOV_PIN" <<'EOF' 2>/dev/null
import sys, importlib.metadata as m
name, want = sys.argv[1].split("==")
sys.exit(m.version(name) != want)
EOF
}
if checkov_ok; then
  log "checkov already installed ($CHECKOV_PIN)"
else
  rm -rf "$VENV"
  mkdir -p "$REPO/target/oracles"
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian's python3 has no ensurepip without python3-venv.
    log "no venv module for $PYTHON: installing python3-venv"
    rm -rf "$VENV"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$PYTHON" -m venv "$VENV"
  fi
  log "pip install $CHECKOV_PIN (into target/oracles/checkov)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$CHECKOV_PIN"
  checkov_ok || { log "checkov still not importable after pip install"; exit 1; }
fi

# --- Debian packages: Go toolchain and sigs.k8s.io/yaml sources ---
apt_missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$p")
done
if ((${#apt_missing[@]})); then
  # Refresh the package lists only when apt doesn't know the packages yet.
  if ! apt-cache show "${apt_missing[@]}" >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -qq
  fi
  log "apt-get install ${apt_missing[*]}"
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null; }
  # Stale lists can point at files the mirror no longer has: update once and retry.
  apt_install || { apt-get update -qq && apt_install; }
else
  log "apt packages already installed (${APT_PKGS[*]})"
fi

# --- Go checker, built offline in GOPATH mode (no module proxy) ---
SRC="$REPO/tests/oracles/k8syaml/main.go"
OUT="$REPO/target/oracles/k8syaml"
if [[ -x "$OUT" && "$OUT" -nt "$SRC" && "$OUT" -nt "$0" ]]; then
  log "target/oracles/k8syaml is up to date"
else
  log "building target/oracles/k8syaml"
  mkdir -p "$REPO/target/oracles"
  (
    cd "$REPO/tests/oracles/k8syaml"
    env GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
      GOCACHE="${GOCACHE:-$REPO/target/oracles/go-cache}" \
      /usr/bin/go build -o "$OUT" .
  )
fi
log "ready: python3 tests/oracles/check.py, target/oracles/k8syaml and target/oracles/checkov/bin/checkov"
