/// `ai.onnx.ml.OneHotEncoder`: one column per category, appended as a last dimension.
struct OneHotEncoderKernel: Kernel {
    let intCategories: [Int64: Int]
    let stringCategories: [String: Int]
    let count: Int
    let zerosForUnknown: Bool

    init(_ context: KernelContext) throws(ReferenceError) {
        let ints = try context.ints("cats_int64s") ?? []
        let strings = try context.strings("cats_strings") ?? []
        var intCategories: [Int64: Int] = [:]
        for (index, value) in ints.enumerated() where intCategories[value] == nil { intCategories[value] = index }
        var stringCategories: [String: Int] = [:]
        for (index, value) in strings.enumerated() where stringCategories[value] == nil { stringCategories[value] = index }
        self.intCategories = intCategories
        self.stringCategories = stringCategories
        self.count = Swift.max(ints.count, strings.count)
        self.zerosForUnknown = try context.int("zeros", default: 1) != 0
        guard self.count > 0 else { throw ReferenceError(.invalidGraph, "OneHotEncoder needs categories") }
    }

    func run(_ inputs: [Value?]) throws(ReferenceError) -> [Value] {
        let input = try inputs.tensor(0)
        var positions: [Int?] = []
        switch input.storage {
        case .string(let values): positions = values.map { self.stringCategories[$0] }
        case .int64(let values): positions = values.map { self.intCategories[$0] }
        case .int32(let values): positions = values.map { self.intCategories[Int64($0)] }
        case .float, .double:
            positions = (input.doubleValues ?? []).map { value in
                guard value.isFinite, let integer = Int64(exactly: value.rounded(.towardZero)) else { return nil }
                return self.intCategories[integer]
            }
        case .bool: throw ReferenceError(.unsupportedType, "OneHotEncoder of bool is not supported")
        }
        var output = [Float](repeating: 0, count: positions.count * self.count)
        for (index, position) in positions.enumerated() {
            if let position {
                output[index * self.count + position] = 1
            } else if !self.zerosForUnknown {
                throw ReferenceError(.invalidInput, "OneHotEncoder met an unknown category and zeros=0")
            }
        }
        return [.tensor(Tensor(checkedShape: input.shape + [self.count], .float(output)))]
    }
}
