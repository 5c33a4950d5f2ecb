extension String {
    /// Whether this header name equals `lowercasedName` ignoring ASCII case, as header names
    /// compare (RFC 9110 §5.1). Every request and response runs this for each header, so it
    /// compares contiguous bytes, without allocating a lowered copy or going through generic
    /// collection code.
    /// - Parameter lowercasedName: the name to look for, already in lower case.
    package func isHeaderName(_ lowercasedName: String) -> Bool {
        guard self.utf8.count == lowercasedName.utf8.count else { return false }
        // The views' own storage, borrowed: copying either string into a `var` for `withUTF8`
        // cost a retain and a release of each on every comparison, on every header of every
        // request and answer.
        let equal = self.utf8.withContiguousStorageIfAvailable { name in
            lowercasedName.utf8.withContiguousStorageIfAvailable { wanted in HeaderNameBytes.equal(name, wanted) }
        }
        if let equal = equal ?? nil {
            return equal
        }
        return zip(self.utf8, lowercasedName.utf8).allSatisfy { HeaderNameBytes.equal($0, $1) }
    }
}

extension Substring {
    /// `String.isHeaderName(_:)` for a part of a header value (a transfer coding, say).
    package func isHeaderName(_ lowercasedName: String) -> Bool {
        guard self.utf8.count == lowercasedName.utf8.count else { return false }
        let equal = self.utf8.withContiguousStorageIfAvailable { name in
            lowercasedName.utf8.withContiguousStorageIfAvailable { wanted in HeaderNameBytes.equal(name, wanted) }
        }
        if let equal = equal ?? nil {
            return equal
        }
        return zip(self.utf8, lowercasedName.utf8).allSatisfy { HeaderNameBytes.equal($0, $1) }
    }
}

enum HeaderNameBytes {
    /// `name` equals `lowercased` once ASCII capitals in `name` are lowered; same lengths.
    static func equal(_ name: UnsafeBufferPointer<UInt8>, _ lowercased: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<name.count {
            if !Self.equal(name[index], lowercased[index]) {
                return false
            }
        }
        return true
    }

    static func equal(_ byte: UInt8, _ lowered: UInt8) -> Bool {
        byte == lowered || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte | 0x20 == lowered)
    }
}
