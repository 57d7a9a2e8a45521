#!/usr/bin/env python3
"""Peer comparison: the same ticket workload through Python's `eventsourcing`
library (SQLite recorder) and through TicketLedger, in the same run.

N tickets, nine events each (registered, SLA attached, assigned, work started,
escalated, work started, resolved, satisfaction, closed); each ticket is built
in memory and saved as one transaction; then every event is read back in order
and folded into a projection (TicketLedger: its standard projections).

    python3 Benchmarks/peer-eventsourcing.py [TICKETS]

Needs `pip install eventsourcing` (the script says so if it is missing) and
builds the TicketLedger side (Benchmarks' PeerWorkload) in release mode.
"""
import json, os, subprocess, sys, tempfile, time

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:
    sys.exit("eventsourcing is not installed: pip install eventsourcing")


class Ticket(Aggregate):
    @event("Registered")
    def __init__(self, number, channel, caller, title, category, service, items, impact, urgency, priority):
        self.number, self.status, self.group, self.line = number, "new", None, 1
        self.caller, self.title, self.category, self.service, self.items = caller, title, category, service, items
        self.priority = priority

    @event("SLAAttached")
    def attach_sla(self, policy, response_due, resolution_due):
        self.sla = (policy, response_due, resolution_due)

    @event("Assigned")
    def assign(self, group, line, agent):
        self.group, self.line, self.agent, self.status = group, line, agent, "assigned"

    @event("WorkStarted")
    def start_work(self, agent):
        self.agent, self.status = agent, "in progress"

    @event("Escalated")
    def escalate(self, to_line, group, reason):
        self.line, self.group, self.agent, self.status = to_line, group, None, "assigned"

    @event("Resolved")
    def resolve(self, code, line):
        self.status = "resolved"

    @event("SatisfactionRecorded")
    def rate(self, score):
        self.score = score

    @event("Closed")
    def close(self, code):
        self.status = "closed"


class Desk(Application):
    pass


def python_side(count, folder):
    os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
    os.environ["SQLITE_DBNAME"] = os.path.join(folder, "desk.sqlite")
    app = Desk()
    started = time.perf_counter()
    for index in range(count):
        ticket = Ticket(f"INC-{index + 1}", "phone", f"caller-{index % 400}", f"Till {index % 40} frozen",
                        "Hardware", "Point of Sale", [f"POS-{index % 40}"], 2, 1, 2)
        ticket.attach_sla("standard", 0, 0)
        ticket.assign("Service Desk", 1, "op-1")
        ticket.start_work("op-1")
        ticket.escalate(2, "2nd Line", "beyond first line")
        ticket.start_work("sl-1")
        ticket.resolve("replaced", 2)
        ticket.rate(4)
        ticket.close("confirmed")
        app.save(ticket)
    append_seconds = time.perf_counter() - started
    # Replay: every event in order, decoded and folded into a projection.
    started = time.perf_counter()
    statuses, events, start = {}, 0, 1
    while True:
        section = app.recorder.select_notifications(start=start, limit=1000)
        if not section:
            break
        for notification in section:
            domain_event = app.mapper.to_domain_event(notification)
            name = type(domain_event).__name__
            statuses[domain_event.originator_id] = name
            events += 1
        start = section[-1].id + 1
    replay_seconds = time.perf_counter() - started
    assert sum(1 for s in statuses.values() if s == "Closed") == count
    return {"system": "eventsourcing (Python, SQLite)", "tickets": count, "events": events,
            "appendEventsPerSecond": int(events / append_seconds), "replayEventsPerSecond": int(events / replay_seconds)}


def swift_side(count, folder):
    root = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(["swift", "build", "-c", "release", "--product", "PeerWorkload", "--package-path", root], check=True,
                   stdout=subprocess.DEVNULL)
    binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path", "--package-path", root], check=True,
                            capture_output=True, text=True).stdout.strip()
    output = subprocess.run([os.path.join(binary, "PeerWorkload"), os.path.join(folder, "ledger"), str(count)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        results = [python_side(count, folder), swift_side(count, folder)]
    for result in results:
        print(json.dumps(result))
    python, swift = results
    print(f"TicketLedger / eventsourcing: appends {swift['appendEventsPerSecond'] / python['appendEventsPerSecond']:.1f}x, "
          f"replay {swift['replayEventsPerSecond'] / python['replayEventsPerSecond']:.1f}x")


if __name__ == "__main__":
    main()
