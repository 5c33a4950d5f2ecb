extension StringProtocol {
    /// Whether this header name equals `lowercasedName` ignoring ASCII case, as header names
    /// compare (RFC 9110 §5.1). Every request and response runs this for each header, so it
    /// compares bytes instead of allocating a lowered copy.
    /// - Parameter lowercasedName: the name to look for, already in lower case.
    package func isHeaderName(_ lowercasedName: String) -> Bool {
        guard self.utf8.count == lowercasedName.utf8.count else { return false }
        return zip(self.utf8, lowercasedName.utf8).allSatisfy { byte, lowered in
            byte == lowered || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte | 0x20 == lowered)
        }
    }
}
