/// Settings a sidecar ran with, kept in the file beside the data they shaped, so that a reader
/// of the file alone (`modelwatch drift`) judges with what the sidecar judged with. The store
/// does not read the documents; each is filed under a name (`drift`) and replaced when saved again.
extension StoreWriter {
    func saveSetting(name: String, document: [UInt8], at timestamp: Int64) throws(StoreError) {
        let insert = try self.connection.prepare(
            "INSERT OR REPLACE INTO settings (name, saved_at, document) VALUES (?, ?, ?)", persistent: false)
        insert.bind(name, at: 1)
        insert.bind(timestamp, at: 2)
        document.withUnsafeBytes { insert.bind($0, at: 3) }
        _ = try self.connection.transaction { () throws(StoreError) in try insert.step() }
    }
}

extension StoreReader {
    func setting(name: String) throws(StoreError) -> (savedAt: Int64, document: [UInt8])? {
        // A file from before the settings table has no settings.
        let exists = try self.connection.prepare(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'", persistent: false)
        guard try exists.step() else { return nil }
        let select = try self.connection.prepare("SELECT saved_at, document FROM settings WHERE name = ?", persistent: false)
        select.bind(name, at: 1)
        guard try select.step() else { return nil }
        return (select.int64(at: 0), try select.withBlob(at: 1) { (bytes) throws(StoreError) in Array(bytes) })
    }
}

extension TimeSeriesStore {
    /// Saves the settings document filed under `name`, replacing an earlier one.
    /// - Throws: `full` or `readOnly` when the disk refuses.
    public func saveSetting(name: String, document: [UInt8], at timestamp: Int64) throws(StoreError) {
        try self.withWriter { (writer) throws(StoreError) in try writer.saveSetting(name: name, document: document, at: timestamp) }
    }

    /// The settings document last saved under `name`, with when it was saved; `nil` when none was.
    public func setting(name: String) throws(StoreError) -> (savedAt: Int64, document: [UInt8])? {
        try self.withReader { (reader) throws(StoreError) in try reader.setting(name: name) }
    }
}
