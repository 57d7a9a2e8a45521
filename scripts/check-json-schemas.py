#!/usr/bin/env python3
"""Validates sample documents (scripts/json-samples.sh) against docs/schemas:
each OUT/COMMAND.LEDGER.json against docs/schemas/COMMAND.schema.json (the
`jsonschema` package, draft 2020-12). Prints one line per document that does
not validate, and exits 1 if any; a command without a schema is an error too.

    python3 scripts/check-json-schemas.py SAMPLES-DIR [SCHEMAS-DIR]
"""
import glob, json, os, sys

import jsonschema


def main(samples, schemas):
    failures, checked = 0, 0
    for path in sorted(glob.glob(os.path.join(samples, "*.json"))):
        command = os.path.basename(path).split(".")[0]
        schema_path = os.path.join(schemas, f"{command}.schema.json")
        if not os.path.exists(schema_path):
            print(f"{path}: no schema {schema_path}")
            failures += 1
            continue
        validator = jsonschema.Draft202012Validator(json.load(open(schema_path)))
        errors = sorted(validator.iter_errors(json.load(open(path))), key=lambda e: list(e.absolute_path))
        for error in errors[:3]:
            where = "/".join(str(p) for p in error.absolute_path) or "(top)"
            print(f"{path}: {where}: {error.message}")
        failures += bool(errors)
        checked += 1
    print(f"{checked} documents checked, {failures} invalid")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "docs", "schemas")))
