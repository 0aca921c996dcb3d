#!/usr/bin/env python3
"""Regenerate schema/kubernetes.jsonl: the Kubernetes API types skygen checks its output against.

Usage: python3 scripts/kube-schemas.py          # rewrite schema/kubernetes.jsonl
       python3 scripts/kube-schemas.py --check  # exit 1 if the committed file is stale

Input: the per-version "standalone-strict" JSON schemas that the PyPI package
kubernetes-validate ships (pinned in tests/oracles/install.sh, which installs it). They are
generated from the Kubernetes OpenAPI spec of each release.

Output: for each supported version (VERSIONS), only the definitions of the kinds skygen can emit
(KINDS: every kind in templates/ and overlays/, plus kinds a user overlay commonly adds) and the
definitions they reach through $ref, in a compact form that keeps exactly what the schema
validates and drops the rest (descriptions, x-kubernetes-* hints, the apiVersion/kind enums,
which skygen matches on when it picks the definition):

  "string" | "integer" | "number" | "boolean"    a scalar; an integer may be "int32" or "int64"
  "int-or-string" | "quantity"                    IntOrString (string or integer) and Quantity
                                                  (string or number)
  "any"                                           anything (apiextensions JSON)
  "object"                                        any mapping (RawExtension, FieldsV1)
  "#NAME"                                         the definition NAME
  {"list": T}  {"map": T}                         an array of T; a mapping of strings to T
  {"props": {FIELD: T}, "req": [FIELD, ...]}      an object with exactly these fields
                                                  (strict: any other field is an error)

Every type accepts null, as in the source schemas, except that a required field must be present.

The file is JSON Lines, so that skygen parses only what it uses: the first line is the header
({"about", "versions", "kinds": {"apiVersion/Kind": NAME}, "defs"}), then one definition body
per line. Bodies identical in several versions are stored once: "defs" maps a name to its
body's number (0 is the line after the header), one number for all versions or a list with one
per version (null: not in it).
"""

import importlib.metadata
import json
import os
import sys

VERSIONS = ["1.30", "1.31", "1.32", "1.33", "1.34", "1.35"]

# apiVersion, kind. Templates and built-in overlays first, then common user-overlay kinds.
KINDS = [
    ("v1", "Namespace"), ("v1", "ServiceAccount"), ("v1", "Secret"), ("v1", "ConfigMap"),
    ("v1", "PersistentVolumeClaim"), ("v1", "Service"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("apps/v1", "Deployment"), ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("storage.k8s.io/v1", "StorageClass"),
    # Common in a user's overlay.
    ("v1", "Pod"), ("v1", "LimitRange"), ("v1", "ResourceQuota"),
    ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"), ("batch/v1", "CronJob"),
    ("policy/v1", "PodDisruptionBudget"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "schema", "kubernetes.jsonl")
PREFIXES = ["io.k8s.api.", "io.k8s.apimachinery.pkg.apis.", "io.k8s.apimachinery.pkg.",
            "io.k8s.apiextensions-apiserver.pkg.apis."]


def short(name):
    for p in PREFIXES:
        if name.startswith(p):
            return name[len(p):]
    return name


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def compact(node, name):
    """The compact type of a schema node (see the module docstring)."""
    if "$ref" in node:
        return "#" + short(ref_name(node["$ref"]))
    if "oneOf" in node:
        kinds = sorted(t for b in node["oneOf"] for t in as_list(b.get("type")) if t != "null")
        if kinds == ["integer", "string"]:
            return "int-or-string"
        if kinds == ["number", "string"]:
            return "quantity"
        raise SystemExit(f"{name}: unexpected oneOf {node['oneOf']}")
    types = [t for t in as_list(node.get("type")) if t != "null"]
    if not types:
        return "any"
    if len(types) != 1:
        raise SystemExit(f"{name}: several types {types}")
    t = types[0]
    if t == "object":
        props = node.get("properties")
        extra = node.get("additionalProperties", False)
        if props is not None:
            if extra is not False:
                raise SystemExit(f"{name}: properties and additionalProperties")
            out = {"props": {k: compact(v, f"{name}.{k}") for k, v in props.items()}}
            if node.get("required"):
                out["req"] = node["required"]
            return out
        if isinstance(extra, dict):
            return {"map": compact(extra, name + ".*")}
        return "object"
    if t == "array":
        return {"list": compact(node.get("items", {}), name + "[]")}
    if t == "integer" and node.get("format") in ("int32", "int64"):
        return node["format"]
    if t in ("string", "integer", "number", "boolean"):
        return t
    raise SystemExit(f"{name}: unexpected type {t}")


def as_list(t):
    if t is None:
        return []
    return t if isinstance(t, list) else [t]


def refs(body, out):
    if isinstance(body, str):
        if body.startswith("#"):
            out.add(body[1:])
    elif isinstance(body, dict):
        for v in body.values():
            refs(v, out)


def schema_dir():
    import kubernetes_validate
    return os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")


def load_version(base, version):
    path = os.path.join(base, f"v{version}.0-local-strict", "_definitions.json")
    with open(path) as f:
        raw = json.load(f)["$defs"]
    by_gvk = {}
    for name, d in raw.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            by_gvk[(api, gvk["kind"])] = name
    kinds, defs = {}, {}
    todo = []
    for api, kind in KINDS:
        name = by_gvk.get((api, kind))
        if name is None:
            raise SystemExit(f"Kubernetes {version} has no {api} {kind}")
        kinds[f"{api}/{kind}"] = short(name)
        todo.append(name)
    full = {short(n): n for n in raw}
    while todo:
        name = todo.pop()
        s = short(name)
        if s in defs:
            continue
        body = compact(raw[name], s)
        defs[s] = body
        found = set()
        refs(body, found)
        todo.extend(full[r] for r in sorted(found) if r not in defs)
    return kinds, defs


def generate():
    base = schema_dir()
    pkg = importlib.metadata.version("kubernetes-validate")
    kinds = None
    per_version = []
    for v in VERSIONS:
        k, d = load_version(base, v)
        if kinds is not None and k != kinds:
            raise SystemExit(f"kind definitions differ in {v}; extend the format")
        kinds = k
        per_version.append(d)
    bodies, index = [], {}
    defs = {}
    for name in sorted({n for d in per_version for n in d}):
        ids = []
        for d in per_version:
            if name not in d:
                ids.append(None)
                continue
            key = json.dumps(d[name], sort_keys=True)
            if key not in index:
                index[key] = len(bodies)
                bodies.append(d[name])
            ids.append(index[key])
        defs[name] = ids[0] if all(i == ids[0] for i in ids) else ids
    header = {
        "about": f"Generated by scripts/kube-schemas.py from kubernetes-validate {pkg} "
                 "(standalone-strict schemas, themselves from the Kubernetes OpenAPI spec). "
                 "Do not edit: run the script.",
        "versions": VERSIONS,
        "kinds": kinds,
        "defs": defs,
    }
    lines = [json.dumps(header, separators=(",", ":"))]
    lines += [json.dumps(b, separators=(",", ":")) for b in bodies]
    return "\n".join(lines) + "\n"


def main(argv):
    text = generate()
    if argv[1:] == ["--check"]:
        with open(OUT) as f:
            if f.read() != text:
                print("schema/kubernetes.jsonl is stale: run python3 scripts/kube-schemas.py")
                return 1
        print("schema/kubernetes.jsonl is current")
        return 0
    if argv[1:]:
        print(__doc__)
        return 2
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
