/// Parses JSON (RFC 8259) from raw bytes, with the limits a sidecar needs against hostile input.
///
/// Built for decoding prediction payloads off the proxy path: it reads bytes in place, never
/// recurses deeper than `maxDepth`, and refuses documents with more than `maxValues` values, so
/// no body can exhaust the stack or memory. TF Serving's REST API sends `NaN`, `Infinity` and
/// `-Infinity` as bare literals; `allowNonFiniteLiterals` accepts them.
public struct JSONReader: Sendable {
    /// Why a document was refused, with the byte offset where reading stopped.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Stable, bounded reasons: they become metric label values.
        public enum Reason: String, Sendable, CaseIterable {
            case truncated = "truncated"
            case unexpectedCharacter = "unexpected_character"
            case invalidNumber = "invalid_number"
            case invalidString = "invalid_string"
            case tooDeep = "too_deep"
            case tooLarge = "too_large"
            case trailingData = "trailing_data"
        }

        public let reason: Reason
        public let offset: Int

        public var description: String { "\(self.reason.rawValue) at byte \(self.offset)" }
    }

    public var maxDepth: Int
    public var maxValues: Int
    public var allowNonFiniteLiterals: Bool

    public init(maxDepth: Int = 64, maxValues: Int = 50_000_000, allowNonFiniteLiterals: Bool = true) {
        self.maxDepth = maxDepth
        self.maxValues = maxValues
        self.allowNonFiniteLiterals = allowNonFiniteLiterals
    }

    /// Parses one complete document; only whitespace may follow it.
    /// - Throws: `Failure` with the reason and the offset.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> JSONValue {
        var cursor = JSONCursor(bytes: bytes, reader: self)
        let value = try cursor.value(depth: 0)
        cursor.skipWhitespace()
        guard cursor.offset == bytes.count else { throw Failure(reason: .trailingData, offset: cursor.offset) }
        return value
    }

    /// Parses a document held in an array of bytes.
    public func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBytes { buffer in
            do throws(Failure) { return .success(try self.parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
