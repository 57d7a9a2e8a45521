/// What the fuzzers (the `Fuzz` package beside this one, `make fuzz`) call that is
/// not public API: SPI, so `import LedgerIO` alone never sees it.
@_spi(Fuzzing)
public enum FuzzingEntryPoints {
    /// Reads `bytes` as a CSV file, row by row, as an import's first pass does
    /// (delimiter detected, quotes, BOM, UTF-8 checked), and passes each field
    /// through the time, priority and level parsers. Returns the rows read before
    /// the end or the first error.
    @discardableResult
    public static func readCSV(_ bytes: UnsafeRawBufferPointer, timeFormat: String? = nil) -> Int {
        var scanner = CSVScanner(bytes)
        let layout = try? TimeLayout(timeFormat)
        var rows = 0
        while let row = try? scanner.next() {
            rows += 1
            for field in row.fields {
                _ = layout?.parse(field)
                _ = ImportValues.priority(field)
                _ = ImportValues.level(field)
            }
        }
        return rows
    }
}
