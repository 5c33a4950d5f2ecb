/// The stored form of a minute: little-endian, versioned, a few hundred bytes for a typical
/// feature. Decoding checks every length, so a damaged blob is refused rather than misread.
extension FeatureMinute {
    static let codingVersion: UInt8 = 1

    /// The minute as bytes for the store.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.append(UInt8(Self.codingVersion))
        switch self.bins {
        case nil: writer.append(UInt8(0))
        case .numeric: writer.append(UInt8(1))
        case .categorical: writer.append(UInt8(2))
        }
        writer.append(UInt32(clamping: self.count))
        writer.append(UInt32(clamping: self.missing))
        writer.append(self.minimum)
        writer.append(self.maximum)
        switch self.bins {
        case .numeric(let bins):
            writer.append(bins.quantile)
            writer.append(bins.below)
            writer.append(bins.belowSum)
            writer.append(bins.above)
            writer.append(bins.aboveSum)
            // Indices as gaps from the previous one and counts as varints: mostly one byte each.
            writer.append(UInt32(bins.grid.count))
            var previous: UInt32 = 0
            for entry in bins.grid {
                writer.appendVarint(UInt64(entry.index &- previous))
                writer.appendVarint(UInt64(entry.count))
                previous = entry.index
            }
        case .categorical(let counts):
            writer.append(counts)
        case nil:
            break
        }
        writer.append(UInt32(self.sample.count))
        for value in self.sample {
            switch value {
            case .number(let number):
                writer.append(UInt8(0))
                writer.append(number)
            case .text(let text):
                writer.append(UInt8(1))
                let bytes = Array(text.utf8)
                writer.append(UInt32(bytes.count))
                writer.bytes.append(contentsOf: bytes)
            case .missing:
                writer.append(UInt8(2))
            }
        }
        return writer.bytes
    }

    /// Reads a stored minute.
    /// - Returns: `nil` for bytes that are not a complete minute of a known version.
    public init?(decoding bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard let version: UInt8 = reader.read(), version == Self.codingVersion, let kind: UInt8 = reader.read(),
            let count: UInt32 = reader.read(), let missing: UInt32 = reader.read(), let minimum: Double = reader.read(),
            let maximum: Double = reader.read()
        else { return nil }
        var bins: Bins?
        switch kind {
        case 0: bins = nil
        case 1:
            guard let quantile = reader.readCounts(), let below: UInt32 = reader.read(), let belowSum: Double = reader.read(),
                let above: UInt32 = reader.read(), let aboveSum: Double = reader.read(), let entries: UInt32 = reader.read(),
                Int(entries) <= reader.remaining / 2
            else { return nil }
            var grid: [(index: UInt32, count: UInt32)] = []
            grid.reserveCapacity(Int(entries))
            var index: UInt64 = 0
            for position in 0..<entries {
                guard let gap = reader.readVarint(), let count = reader.readVarint(), position == 0 || gap > 0 else { return nil }
                index += gap
                guard index <= UInt64(UInt32.max), count <= UInt64(UInt32.max) else { return nil }
                grid.append((UInt32(index), UInt32(count)))
            }
            bins = .numeric(NumericBins(quantile: quantile, grid: grid, below: below, belowSum: belowSum, above: above, aboveSum: aboveSum))
        case 2:
            guard let counts = reader.readCounts() else { return nil }
            bins = .categorical(counts)
        default:
            return nil
        }
        guard let sampleCount: UInt32 = reader.read(), Int(sampleCount) <= reader.remaining else { return nil }
        var sample: [FeatureValue] = []
        sample.reserveCapacity(Int(sampleCount))
        for _ in 0..<sampleCount {
            guard let tag: UInt8 = reader.read() else { return nil }
            switch tag {
            case 0:
                guard let number: Double = reader.read() else { return nil }
                sample.append(.number(number))
            case 1:
                guard let length: UInt32 = reader.read(), let text = reader.readBytes(Int(length)) else { return nil }
                sample.append(.text(String(decoding: text, as: UTF8.self)))
            case 2:
                sample.append(.missing)
            default:
                return nil
            }
        }
        guard reader.remaining == 0 else { return nil }
        self.init(count: Int(count), missing: Int(missing), minimum: minimum, maximum: maximum, bins: bins, sample: sample)
    }
}

private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func append<Integer: FixedWidthInteger>(_ value: Integer) {
        withUnsafeBytes(of: value.littleEndian) { self.bytes.append(contentsOf: $0) }
    }

    mutating func append(_ value: Double) {
        self.append(value.bitPattern)
    }

    /// LEB128: seven bits a byte, low bits first.
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            self.bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        self.bytes.append(UInt8(rest))
    }

    mutating func append(_ counts: [UInt32]) {
        self.append(UInt32(counts.count))
        for count in counts { self.append(count) }
    }
}

private struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { self.bytes.count - self.offset }

    mutating func read<Integer: FixedWidthInteger>() -> Integer? {
        let size = MemoryLayout<Integer>.size
        guard self.remaining >= size else { return nil }
        var value: Integer = 0
        for index in 0..<size { value |= Integer(self.bytes[self.offset + index]) << (8 * index) }
        self.offset += size
        return value
    }

    mutating func read() -> Double? {
        let pattern: UInt64? = self.read()
        return pattern.map(Double.init(bitPattern:))
    }

    mutating func readVarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard let byte: UInt8 = self.read() else { return nil }
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }

    mutating func readCounts() -> [UInt32]? {
        guard let count: UInt32 = self.read(), Int(count) <= self.remaining / 4 else { return nil }
        var counts: [UInt32] = []
        counts.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let value: UInt32 = self.read() else { return nil }
            counts.append(value)
        }
        return counts
    }

    mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count <= self.remaining else { return nil }
        defer { self.offset += count }
        return self.bytes[self.offset..<self.offset + count]
    }
}
