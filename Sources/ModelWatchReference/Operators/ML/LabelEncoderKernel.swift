/// `ai.onnx.ml.LabelEncoder` (opset 2+): maps int64, string or float keys to int64, string or float values.
struct LabelEncoderKernel: Kernel {
    enum Keys: Sendable {
        case int64([Int64: Int])
        case string([String: Int])
        case float([Float: Int], nanIndex: Int?)
    }

    let keys: Keys
    let values: Tensor.Storage
    let fallback: Tensor.Storage

    init(_ context: KernelContext) throws(ReferenceError) {
        guard context.opset >= 2 else { throw ReferenceError(.unsupportedOperator, "LabelEncoder opset 1 is not supported") }
        if let ints = try context.ints("keys_int64s") {
            var map: [Int64: Int] = [:]
            for (index, key) in ints.enumerated() where map[key] == nil { map[key] = index }
            self.keys = .int64(map)
        } else if let strings = try context.strings("keys_strings") {
            var map: [String: Int] = [:]
            for (index, key) in strings.enumerated() where map[key] == nil { map[key] = index }
            self.keys = .string(map)
        } else if let floats = try context.floats("keys_floats") {
            var map: [Float: Int] = [:]
            var nanIndex: Int?
            for (index, key) in floats.enumerated() {
                if key.isNaN {
                    if nanIndex == nil { nanIndex = index }
                } else if map[key] == nil {
                    map[key] = index
                }
            }
            self.keys = .float(map, nanIndex: nanIndex)
        } else {
            throw ReferenceError(.unsupportedOperator, "LabelEncoder without keys_int64s, keys_strings or keys_floats is not supported")
        }
        if let ints = try context.ints("values_int64s") {
            self.values = .int64(ints)
            self.fallback = .int64([try context.int("default_int64", default: -1)])
        } else if let strings = try context.strings("values_strings") {
            self.values = .string(strings)
            self.fallback = .string([try context.string("default_string", default: "_Unused")])
        } else if let floats = try context.floats("values_floats") {
            self.values = .float(floats)
            self.fallback = .float([try context.float("default_float", default: -0.0)])
        } else {
            throw ReferenceError(
                .unsupportedOperator, "LabelEncoder without values_int64s, values_strings or values_floats is not supported")
        }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        let found: [Int?]
        switch (self.keys, input.storage) {
        case (.int64(let map), .int64(let values)): found = values.map { map[$0] }
        case (.string(let map), .string(let values)): found = values.map { map[$0] }
        case (.float(let map, let nanIndex), .float(let values)): found = values.map { $0.isNaN ? nanIndex : map[$0] }
        default: throw ReferenceError(.invalidInput, "LabelEncoder input of \(input.elementType) does not match its keys")
        }
        let valueCount = self.values.count
        let combined = try Tensor.Storage.concatenating([self.values, self.fallback])
        let indices = found.map { index in index.flatMap { $0 < valueCount ? $0 : nil } ?? valueCount }
        return [.tensor(Tensor(checkedShape: input.shape, combined.gathering(indices)))]
    }
}
