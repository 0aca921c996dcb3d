#!/usr/bin/env python3
"""Oracle for skygen output: usage `check.py STREAM.yaml LIST.json`.

(a) PyYAML's safe_load_all (YAML 1.1, like kubectl's reader: `yes`, `on`,
    `0755`, `1e3`, `2001-12-14` are not strings) must read the YAML stream as
    exactly the `items` of the JSON List, types included.
(b) Every item must pass kubernetes-validate in strict mode (no unknown
    fields) for each Kubernetes version in VERSIONS.

Prints every failure and exits 1, or prints one summary line and exits 0.
Exit 2 for usage errors or when kubernetes-validate/PyYAML are missing.
"""

import datetime
import json
import sys

try:
    import yaml
    import kubernetes_validate
    from kubernetes_validate.utils import all_versions, major_minor
except ImportError as e:
    print(f"check.py: {e}: run tests/oracles/install.sh first")
    sys.exit(2)

VERSIONS = ["1.30", "1.35"]
# Custom resources have no built-in schema; tests/gateway.rs validates them against their CRDs
# (tests/fixtures/crds). Here they only go through the YAML readers.
CRD_GROUPS = (
    "gateway.networking.k8s.io/",
    "gateway.envoyproxy.io/",
    "networking.gke.io/",
    "monitoring.coreos.com/",  # tests/monitoring_stack.rs
)


def describe(v):
    if isinstance(v, (datetime.date, datetime.datetime)):
        return f"{v.isoformat()} ({type(v).__name__})"
    shown = json.dumps(v) if isinstance(v, str) else repr(v)
    return f"{shown} ({type(v).__name__})"


def diff(path, y, j, out):
    """Append to out every path where y (from YAML) differs from j (from JSON).
    Types must match exactly: True != 1, 1 != 1.0 unless JSON wrote 1.0."""
    if isinstance(y, dict) and isinstance(j, dict):
        for k in sorted(set(y) | set(j), key=str):
            p = f"{path}.{k}"
            if k not in y:
                out.append(f"{p}: absent in yaml, json has {describe(j[k])}")
            elif k not in j:
                out.append(f"{p}: yaml read {describe(y[k])}, absent in json")
            else:
                diff(p, y[k], j[k], out)
    elif isinstance(y, list) and isinstance(j, list):
        if len(y) != len(j):
            out.append(f"{path}: yaml has {len(y)} elements, json has {len(j)}")
        for i, (a, b) in enumerate(zip(y, j)):
            diff(f"{path}[{i}]", a, b, out)
    elif type(y) is not type(j) or y != j:
        # int vs float: JSON 1.0 loads as float, YAML 1.0 as float too; a
        # mismatch here means the two outputs spell the number differently.
        out.append(f"{path}: yaml read {describe(y)}, json has {describe(j)}")


def name_of(item):
    if not isinstance(item, dict):
        return f"<{type(item).__name__}>"
    md = item.get("metadata") or {}
    return f"{item.get('kind')}/{md.get('name') if isinstance(md, dict) else '?'}"


def main(argv):
    if len(argv) != 3:
        print("usage: check.py STREAM.yaml LIST.json")
        return 2
    stream_path, list_path = argv[1], argv[2]
    failures = []

    try:
        with open(list_path, encoding="utf-8") as f:
            lst = json.load(f)
    except ValueError as e:
        print(f"FAIL {list_path}: not JSON: {e}")
        return 1
    if not (isinstance(lst, dict) and lst.get("apiVersion") == "v1" and lst.get("kind") == "List"
            and isinstance(lst.get("items"), list)):
        failures.append(f"{list_path}: not a v1 List with an items array")
        items = []
    else:
        items = lst["items"]

    # (a) YAML 1.1 reading must give the JSON items, types included.
    try:
        with open(stream_path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        failures.append(f"{stream_path}: PyYAML cannot parse: {e}")
        docs = None
    if docs is not None:
        if len(docs) != len(items):
            failures.append(f"{stream_path} has {len(docs)} documents, {list_path} has {len(items)} items")
        for i, (y, j) in enumerate(zip(docs, items)):
            out = []
            diff(f"items[{i}]", y, j, out)
            failures += [f"pyyaml {name_of(j)}: {d}" for d in out]

    # (b) strict schema validation of each JSON item.
    have = all_versions()
    newest = major_minor(have[-1])
    versions = []
    for v in VERSIONS:
        if v not in {major_minor(h) for h in have}:
            print(f"check.py: kubernetes-validate {kubernetes_validate.__version__} has no {v} schemas; "
                  f"using {newest} instead")
            v = newest
        if v not in versions:
            versions.append(v)
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "apiVersion" not in item or "kind" not in item:
            failures.append(f"items[{i}]: not an object with apiVersion and kind")
            continue
        if str(item["apiVersion"]).startswith(CRD_GROUPS):
            continue
        for v in versions:
            try:
                kubernetes_validate.validate(item, v, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                failures.append(f"k8s {v} strict items[{i}] {name_of(item)}: {path or '<root>'}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError as e:
                failures.append(f"k8s {v} items[{i}] {name_of(item)}: {e.message}")
            except Exception as e:  # InvalidSchemaError, VersionNotSupportedError, ...
                msg = getattr(e, "message", None) or str(e)
                failures.append(f"k8s {v} items[{i}] {name_of(item)}: {type(e).__name__}: {msg}")

    if failures:
        for f in failures:
            print(f"FAIL {f}")
        print(f"check.py: {len(failures)} failure(s) in {stream_path} / {list_path}")
        return 1
    print(f"check.py: OK: {len(items)} documents; PyYAML 1.1 read equals JSON; strict schemas valid "
          f"for Kubernetes {', '.join(versions)} (kubernetes-validate {kubernetes_validate.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
