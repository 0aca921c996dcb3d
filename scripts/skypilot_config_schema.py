#!/usr/bin/env python3
"""Dump one SkyPilot release's server config schema as draft-07 JSON (maintainer tool).

Run by scripts/skypilot-config-schemas.sh, never by tests or CI. It imports
the release unpacked in ROOT (ROOT/sky first on the path; the dependencies come
from the venv), calls the release's own `sky.utils.schemas.get_config_schema()`
the way the API server sees it, and prints minified JSON.

Server view: `IS_SKYPILOT_SERVER` is set and, from 0.12 on, the plugin-extensible
blocks (`kubernetes`, `jobs`, `serve`, ...) are closed, as they are on the server
once plugins have loaded (every request runs with them closed).

Normalisation to plain draft-07 (the Rust validator ignores unknown keywords):
* `case_insensitive_enum: [v...]` becomes an anchored case-insensitive `pattern`;
  the list is kept as `x-case-insensitive-enum` for messages;
* `case_sensitive_enum: [v...]` becomes `enum`;
* `$schema` becomes draft-07 (SkyPilot validates with a Draft7Validator anyway);
* Python-only regex syntax in `pattern` is rewritten (`\\Z` -> `$`, `(?a)` dropped).

SkyPilot is Apache-2.0; the output is derived from its code.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import zipfile

DRAFT7 = 'http://json-schema.org/draft-07/schema#'
META = set('\\.+*?()|[]{}^$#&-~')


def escape(text):
    return ''.join('\\' + c if c in META else c for c in text)


def portable_regex(pattern):
    """A Python regex as one Rust and ECMA-style engines read the same way: `\\Z` (end of
    text) becomes `$`, the ASCII/Unicode/locale flags go and a leading flag group is scoped
    (`(?ai)x\\Z` -> `(?i:x$)`)."""
    pattern = pattern.replace('\\Z', '$')

    def flags(m):
        kept = ''.join(c for c in m.group(1) if c not in 'auL')
        return f'(?{kept})' if kept else ''

    pattern = re.sub(r'\(\?([aiLmsux]+)\)', flags, pattern)
    # A leading global flag group becomes a scoped one: `(?i)x` -> `(?i:x)`, which the draft-07
    # meta-schema's regex format (ECMA-262 with modifiers) accepts.
    m = re.match(r'\(\?([imsx]+)\)', pattern)
    if m:
        pattern = f'(?{m.group(1)}:{pattern[m.end():]})'
    return pattern


def normalise(node):
    if isinstance(node, list):
        return [normalise(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    extra = []
    for key, value in node.items():
        if key == 'case_insensitive_enum':
            alternation = '|'.join(escape(str(v)) for v in value)
            extra.append({'pattern': f'^(?i:{alternation})$'})
            out['x-case-insensitive-enum'] = list(value)
        elif key == 'case_sensitive_enum':
            extra.append({'enum': list(value)})
        elif key == '$schema':
            out[key] = DRAFT7
        elif key == 'pattern' and isinstance(value, str):
            out[key] = portable_regex(value)
        else:
            out[key] = normalise(value)
    for piece in extra:
        (name, value), = piece.items()
        if name in out:
            out.setdefault('allOf', []).append(piece)
        else:
            out[name] = value
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--root', required=True, help='directory holding the release\'s sky/')
    ap.add_argument('--package', required=True)
    ap.add_argument('--version', required=True)
    ap.add_argument('--wheel', required=True, help='the wheel file installed')
    ap.add_argument('--command', required=True, help='command line recorded in the header')
    args = ap.parse_args()

    os.environ['IS_SKYPILOT_SERVER'] = '1'
    sky_dir = os.path.join(args.root, 'sky')
    with open(os.path.join(sky_dir, '__init__.py'), encoding='utf-8') as f:
        init = f.read()
    version = re.search(r"^__version__ = '([^']+)'", init, re.M).group(1)
    commit = re.search(r"^_SKYPILOT_COMMIT_SHA = '([^']+)'", init, re.M).group(1)
    sys.path.insert(0, args.root)
    import sky  # pylint: disable=import-outside-toplevel
    if os.path.dirname(os.path.abspath(sky.__file__)) != os.path.abspath(sky_dir):
        sys.exit(f'imported {sky.__file__}, not the release in {sky_dir}')
    from sky.utils import schemas  # pylint: disable=import-outside-toplevel
    if hasattr(schemas, '_allow_additional_properties'):
        # The server once plugins are loaded (0.12+): plugin-extensible blocks closed.
        schemas._allow_additional_properties = lambda: False
    schema = normalise(schemas.get_config_schema())

    if version != args.version:
        sys.exit(f'{args.package}=={args.version} says it is {version}')
    with open(args.wheel, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    # When the release was built: what a nightly's date is compared with.
    with zipfile.ZipFile(args.wheel) as z:
        y, m, d = z.getinfo('sky/__init__.py').date_time[:3]
    from importlib import metadata  # pylint: disable=import-outside-toplevel
    header = {
        '$comment': (
            f'Generated by `{args.command}`: get_config_schema() of '
            f'{args.package}=={args.version} from PyPI, server view (IS_SKYPILOT_SERVER set, '
            'plugins loaded), normalised to draft-07 (case_insensitive_enum -> pattern + '
            'x-case-insensitive-enum, case_sensitive_enum -> enum). Derived from SkyPilot '
            '(Apache-2.0). Do not edit.'),
        'x-skypilot': {
            'package': args.package,
            'version': args.version,
            'commit': commit,
            'built': f'{y:04}-{m:02}-{d:02}',
            'wheel': os.path.basename(args.wheel),
            'wheel_sha256': sha,
            'python_jsonschema': metadata.version('jsonschema'),
        },
    }
    header.update(schema)
    json.dump(header, sys.stdout, separators=(',', ':'), sort_keys=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
