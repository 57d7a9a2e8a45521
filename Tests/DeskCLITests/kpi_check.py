"""The KPIs of a real desk export, computed without TicketLedger (csv module only).

    python3 kpi_check.py helpdesk|bpi2013|servicenow FILE

prints one JSON object. What each log means is written out here again, from its
description (../shared/data/README.md) and the KPI definitions (Projections'
article "KPI definitions"), not taken from the project's code:

- helpdesk: an event log. A ticket opens at its first event, whatever it is.
  "Take in charge ticket" starts work, "Wait" suspends, "Resolve ticket"
  resolves, "Closed" closes; other activities change no status. A ticket that
  is resolved or closed and is then worked on, suspended or resolved again was
  reopened (the log has no reopen activity). The log records no assignment or
  escalation, so first-contact and first-line resolution, escalation and
  reassignment cannot be judged (null).
- bpi2013: status snapshots; the state is "status/sub-status". A problem opens
  at its first row in its first row's group; a change of group is a
  reassignment, or an escalation when the line ("organization involved": 2nd,
  3rd) rises; Completed/Closed resolves and closes, Completed/Cancelled cancels;
  a row that is not Completed after a Completed one reopens.
- servicenow: status snapshots with the export's own counters: reopened =
  reopen_count > 0 on the last row, reassigned = reassignment_count > 0, SLA
  made = made_sla on the last row, time to resolve = resolved_at - opened_at at
  the first resolution; the rates are over the resolved incidents (the
  projections judge them at the first resolution), the recorded SLA over the
  closed ones, the backlog counts incidents neither Resolved nor Closed.

Weeks start on Monday (UTC). Durations are whole seconds.
"""
import csv
import datetime
import json
import sys

kind, path = sys.argv[1], sys.argv[2]
UTC = datetime.timezone.utc


def week(t):
    day = t.date() - datetime.timedelta(days=t.weekday())
    return day.isoformat()


def percentile(values, p):
    """The value at percentile p (nearest rank), as an HDR histogram reports it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def rate(part, whole):
    return None if whole == 0 else part / whole


def read(time_column, parse):
    cases = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            row["_time"] = parse(row[time_column])
            row["_line"] = line
            cases.setdefault(row[case_column], []).append(row)
    return cases


result = {}
inflow = {}
ttr = []
if kind == "helpdesk":
    case_column = "Case ID"
    cases = read("Complete Timestamp", lambda s: datetime.datetime.strptime(s, "%Y/%m/%d %H:%M:%S.%f").replace(tzinfo=UTC))
    status_of = {"Take in charge ticket": "inProgress", "Wait": "suspended", "Resolve ticket": "resolved", "Closed": "closed"}
    resolved = reopened = reopened_tickets = first_resolutions = backlog = 0
    for rows in cases.values():
        rows.sort(key=lambda r: (r["_time"], r["_line"]))
        opened = rows[0]["_time"]
        inflow[week(opened)] = inflow.get(week(opened), 0) + 1
        status, resolutions, reopens = "new", 0, 0
        for row in rows:
            activity = row["Activity"]
            new = status_of.get(activity, status)
            if status in ("resolved", "closed") and (new in ("new", "inProgress", "suspended") or activity == "Resolve ticket"):
                reopened += 1
                reopens += 1
                if reopens == 1:
                    reopened_tickets += 1
                inflow[week(row["_time"])] = inflow.get(week(row["_time"]), 0) + 1
            if activity == "Resolve ticket":
                resolved += 1
                if resolutions == 0:
                    first_resolutions += 1
                    ttr.append(int((row["_time"] - opened).total_seconds()))
                resolutions += 1
            status = new
        if status in ("new", "inProgress", "suspended"):
            backlog += 1
    result.update(
        registered=len(cases), resolved=resolved, firstResolutions=first_resolutions, reopened=reopened,
        firstContactResolutionRate=None, firstLineResolutionRate=None, escalationRate=None, reassignmentRate=None,
        reopenRate=rate(reopened, resolved),
        reopenedTicketRate=rate(reopened_tickets, first_resolutions), backlog=backlog)

elif kind == "bpi2013":
    case_column = "case:concept:name"
    cases = read("time:timestamp", datetime.datetime.fromisoformat)
    states = {"Queued/Awaiting Assignment": "new", "Accepted/Assigned": "new", "Accepted/In Progress": "active", "Accepted/Wait": "suspended",
              "Completed/Closed": "closed", "Completed/Cancelled": "cancelled", "Unmatched/Unmatched": "new"}
    lines = {"2nd": 2, "3rd": 3}
    finished = ("closed", "cancelled")
    resolved = reopened = reopened_tickets = first_resolutions = backlog = 0
    fcr = flr = escalated = reassigned = 0
    for rows in cases.values():
        rows.sort(key=lambda r: (r["_time"], r["_line"]))
        opened = rows[0]["_time"]
        inflow[week(opened)] = inflow.get(week(opened), 0) + 1
        state, group, line = None, None, 1
        assignments = escalations = resolutions = reopens = 0
        for row in rows:
            new = states[row["concept:name"] + "/" + row["lifecycle:transition"]]
            row_line = lines.get(row["organization involved"].split(" ")[-1]) if row["organization involved"] else None
            if state is None:
                line = row_line or line
                if row["org:group"]:
                    assignments += 1
                group = row["org:group"] or None
                state = "new"
            elif row["org:group"] and row["org:group"] != group:
                to = row_line or line
                if to > line:
                    escalations += 1
                else:
                    assignments += 1
                line, group = to, row["org:group"]
            if state in finished and new not in finished:
                reopened += 1
                reopens += 1
                if reopens == 1:
                    reopened_tickets += 1
                inflow[week(row["_time"])] = inflow.get(week(row["_time"]), 0) + 1
                state = "new"
            if new == "closed" and state not in finished:
                resolved += 1
                if resolutions == 0:
                    first_resolutions += 1
                    ttr.append(int((row["_time"] - opened).total_seconds()))
                    fcr += assignments == 0 and escalations == 0 and line == 1
                    flr += escalations == 0 and line == 1
                    escalated += escalations > 0
                    reassigned += assignments > 1
                resolutions += 1
            state = new
        if state in ("new", "active", "suspended"):
            backlog += 1
    result.update(
        registered=len(cases), resolved=resolved, firstResolutions=first_resolutions, reopened=reopened,
        firstContactResolutionRate=rate(fcr, first_resolutions), firstLineResolutionRate=rate(flr, first_resolutions),
        escalationRate=rate(escalated, first_resolutions), reassignmentRate=rate(reassigned, first_resolutions),
        reopenRate=rate(reopened, resolved), reopenedTicketRate=rate(reopened_tickets, first_resolutions), backlog=backlog)

elif kind == "servicenow":
    case_column = "number"
    parse = lambda s: datetime.datetime.strptime(s, "%d-%m-%Y %H:%M").replace(tzinfo=UTC)
    cases = read("sys_updated_at", parse)
    resolved_incidents = closed = reopened = reassigned = sla_made = backlog = 0
    closed_by_priority = {}
    cis = set()
    for rows in cases.values():
        rows.sort(key=lambda r: (r["_time"], int(r["sys_mod_count"]), r["_line"]))
        last = rows[-1]
        opened = parse(rows[0]["opened_at"])
        inflow[week(opened)] = inflow.get(week(opened), 0) + 1
        for previous, row in zip(rows, rows[1:]):
            if previous["incident_state"] in ("Resolved", "Closed") and row["incident_state"] not in ("Resolved", "Closed"):
                inflow[week(row["_time"])] = inflow.get(week(row["_time"]), 0) + 1
        first = next((r for r in rows if r["incident_state"] in ("Resolved", "Closed")), None)
        if first is not None:
            resolved_incidents += 1
            ttr.append(int((parse(first["resolved_at"]) - opened).total_seconds()))
            reopened += int(last["reopen_count"]) > 0
            reassigned += int(last["reassignment_count"]) > 0
        if last["incident_state"] == "Closed":
            closed += 1
            sla_made += last["made_sla"] == "TRUE"
            priority = last["priority"].split(" ")[0]
            closed_by_priority[priority] = closed_by_priority.get(priority, 0) + 1
        if last["incident_state"] not in ("Resolved", "Closed"):
            backlog += 1
        cis.update(r["cmdb_ci"] for r in rows if r["cmdb_ci"] != "?")
    result.update(
        registered=len(cases), firstResolutions=resolved_incidents, reopenedTicketRate=rate(reopened, resolved_incidents),
        reassignmentRate=rate(reassigned, resolved_incidents), recordedSLAComplianceRate=rate(sla_made, closed), backlog=backlog,
        closedByPriority=closed_by_priority, configurationItems=sorted(cis))

result["inflow"] = inflow
result["meanTimeToResolveSeconds"] = sum(ttr) / len(ttr) if ttr else None
result["medianTimeToResolveSeconds"] = percentile(ttr, 50)
result["p90TimeToResolveSeconds"] = percentile(ttr, 90)
print(json.dumps(result))
