extension String {
    /// Whether this header name equals `lowercasedName` ignoring ASCII case, as header names
    /// compare (RFC 9110 §5.1). Every request and response runs this for each header, so it
    /// compares contiguous bytes, without allocating a lowered copy or going through generic
    /// collection code.
    /// - Parameter lowercasedName: the name to look for, already in lower case.
    package func isHeaderName(_ lowercasedName: String) -> Bool {
        HeaderNameBytes.equal(self.utf8, lowercasedName)
    }
}

extension Substring {
    /// `String.isHeaderName(_:)` for a part of a header value (a transfer coding, say).
    package func isHeaderName(_ lowercasedName: String) -> Bool {
        HeaderNameBytes.equal(self.utf8, lowercasedName)
    }
}

enum HeaderNameBytes {
    /// `isHeaderName(_:)` of a `String` or a `Substring`, over the views' own storage, borrowed:
    /// copying either string into a `var` for `withUTF8` cost a retain and a release of each on
    /// every comparison, on every header of every request and answer.
    @inline(__always)
    static func equal<Name: Collection<UInt8>>(_ name: Name, _ lowercasedName: String) -> Bool {
        guard name.count == lowercasedName.utf8.count else { return false }
        let equal = name.withContiguousStorageIfAvailable { name in
            lowercasedName.utf8.withContiguousStorageIfAvailable { wanted in Self.equal(name, wanted) }
        }
        if let equal = equal ?? nil {
            return equal
        }
        return zip(name, lowercasedName.utf8).allSatisfy { Self.equal($0, $1) }
    }

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
