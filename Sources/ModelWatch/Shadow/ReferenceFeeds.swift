import ModelWatchProtocols
import ModelWatchReference

/// Builds a reference model's inputs from a decoded request, as the configured mapping says:
/// which request tensor, converted to which element type, in which shape.
struct ReferenceFeeds: Sendable {
    /// Why a request could not be turned into the reference's inputs.
    struct Failure: Error, Equatable, CustomStringConvertible {
        /// What went wrong; its raw value is the `reason` label of `modelwatch_shadow_errors_total`.
        enum Reason: String, Sendable, CaseIterable {
            case inputMissing = "input_missing"
            case inputBinary = "input_binary"
            case inputType = "input_type"
            case inputShape = "input_shape"
        }

        let reason: Reason
        let detail: String
        var description: String { self.detail }
    }

    let mappings: [ShadowInputMapping]
    let declared: [String: ValueType]

    /// - Parameter mappings: empty maps by name, or the request's only tensor to a one-input model.
    init(model: ReferenceModel, mappings: [ShadowInputMapping]) {
        var declared: [String: ValueType] = [:]
        for input in model.inputs { declared[input.name] = input.type }
        self.declared = declared
        self.mappings = mappings.isEmpty ? model.inputs.map { ShadowInputMapping(input: $0.name, source: $0.name) } : mappings
    }

    func feeds(from request: DecodedPayload) throws(Failure) -> [String: ModelWatchReference.Tensor] {
        var feeds: [String: ModelWatchReference.Tensor] = [:]
        for mapping in self.mappings {
            var source = request.tensors.first { $0.name == mapping.source }
            if source == nil, self.mappings.count == 1, request.tensors.count == 1 { source = request.tensors[0] }
            guard let source else {
                throw Failure(
                    reason: .inputMissing,
                    detail:
                        "the request has no tensor \"\(mapping.source)\" (it has: \(request.tensors.map(\.name).joined(separator: ", ")))")
            }
            feeds[mapping.input] = try self.tensor(source, mapping: mapping)
        }
        return feeds
    }

    private func tensor(_ source: ModelWatchProtocols.Tensor, mapping: ShadowInputMapping) throws(Failure) -> ModelWatchReference.Tensor {
        var declaredShape: [Dimension]?
        var type = mapping.elementType
        if case .tensor(let code, let shape)? = self.declared[mapping.input] {
            declaredShape = shape
            if type == nil { type = Self.elementType(code) }
        }
        let count: Int
        let storage: ModelWatchReference.Tensor.Storage
        switch source.values {
        case .binary:
            throw Failure(
                reason: .inputBinary, detail: "\"\(source.name)\" came in the binary-tensor extension, whose values are not read")
        case .strings(let strings):
            guard type == nil || type == .string else {
                throw Failure(
                    reason: .inputType, detail: "\"\(source.name)\" holds strings; the reference wants \(type.map(\.description) ?? "")")
            }
            count = strings.count
            storage = .string(strings)
        case .numbers(let numbers):
            count = numbers.count
            storage = try Self.convert(numbers, to: type ?? .float, name: source.name)
        }
        let shape = try Self.shape(
            count: count, configured: mapping.shape, declared: declaredShape, request: source.shape, name: source.name)
        do {
            return try ModelWatchReference.Tensor(shape: shape, storage: storage)
        } catch {
            throw Failure(reason: .inputShape, detail: "\"\(source.name)\": \(error.detail)")
        }
    }

    static func elementType(_ code: Int64) -> ElementType? {
        ElementType(rawValue: Int(truncatingIfNeeded: code))
    }

    private static func convert(_ numbers: [Double], to type: ElementType, name: String) throws(Failure)
        -> ModelWatchReference.Tensor.Storage
    {
        switch type {
        case .float: return .float(numbers.map { Float($0) })
        case .double: return .double(numbers)
        case .bool: return .bool(numbers.map { $0 != 0 })
        case .string: return .string(numbers.map(ShadowOutput.format))
        case .int64: return .int64(try Self.integers(numbers, as: Int64.self, name: name))
        case .int32: return .int32(try Self.integers(numbers, as: Int32.self, name: name))
        }
    }

    /// The numbers as integers of `Integer`; a fraction or a value out of its range is refused.
    private static func integers<Integer: FixedWidthInteger>(_ numbers: [Double], as _: Integer.Type, name: String) throws(Failure)
        -> [Integer]
    {
        var integers: [Integer] = []
        integers.reserveCapacity(numbers.count)
        for number in numbers {
            guard let integer = Integer(exactly: number) else {
                throw Failure(reason: .inputType, detail: "\"\(name)\" holds \(number), not an \(Integer.self)")
            }
            integers.append(integer)
        }
        return integers
    }

    /// The configured shape (one `-1` inferred), else the declared one with its free dimension
    /// inferred, else the request's own.
    static func shape(count: Int, configured: [Int]?, declared: [Dimension]?, request: [Int], name: String) throws(Failure) -> [Int] {
        var dimensions: [Int?]
        if let configured {
            dimensions = configured.map { $0 == -1 ? nil : $0 }
        } else if let declared, !declared.isEmpty {
            dimensions = declared.map { if case .fixed(let size) = $0 { return size } else { return nil } }
            if dimensions.filter({ $0 == nil }).count > 1 {
                guard request.count == declared.count else {
                    throw Failure(
                        reason: .inputShape, detail: "\"\(name)\" has shape \(request); the reference wants rank \(declared.count)")
                }
                return request
            }
        } else {
            return request
        }
        let known = dimensions.compactMap { $0 }.reduce(1, *)
        guard known > 0, count % known == 0 else {
            throw Failure(reason: .inputShape, detail: "\(count) values of \"\(name)\" do not fill shape \(dimensions.map { $0 ?? -1 })")
        }
        if let free = dimensions.firstIndex(where: { $0 == nil }) { dimensions[free] = count / known }
        let shape = dimensions.map { $0 ?? 1 }
        guard shape.reduce(1, *) == count else {
            throw Failure(reason: .inputShape, detail: "\(count) values of \"\(name)\" do not fill shape \(shape)")
        }
        return shape
    }
}
