"""pm4py's directly-follows graph, start and end activities and variants of a
CSV event log, for comparison with `desk flow --json` (FlowTests.swift).

    flow_check.py FILE CASE-COLUMN ACTIVITY-COLUMN TIME-COLUMN TIME-FORMAT

Prints one JSON document: edges as "from\\tto" -> count, start and end
activities -> count, variants ("a\\tb\\t...") -> count.
"""
import contextlib
import io
import json
import sys

import pandas as pd

with contextlib.redirect_stdout(io.StringIO()):
    import pm4py

path, case, activity, time, layout = sys.argv[1:6]
frame = pd.read_csv(path, dtype=str, keep_default_na=False)
frame[time] = pd.to_datetime(frame[time], format=layout, utc=True)
frame = pm4py.format_dataframe(frame, case_id=case, activity_key=activity, timestamp_key=time)
dfg, start, end = pm4py.discover_dfg(frame)
variants = pm4py.get_variants(frame)
print(json.dumps({
    "edges": {f"{a}\t{b}": int(n) for (a, b), n in dfg.items()},
    "start": {a: int(n) for a, n in start.items()},
    "end": {a: int(n) for a, n in end.items()},
    "variants": {"\t".join(v): int(n if isinstance(n, int) else len(n)) for v, n in variants.items()},
    "cases": int(frame["case:concept:name"].nunique()),
}))
