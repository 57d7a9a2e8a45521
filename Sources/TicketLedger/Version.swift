/// The version of TicketLedger (the package, its libraries and `desk`), as
/// [CHANGELOG.md](../CHANGELOG.md) lists them; semantic versioning.
public enum TicketLedgerVersion {
    /// This build's version.
    public static let current = "0.6.0"
}
