package import CoreMetrics

/// The names of the metrics TicketLedger reports through swift-metrics (see
/// <doc:Metrics>), in one place for dashboards and tests.
public enum LedgerMetricLabel {
    /// Timer: each append, from the call to its answer (waiting for the writer
    /// included). Dimension `backend`: `lmdb` or `postgresql`.
    public static let appendDuration = "ticketledger_append_duration_seconds"
    /// Recorder: the appends one group commit took (its batch). Dimension `backend`.
    public static let commitAppends = "ticketledger_commit_appends"
    /// Recorder: the events one group commit wrote (none for a retried, stored
    /// batch or a refused append). Dimension `backend`.
    public static let commitEvents = "ticketledger_commit_events"
    /// Counter: appends that failed (answered with an error). Dimension `backend`.
    public static let appendFailures = "ticketledger_append_failures_total"
    /// Gauge: an LMDB ledger's map size in bytes (it grows by itself up to
    /// ``EventLogConfiguration/maximumMapSize``).
    public static let mapSize = "ticketledger_map_size_bytes"
    /// Gauge: the bytes of the map an LMDB ledger uses (up to its last page).
    public static let mapUsed = "ticketledger_map_used_bytes"
    /// Gauge: the position a `LiveProjection` has applied.
    public static let projectionPosition = "ticketledger_projection_position"
    /// Gauge: how many events a `LiveProjection` is behind the ledger's last position.
    public static let projectionLag = "ticketledger_projection_lag_events"
    /// Counter: the events a `LiveProjection` applied (their rate is its speed).
    public static let projectionEvents = "ticketledger_projection_events_total"
    /// Counter: commands a `Desk` decided again because another writer changed
    /// the ticket (or took the number) first.
    public static let conflictRetries = "ticketledger_desk_conflict_retries_total"
    /// Counter: rows an import read. Dimensions `format` (`csv`, `jsonl`) and
    /// `outcome` (`imported`, `skipped`).
    public static let importRows = "ticketledger_import_rows_total"
}

/// The append metrics of one backend's group-commit writer (written once, for both).
package struct AppendMetrics: Sendable {
    private let duration: Timer
    private let appends: Recorder
    private let events: Recorder
    private let failures: Counter

    /// Metrics of `backend` (`lmdb`, `postgresql`) from `factory`.
    package init(backend: String, factory: any MetricsFactory) {
        let dimensions = [("backend", backend)]
        duration = Timer(label: LedgerMetricLabel.appendDuration, dimensions: dimensions, factory: factory)
        appends = Recorder(label: LedgerMetricLabel.commitAppends, dimensions: dimensions, factory: factory)
        events = Recorder(label: LedgerMetricLabel.commitEvents, dimensions: dimensions, factory: factory)
        failures = Counter(label: LedgerMetricLabel.appendFailures, dimensions: dimensions, factory: factory)
    }

    /// Records a group just committed: its size, the events it wrote, each
    /// append's time since it was queued, and the appends answered with an error.
    func record(_ group: [PendingAppend], outcomes: [AppendOutcome]) {
        let now = ContinuousClock.now
        appends.record(group.count)
        var written = 0
        var failed = 0
        for outcome in outcomes {
            switch outcome {
            case .success(let results): written += results.reduce(0) { $0 + ($1.wasAlreadyStored ? 0 : $1.positions.count) }
            case .failure: failed += 1
            }
        }
        events.record(written)
        for request in group {
            let elapsed = (now - request.queuedAt).components
            duration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        }
        if failed > 0 { failures.increment(by: failed) }
    }
}
