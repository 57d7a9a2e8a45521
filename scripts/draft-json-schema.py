#!/usr/bin/env python3
"""Drafts a JSON Schema (draft 2020-12) for each desk command from sample
documents (scripts/json-samples.sh): a key present in every sample object is
required, numbers are "number", objects admit no other keys (except the free
`attributes` maps). Review the draft by hand before committing it to
docs/schemas: descriptions, enums and bounds are yours to add.

    python3 scripts/draft-json-schema.py SAMPLES-DIR OUT-DIR
"""
import collections, glob, json, os, sys

FREE_MAPS = {"attributes"}  # objects whose keys are data, not fields


def kind(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def merge(values, name=""):
    """A schema every one of `values` satisfies."""
    kinds = sorted({kind(v) for v in values})
    schema = {"type": kinds[0] if len(kinds) == 1 else kinds}
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        if name in FREE_MAPS:
            schema["additionalProperties"] = merge([x for o in objects for x in o.values()] or [""])
        else:
            keys = collections.OrderedDict()
            for o in objects:
                for k in o:
                    keys.setdefault(k, []).append(o[k])
            schema["properties"] = {k: merge(vs, k) for k, vs in sorted(keys.items())}
            schema["required"] = sorted(k for k in keys if all(k in o for o in objects))
            schema["additionalProperties"] = False
    arrays = [v for v in values if isinstance(v, list)]
    items = [x for a in arrays for x in a]
    if arrays and items:
        schema["items"] = merge(items, name)
    return schema


def main(samples, out):
    by_command = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(samples, "*.json"))):
        by_command[os.path.basename(path).split(".")[0]].append(json.load(open(path)))
    os.makedirs(out, exist_ok=True)
    for command, documents in sorted(by_command.items()):
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "title": f"desk {command.replace('-', ' --')} --json"}
        schema.update(merge(documents))
        schema["properties"]["schemaVersion"] = {"const": 1}
        with open(os.path.join(out, f"{command}.schema.json"), "w") as f:
            json.dump(schema, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
