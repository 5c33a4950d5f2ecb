/// The packed form of one series' samples over one span: `count` pairs of little-endian
/// (Int64 milliseconds, Float64 bits), 16 bytes per sample, in time order.
///
/// Reading a day of one series is then 24 blobs instead of 8,640 rows, which is what makes
/// range queries over many series fast; NaN survives bit for bit, which a REAL column does not.
enum SampleChunk {
    static let bytesPerSample = 16

    static func encode(_ samples: [Sample]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: samples.count * Self.bytesPerSample)
        bytes.withUnsafeMutableBytes { buffer in
            for (index, sample) in samples.enumerated() {
                let offset = index * Self.bytesPerSample
                buffer.storeBytes(of: sample.timestamp.littleEndian, toByteOffset: offset, as: Int64.self)
                buffer.storeBytes(of: sample.value.bitPattern.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
            }
        }
        return bytes
    }

    /// Appends the samples of `bytes` that fall in `range` to `samples`.
    /// - Returns: `false` when the blob's length is not a whole number of samples.
    static func decode(_ bytes: UnsafeRawBufferPointer, in range: ClosedRange<Int64>, into samples: inout [Sample]) -> Bool {
        guard bytes.count % Self.bytesPerSample == 0 else { return false }
        let count = bytes.count / Self.bytesPerSample
        samples.reserveCapacity(samples.count + count)
        for index in 0..<count {
            let offset = index * Self.bytesPerSample
            let timestamp = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
            guard range.contains(timestamp) else { continue }
            let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            samples.append(Sample(timestamp: timestamp, value: Double(bitPattern: bits)))
        }
        return true
    }
}
