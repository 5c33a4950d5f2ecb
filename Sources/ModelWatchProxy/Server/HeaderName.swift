extension String {
    /// Whether this header name equals `lowercasedName` ignoring ASCII case, as header names
    /// compare (RFC 9110 §5.1). Every request and response runs this for each header, so it
    /// compares contiguous bytes, without allocating a lowered copy or going through generic
    /// collection code.
    /// - Parameter lowercasedName: the name to look for, already in lower case.
    package func isHeaderName(_ lowercasedName: String) -> Bool {
        guard self.utf8.count == lowercasedName.utf8.count else { return false }
        var name = self
        var wanted = lowercasedName
        return name.withUTF8 { name in wanted.withUTF8 { wanted in HeaderNameBytes.equal(name, wanted) } }
    }
}

extension Substring {
    /// `String.isHeaderName(_:)` for a part of a header value (a transfer coding, say).
    package func isHeaderName(_ lowercasedName: String) -> Bool {
        guard self.utf8.count == lowercasedName.utf8.count else { return false }
        var wanted = lowercasedName
        return self.utf8.withContiguousStorageIfAvailable { name in
            wanted.withUTF8 { wanted in HeaderNameBytes.equal(name, wanted) }
        } ?? String(self).isHeaderName(lowercasedName)
    }
}

enum HeaderNameBytes {
    /// `name` equals `lowercased` once ASCII capitals in `name` are lowered; same lengths.
    static func equal(_ name: UnsafeBufferPointer<UInt8>, _ lowercased: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<name.count {
            let byte = name[index]
            let lowered = lowercased[index]
            if byte != lowered && !(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte | 0x20 == lowered) {
                return false
            }
        }
        return true
    }
}
