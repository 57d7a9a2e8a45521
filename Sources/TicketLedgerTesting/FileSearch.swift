import Foundation

/// The files among `paths` (a folder is searched through, files and subfolders)
/// whose bytes contain `needle`: for tests that a value is stored nowhere in
/// clear (a caller's name, a destroyed key) in a ledger, a key store or an export.
public func files(under paths: [String], containing needle: some Collection<UInt8>) -> [String] {
    let needle = Data(needle)
    var found: [String] = []
    for root in paths {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else { continue }
        let candidates = isFolder.boolValue ? (FileManager.default.enumerator(atPath: root)?.compactMap { ($0 as? String).map { root + "/" + $0 } } ?? []) : [root]
        for path in candidates {
            if let data = FileManager.default.contents(atPath: path), data.firstRange(of: needle) != nil { found.append(path) }
        }
    }
    return found
}
