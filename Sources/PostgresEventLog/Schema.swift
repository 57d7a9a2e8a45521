import EventLog

/// The tables of a PostgreSQL ledger, in the schema the configuration names.
///
/// `events` holds one row per record: the record's bytes exactly as LMDB stores
/// them, and beside them the columns the database checks and indexes. Its
/// constraints are the ledger's guarantees, enforced by the server whatever
/// the client does:
/// - `previous_position` must exist: positions are gapless from 1;
/// - `(stream, previous_version)` must exist and `(stream, version)` is unique:
///   stream versions are gapless, and two appends expecting one version cannot
///   both land (optimistic concurrency);
/// - `event_id` is unique (idempotency);
/// - triggers refuse `UPDATE`, `DELETE` and `TRUNCATE`: nothing is ever changed.
struct LedgerSchema: Sendable {
    let name: String

    var events: String { "\"\(name)\".events" }
    var meta: String { "\"\(name)\".meta" }
    /// The proof index: each position's stream version and history.
    var histories: String { "\"\(name)\".histories" }
    /// The proof index: the tree nodes of level 8 and up.
    var tree: String { "\"\(name)\".tree" }
    /// Projection snapshots by key, beside the log (replaced, unlike the log's tables).
    var snapshots: String { "\"\(name)\".snapshots" }
    /// The LISTEN/NOTIFY channel on which commits announce their last position.
    var channel: String { "ticketledger_\(name)" }

    /// The statements that create the ledger; each is idempotent.
    var creation: [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \"\(name)\"",
            """
            CREATE TABLE IF NOT EXISTS \(events) (
                position bigint PRIMARY KEY CHECK (position >= 1),
                stream text COLLATE "C" NOT NULL CHECK (octet_length(stream) BETWEEN 1 AND \(RecordFormat.maximumStreamIDBytes)),
                version bigint NOT NULL CHECK (version >= 1),
                event_id bytea NOT NULL UNIQUE CHECK (octet_length(event_id) = 16),
                record bytea NOT NULL CHECK (octet_length(record) >= \(RecordFormat.headerSize + RecordFormat.hashSize)),
                previous_position bigint GENERATED ALWAYS AS (NULLIF(position - 1, 0)) STORED
                    REFERENCES \(events) (position),
                previous_version bigint GENERATED ALWAYS AS (NULLIF(version - 1, 0)) STORED,
                UNIQUE (stream, version),
                FOREIGN KEY (stream, previous_version) REFERENCES \(events) (stream, version)
            )
            """,
            "CREATE TABLE IF NOT EXISTS \(meta) (key text PRIMARY KEY, value text NOT NULL)",
            """
            CREATE TABLE IF NOT EXISTS \(histories) (
                position bigint PRIMARY KEY REFERENCES \(events) (position),
                version bigint NOT NULL CHECK (version >= 1),
                history bytea NOT NULL CHECK (octet_length(history) = 32)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(tree) (
                level smallint NOT NULL CHECK (level BETWEEN \(ProofIndex.storedLevel) AND 63),
                idx bigint NOT NULL CHECK (idx >= 0),
                hash bytea NOT NULL CHECK (octet_length(hash) = 32),
                PRIMARY KEY (level, idx)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(snapshots) (
                key text COLLATE "C" PRIMARY KEY,
                position bigint NOT NULL CHECK (position >= 1),
                record_hash bytea NOT NULL CHECK (octet_length(record_hash) = 32),
                state bytea NOT NULL
            )
            """,
            "INSERT INTO \(meta) (key, value) VALUES ('format', '\(RecordFormat.formatVersion)') ON CONFLICT (key) DO NOTHING",
            """
            CREATE OR REPLACE FUNCTION "\(name)".refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the TicketLedger event log is append-only: % on %.% is refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """,
            """
            CREATE OR REPLACE FUNCTION "\(name)".append_state(lock_key bigint, ids bytea[], names text[])
            RETURNS TABLE (r_kind int, r_position bigint, r_id bytea, r_hash bytea, r_stream text, r_version bigint)
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                -- Appends of all hosts, one at a time; each statement below then
                -- sees every append committed before the lock was granted.
                PERFORM pg_advisory_xact_lock(lock_key);
                -- 0: the head, and the last position the proof index covers;
                -- 1: the stored ids among the append's;
                -- 2: each stream's version, and its history when indexed.
                RETURN QUERY
                    (SELECT 0, e.position, NULL::bytea, substring(e.record FROM octet_length(e.record) - 31), NULL::text,
                            (SELECT coalesce(max(h.position), 0) FROM \(histories) h)
                     FROM \(events) e ORDER BY e.position DESC LIMIT 1)
                    UNION ALL
                    SELECT 1, e.position, e.event_id, NULL::bytea, e.stream, e.version FROM \(events) e WHERE e.event_id = ANY(ids)
                    UNION ALL
                    -- Each stream's last row through the (stream, version) index, not its whole history.
                    SELECT 2, NULL::bigint, NULL::bytea, h.history, s.name, e.version
                    FROM unnest(names) AS s(name)
                    CROSS JOIN LATERAL (SELECT x.position, x.version FROM \(events) x WHERE x.stream = s.name
                                        ORDER BY x.version DESC LIMIT 1) e
                    LEFT JOIN \(histories) h ON h.position = e.position;
            END
            $$
            """,
            "CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON \(events) FOR EACH ROW EXECUTE FUNCTION \"\(name)\".refuse_change()",
            "CREATE OR REPLACE TRIGGER no_truncate BEFORE TRUNCATE ON \(events) FOR EACH STATEMENT EXECUTE FUNCTION \"\(name)\".refuse_change()",
            "CREATE OR REPLACE TRIGGER meta_append_only BEFORE UPDATE OR DELETE ON \(meta) FOR EACH ROW EXECUTE FUNCTION \"\(name)\".refuse_change()",
            "CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON \(histories) FOR EACH ROW EXECUTE FUNCTION \"\(name)\".refuse_change()",
            "CREATE OR REPLACE TRIGGER no_truncate BEFORE TRUNCATE ON \(histories) FOR EACH STATEMENT EXECUTE FUNCTION \"\(name)\".refuse_change()",
            "CREATE OR REPLACE TRIGGER append_only BEFORE UPDATE OR DELETE ON \(tree) FOR EACH ROW EXECUTE FUNCTION \"\(name)\".refuse_change()",
            "CREATE OR REPLACE TRIGGER no_truncate BEFORE TRUNCATE ON \(tree) FOR EACH STATEMENT EXECUTE FUNCTION \"\(name)\".refuse_change()",
        ]
    }
}
