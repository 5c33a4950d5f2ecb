import ModelWatchProxy
import ModelWatchReference
import Yams

/// The keys of a shadowed model, for the unknown-key message.
enum ShadowConfigurationKeys {
    static func describe(_ section: String) -> String {
        if section.hasSuffix(".inputs") || section.contains(".inputs.") { return "from, type, shape" }
        if section.hasSuffix(".outputs") || section.contains(".outputs.") { return "backend, compare, abs, rel" }
        return
            "reference, url, sample, deterministic, max_per_second, threads, queue_capacity, timeout, max_mismatches_per_hour, redact, inputs, outputs"
    }
}

/// The `shadow` section. A reference model is loaded and checked against its input and output
/// mappings here, so a corrupt file or a misspelt output stops the start (and fails
/// `modelwatch check`) with the key that named it.
extension DocumentReader {
    func readShadow(_ node: Yams.Node, into shadow: inout ShadowConfiguration) throws(ConfigurationError) {
        for (field, value) in try self.entries(of: node, section: "shadow") {
            switch field.name {
            case "models":
                for (model, entry) in try self.entries(of: value, section: "shadow.models") {
                    shadow.models[model.name] = try self.readShadowModel(model.name, entry)
                }
            default: throw self.unknownKey(field, section: "shadow")
            }
        }
    }

    private func readShadowModel(_ model: String, _ node: Yams.Node) throws(ConfigurationError) -> ShadowModelConfiguration {
        let section = "shadow.models.\(model)"
        var target: ShadowModelConfiguration.Target?
        var targetNode = node
        var configuration = ShadowModelConfiguration(target: .url(UpstreamURL(scheme: "http", host: "127.0.0.1", port: 80, pathPrefix: "")))
        var inputNodes: [(ShadowInputMapping, Yams.Node, String)] = []
        var outputNodes: [(name: String, backend: String, comparison: OutputComparison?, node: Yams.Node, key: String)] = []
        for (field, value) in try self.entries(of: node, section: section) {
            let key = "\(section).\(field.name)"
            switch field.name {
            case "reference", "url":
                guard target == nil else { throw self.error(value, key: key, "give either reference or url, not both") }
                let text = try self.string(value, key: key)
                guard !text.isEmpty else { throw self.error(value, key: key, "expected a value") }
                targetNode = value
                if field.name == "url" {
                    do {
                        target = .url(try UpstreamURL(parsing: text))
                    } catch {
                        throw self.error(value, key: key, "\(error)")
                    }
                } else {
                    let path = self.resolve(text)
                    do {
                        target = .reference(path: path, model: try ReferenceModel(contentsOf: path))
                    } catch {
                        throw self.error(value, key: key, "cannot load the reference model \(path): \(error)")
                    }
                }
            case "sample": configuration.sample = try self.number(value, key: key, range: 0...1)
            case "deterministic": configuration.deterministic = try self.boolean(value, key: key)
            case "max_per_second":
                let rate = try self.number(value, key: key, range: 0...1e9)
                guard rate > 0 else { throw self.error(value, key: key, "expected a positive rate; leave the key out for no limit") }
                configuration.maxPerSecond = rate
            case "threads": configuration.threads = try self.integer(value, key: key, range: 1...64)
            case "queue_capacity": configuration.queueCapacity = try self.integer(value, key: key, range: 1...1_000_000)
            case "timeout": configuration.timeout = try self.duration(value, key: key, allowZero: false)
            case "max_mismatches_per_hour": configuration.maxMismatchesPerHour = try self.integer(value, key: key, range: 0...1_000_000)
            case "redact":
                guard case .sequence(let items) = value else { throw self.error(value, key: key, "expected a list of field names") }
                var fields: [String] = []
                for item in items { fields.append(try self.string(item, key: key)) }
                configuration.redact = fields
            case "inputs":
                for (input, source) in try self.entries(of: value, section: key) {
                    let inputKey = "\(key).\(input.name)"
                    inputNodes.append((try self.readInputMapping(input.name, source, key: inputKey), source, inputKey))
                }
            case "outputs":
                for (output, pairing) in try self.entries(of: value, section: key) {
                    let outputKey = "\(key).\(output.name)"
                    let (backend, comparison) = try self.readOutputPair(pairing, key: outputKey)
                    outputNodes.append((output.name, backend, comparison, pairing, outputKey))
                }
            default: throw self.unknownKey(field, section: section)
            }
        }
        guard let target else { throw self.error(node, key: section, "every shadowed model needs a reference (an .onnx file) or a url") }
        configuration.target = target
        configuration.inputs = inputNodes.map { $0.0 }
        guard case .reference(let path, let reference) = target else {
            guard inputNodes.isEmpty else {
                throw self.error(
                    inputNodes[0].1, key: inputNodes[0].2, "a url shadow receives the request itself: inputs apply to a reference")
            }
            configuration.outputs = outputNodes.map {
                ShadowOutputPair(shadowOutput: $0.name, backendOutput: $0.backend, comparison: $0.comparison ?? .defaultNumeric)
            }
            return configuration
        }
        // The reference's names are known now: every mapping must name one.
        let inputNames = reference.inputs.map(\.name)
        for (mapping, source, key) in inputNodes where !inputNames.contains(mapping.input) {
            throw self.error(source, key: key, "\(path) has no input \"\(mapping.input)\" (it has: \(inputNames.joined(separator: ", ")))")
        }
        let unmapped = inputNames.filter { name in !inputNodes.contains { $0.0.input == name } }
        if !inputNodes.isEmpty, !unmapped.isEmpty {
            throw self.error(node, key: "\(section).inputs", "the reference's input \"\(unmapped[0])\" is not mapped")
        }
        guard !outputNodes.isEmpty else {
            throw self.error(
                targetNode, key: "\(section).outputs",
                "name which reference output compares with which backend output (reference outputs: \(reference.outputs.map(\.name).joined(separator: ", ")))"
            )
        }
        var pairs: [ShadowOutputPair] = []
        for output in outputNodes {
            guard let info = reference.outputs.first(where: { $0.name == output.name }) else {
                throw self.error(
                    output.node, key: output.key,
                    "\(path) has no output \"\(output.name)\" (it has: \(reference.outputs.map(\.name).joined(separator: ", ")))")
            }
            pairs.append(
                ShadowOutputPair(
                    shadowOutput: output.name, backendOutput: output.backend,
                    comparison: output.comparison ?? Self.defaultComparison(for: info)))
        }
        configuration.outputs = pairs
        return configuration
    }

    /// `input: tensor` or `input: {from: tensor, type: float, shape: [-1, 4]}`.
    private func readInputMapping(_ input: String, _ node: Yams.Node, key: String) throws(ConfigurationError) -> ShadowInputMapping {
        if node.scalar != nil { return ShadowInputMapping(input: input, source: try self.string(node, key: key)) }
        var mapping = ShadowInputMapping(input: input, source: "")
        for (field, value) in try self.entries(of: node, section: key) {
            let fieldKey = "\(key).\(field.name)"
            switch field.name {
            case "from": mapping.source = try self.string(value, key: fieldKey)
            case "type":
                let text = try self.string(value, key: fieldKey)
                guard let type = Self.elementTypes[text] else {
                    throw self.error(
                        value, key: fieldKey, "expected one of \(Self.elementTypes.keys.sorted().joined(separator: ", ")), got \"\(text)\"")
                }
                mapping.elementType = type
            case "shape":
                guard case .sequence(let items) = value, !items.isEmpty else {
                    throw self.error(value, key: fieldKey, "expected a list of dimensions such as [-1, 4]")
                }
                var shape: [Int] = []
                for item in items { shape.append(try self.integer(item, key: fieldKey, range: -1...1_000_000_000)) }
                guard shape.filter({ $0 == -1 }).count <= 1, !shape.contains(0) else {
                    throw self.error(value, key: fieldKey, "at most one dimension may be -1, and none 0")
                }
                mapping.shape = shape
            default: throw self.unknownKey(field, section: key)
            }
        }
        guard !mapping.source.isEmpty else {
            throw self.error(node, key: "\(key).from", "name the request tensor this input is built from")
        }
        return mapping
    }

    /// `output: backend_output` or `output: {backend: name, compare: label|argmax|numeric, abs: 1e-5, rel: 1e-4}`.
    private func readOutputPair(_ node: Yams.Node, key: String) throws(ConfigurationError) -> (String, OutputComparison?) {
        if node.scalar != nil { return (try self.string(node, key: key), nil) }
        var backend: String?
        var kind: String?
        var tolerance: (abs: Double?, rel: Double?) = (nil, nil)
        var kindNode = node
        for (field, value) in try self.entries(of: node, section: key) {
            let fieldKey = "\(key).\(field.name)"
            switch field.name {
            case "backend": backend = try self.string(value, key: fieldKey)
            case "compare":
                kind = try self.string(value, key: fieldKey)
                kindNode = value
            case "abs": tolerance.abs = try self.number(value, key: fieldKey, range: 0...1e300)
            case "rel": tolerance.rel = try self.number(value, key: fieldKey, range: 0...1e300)
            default: throw self.unknownKey(field, section: key)
            }
        }
        guard let backend, !backend.isEmpty else {
            throw self.error(node, key: "\(key).backend", "name the backend output to compare with")
        }
        let comparison: OutputComparison?
        switch kind {
        case "label": comparison = .label
        case "argmax": comparison = .argmax
        case "numeric",
            nil where tolerance.abs != nil || tolerance.rel != nil:
            guard case .numeric(let abs, let rel) = OutputComparison.defaultNumeric else { return (backend, nil) }
            comparison = .numeric(abs: tolerance.abs ?? abs, rel: tolerance.rel ?? rel)
        case nil: comparison = nil
        case .some(let other):
            throw self.error(kindNode, key: "\(key).compare", "expected label, argmax or numeric, got \"\(other)\"")
        }
        if let comparison, comparison == .label || comparison == .argmax, tolerance.abs != nil || tolerance.rel != nil {
            throw self.error(node, key: key, "abs and rel apply to compare: numeric only")
        }
        return (backend, comparison)
    }

    static let elementTypes: [String: ElementType] = [
        "float": .float, "double": .double, "int32": .int32, "int64": .int64, "string": .string, "bool": .bool,
    ]

    /// Labels (strings, integers) must agree exactly; numbers and probability maps within tolerance.
    static func defaultComparison(for info: ValueInfo) -> OutputComparison {
        switch info.type {
        case .tensor(let code, _)? where code == 1 || code == 11: return .defaultNumeric
        case .sequence?: return .defaultNumeric
        default: return .label
        }
    }
}
