/// Elementwise functions of one tensor: `Relu`, `Exp`, `Sigmoid`, `Gelu`, ….
struct UnaryKernel: BufferedKernel {
    enum Function: String, CaseIterable, Sendable {
        case neg = "Neg"
        case abs = "Abs"
        case sqrt = "Sqrt"
        case exp = "Exp"
        case log = "Log"
        case relu = "Relu"
        case leakyRelu = "LeakyRelu"
        case sigmoid = "Sigmoid"
        case tanh = "Tanh"
        case erf = "Erf"
        case gelu = "Gelu"
        case identity = "Identity"
        case dropout = "Dropout"
        case reciprocal = "Reciprocal"
        case floor = "Floor"
        case ceil = "Ceil"
        case not = "Not"
        case softplus = "Softplus"
        case elu = "Elu"
        case sin = "Sin"
        case cos = "Cos"
        case hardSigmoid = "HardSigmoid"
        case sign = "Sign"

        var since: Int {
            switch self {
            case .gelu: return 20
            case .not: return 1
            case .erf, .sign: return 9
            case .dropout, .sin, .cos: return 7
            default: return 6
            }
        }
    }

    let function: Function
    let alpha: Float
    let beta: Float
    let approximateTanh: Bool

    init(_ function: Function, _ context: KernelContext) throws(ReferenceError) {
        self.function = function
        switch function {
        case .leakyRelu: self.alpha = try context.float("alpha", default: 0.01)
        case .elu: self.alpha = try context.float("alpha", default: 1)
        case .hardSigmoid: self.alpha = try context.float("alpha", default: 0.2)
        default: self.alpha = 0
        }
        self.beta = function == .hardSigmoid ? try context.float("beta", default: 0.5) : 0
        let approximate = function == .gelu ? try context.string("approximate", default: "none") : "none"
        guard approximate == "none" || approximate == "tanh" else {
            throw ReferenceError(.invalidGraph, "Gelu approximate '\(approximate)' is not one of none, tanh")
        }
        self.approximateTanh = approximate == "tanh"
    }

    func run(_ inputs: [Value?], into outputs: inout [Value], buffers: inout BufferPool) throws(ReferenceError) {
        if self.function == .identity || self.function == .dropout {
            guard let value = inputs.first ?? nil else { throw ReferenceError(.executionFailed, "input 0 is missing") }
            if self.function == .dropout, let ratioMask = inputs.count > 2 ? inputs[2] : nil, case .tensor(let mode) = ratioMask,
                mode.storage == .bool([true])
            {
                throw ReferenceError(.unsupportedOperator, "Dropout in training mode is not supported")
            }
            outputs.append(value)
            guard self.function == .dropout, case .tensor(let tensor) = value else { return }
            return outputs.append(.tensor(Tensor(checkedShape: tensor.shape, .bool([Bool](repeating: true, count: tensor.count)))))
        }
        let input = try inputs.tensor(0)
        let storage: Tensor.Storage
        switch input.storage {
        case .float(let values):
            var output = buffers.array(values.count, filledWith: Float(0))
            try self.apply(values, into: &output)
            storage = .float(output)
        case .double(let values):
            var output = buffers.array(values.count, filledWith: Double(0))
            try self.apply(values, into: &output)
            storage = .double(output)
        case .int32(let values): storage = .int32(try self.applyInteger(values))
        case .int64(let values): storage = .int64(try self.applyInteger(values))
        case .bool(let values):
            guard self.function == .not else {
                throw ReferenceError(.unsupportedType, "\(self.function.rawValue) of bool is not supported")
            }
            storage = .bool(values.map { !$0 })
        case .string: throw ReferenceError(.unsupportedType, "\(self.function.rawValue) of string is not supported")
        }
        outputs.append(.tensor(Tensor(checkedShape: input.shape, storage)))
    }

    private func apply<T: RealElement>(_ values: [T], into output: inout [T]) throws(ReferenceError) {
        let alpha = T(self.alpha)
        let beta = T(self.beta)
        switch self.function {
        case .neg: Broadcasting.map(values, into: &output) { -$0 }
        case .abs: Broadcasting.map(values, into: &output) { Swift.abs($0) }
        case .sqrt: Broadcasting.map(values, into: &output) { $0.squareRoot() }
        case .exp: Broadcasting.map(values, into: &output) { T.exponential($0) }
        case .log: Broadcasting.map(values, into: &output) { T.logarithm($0) }
        case .relu: Broadcasting.map(values, into: &output) { $0 < 0 ? 0 : $0 }  // NaN stays NaN, as numpy's maximum(x, 0)
        case .leakyRelu: Broadcasting.map(values, into: &output) { $0 >= 0 ? $0 : alpha * $0 }
        case .elu: Broadcasting.map(values, into: &output) { $0 >= 0 ? $0 : alpha * (T.exponential($0) - 1) }
        case .sigmoid:
            Broadcasting.map(values, into: &output) { $0 >= 0 ? 1 / (1 + T.exponential(-$0)) : T.exponential($0) / (1 + T.exponential($0)) }
        case .hardSigmoid: Broadcasting.map(values, into: &output) { Swift.max(0, Swift.min(1, alpha * $0 + beta)) }
        case .tanh: Broadcasting.map(values, into: &output) { T.hyperbolicTangent($0) }
        case .erf: Broadcasting.map(values, into: &output) { T.errorFunction($0) }
        case .softplus:
            Broadcasting.map(values, into: &output) {
                $0 > 0 ? $0 + T.logarithm(1 + T.exponential(-$0)) : T.logarithm(1 + T.exponential($0))
            }
        case .gelu:
            if self.approximateTanh {
                let scale = T(0.7978845608028654)
                Broadcasting.map(values, into: &output) { x in x / 2 * (1 + T.hyperbolicTangent(scale * (x + T(0.044715) * x * x * x))) }
                return
            }
            Broadcasting.map(values, into: &output) { x in x / 2 * (1 + T.errorFunction(x * T(0.7071067811865476))) }
        case .reciprocal: Broadcasting.map(values, into: &output) { 1 / $0 }
        case .sin: Broadcasting.map(values, into: &output) { T.sine($0) }
        case .cos: Broadcasting.map(values, into: &output) { T.cosine($0) }
        case .floor: Broadcasting.map(values, into: &output) { $0.rounded(.down) }
        case .ceil: Broadcasting.map(values, into: &output) { $0.rounded(.up) }
        case .sign: Broadcasting.map(values, into: &output) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .identity, .dropout, .not:
            throw ReferenceError(.unsupportedType, "\(self.function.rawValue) of floating-point values is not supported")
        }
    }

    private func applyInteger<T: FixedWidthInteger & SignedInteger>(_ values: [T]) throws(ReferenceError) -> [T] {
        switch self.function {
        case .neg: return values.map { 0 &- $0 }
        case .abs: return values.map { $0 < 0 ? 0 &- $0 : $0 }
        case .relu: return values.map { Swift.max($0, 0) }
        case .sign: return values.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        default: throw ReferenceError(.unsupportedType, "\(self.function.rawValue) of integers is not supported")
        }
    }
}
