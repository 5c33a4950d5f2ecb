/// A template in the language of Prometheus's rule labels and annotations (Go's `text/template`
/// with Prometheus's functions), parsed once and rendered per alert.
public struct Template: Sendable {
    /// The name errors give the template (`__alert_NAME` for a rule's templates).
    public let name: String
    private let text: String
    private let nodes: [TemplateNode]

    /// Parses a template.
    /// - Throws: `TemplateError` with code `.parse`, worded as Go words it.
    public init(name: String, text: String) throws(TemplateError) {
        self.name = name
        self.text = text
        var parser = TemplateParser(name: name, text: text)
        self.nodes = try parser.parse()
    }

    /// Renders the template with `dot` as `.`.
    /// - Throws: `TemplateError` with code `.execution` when a function fails or a value has the wrong type.
    public func render(dot: TemplateValue) throws(TemplateError) -> String {
        var execution = TemplateExecution(name: self.name, text: self.text)
        try execution.run(self.nodes, dot: dot)
        return execution.output
    }
}

/// Runs a parsed template: variable scopes, the dot, and the text written so far.
struct TemplateExecution {
    let name: String
    let text: String
    var output = ""
    private var scopes: [[String: TemplateValue]] = [[:]]

    init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    private func error(at offset: Int, _ node: String, _ message: String) -> TemplateError {
        let prefix = self.text.utf8.prefix(offset)
        let line = 1 + prefix.filter { $0 == UInt8(ascii: "\n") }.count
        let column =
            prefix.count - (prefix.lastIndex(of: UInt8(ascii: "\n")).map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0)
        return TemplateError(.execution, "template: \(self.name):\(line):\(column): executing \"\(self.name)\" at <\(node)>: \(message)")
    }

    mutating func run(_ nodes: [TemplateNode], dot: TemplateValue) throws(TemplateError) {
        for node in nodes {
            switch node {
            case .text(let text):
                self.output += text
            case .action(let pipeline):
                let value = try self.evaluate(pipeline, dot: dot)
                if pipeline.variables.isEmpty { self.output += value.printed }
            case .conditional(let pipeline, let binds, let then, let otherwise):
                self.scopes.append([:])
                defer { self.scopes.removeLast() }
                let value = try self.evaluate(pipeline, dot: dot)
                if value.isTrue {
                    try self.run(then, dot: binds ? value : dot)
                } else {
                    try self.run(otherwise, dot: dot)
                }
            case .loop(var pipeline, let body, let otherwise):
                let variables = pipeline.variables
                pipeline.variables = []
                let value = try self.evaluate(pipeline, dot: dot)
                var elements: [(TemplateValue, TemplateValue)] = []
                switch value {
                case .labels(let map): elements = map.keys.sorted().map { (.string($0), .string(map[$0] ?? "")) }
                case .list(let items): elements = items.enumerated().map { (.int($0.offset), $0.element) }
                case .null: break
                case .int(let count): elements = (0..<max(count, 0)).map { (.int($0), .int($0)) }
                default: throw self.error(at: pipeline.offset, "range", "range can't iterate over \(value.printed)")
                }
                if elements.isEmpty {
                    try self.run(otherwise, dot: dot)
                    continue
                }
                for (key, element) in elements {
                    self.scopes.append([:])
                    if variables.count == 1 { self.scopes[self.scopes.count - 1][variables[0]] = element }
                    if variables.count == 2 {
                        self.scopes[self.scopes.count - 1][variables[0]] = key
                        self.scopes[self.scopes.count - 1][variables[1]] = element
                    }
                    do {
                        try self.run(body, dot: element)
                    } catch {
                        self.scopes.removeLast()
                        throw error
                    }
                    self.scopes.removeLast()
                }
            }
        }
    }

    private mutating func evaluate(_ pipeline: TemplatePipeline, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        var value: TemplateValue?
        for command in pipeline.commands {
            value = try self.evaluate(command, piped: value, dot: dot)
        }
        let result = value ?? .null
        for variable in pipeline.variables {
            if pipeline.declares {
                self.scopes[self.scopes.count - 1][variable] = result
            } else if let scope = self.scopes.lastIndex(where: { $0[variable] != nil }) {
                self.scopes[scope][variable] = result
            } else {
                throw self.error(at: pipeline.offset, variable, "undefined variable: \(variable)")
            }
        }
        return result
    }

    private mutating func evaluate(_ command: [TemplateOperand], piped: TemplateValue?, dot: TemplateValue) throws(TemplateError)
        -> TemplateValue
    {
        guard let first = command.first else { return .null }
        if case .function(let function, let offset) = first {
            var arguments: [TemplateValue] = []
            for operand in command.dropFirst() { arguments.append(try self.operand(operand, dot: dot)) }
            if let piped { arguments.append(piped) }
            do {
                return try TemplateFunctions.call(function, arguments)
            } catch {
                throw self.error(at: offset, Self.text(of: command), error.message)
            }
        }
        guard command.count == 1, piped == nil else {
            throw self.error(at: 0, "\(first)", "can't give argument to non-function \(first)")
        }
        return try self.operand(first, dot: dot)
    }

    private mutating func operand(_ operand: TemplateOperand, dot: TemplateValue) throws(TemplateError) -> TemplateValue {
        switch operand {
        case .dot(let fields): return try self.fields(fields, of: dot)
        case .variable(let name, let fields):
            if name == "$" { return try self.fields(fields, of: self.scopes[0]["$"] ?? dot) }
            guard let value = self.scopes.last(where: { $0[name] != nil })?[name] else {
                throw self.error(at: 0, name, "undefined variable: \(name)")
            }
            return try self.fields(fields, of: value)
        case .function(let name, let offset):
            do {
                return try TemplateFunctions.call(name, [])
            } catch {
                throw self.error(at: offset, name, error.message)
            }
        case .literal(let value): return value
        case .nested(let pipeline, let fields): return try self.fields(fields, of: try self.evaluate(pipeline, dot: dot))
        }
    }

    /// A command as Go's `text/template` prints it in errors (`humanize "abc"`, `gt $value 1`).
    static func text(of command: [TemplateOperand]) -> String {
        command.map { operand in
            switch operand {
            case .dot(let fields): fields.isEmpty ? "." : fields.map { "." + $0 }.joined()
            case .variable(let name, let fields): name + fields.map { "." + $0 }.joined()
            case .function(let name, _): name
            case .literal(let value):
                switch value {
                case .string(let text): GoPrintf.quote(text)
                case .null: "nil"
                default: value.printed
                }
            case .nested(let pipeline, let fields):
                "(" + pipeline.commands.map { Self.text(of: $0) }.joined(separator: " | ") + ")" + fields.map { "." + $0 }.joined()
            }
        }.joined(separator: " ")
    }

    private func fields(_ names: [String], of value: TemplateValue) throws(TemplateError) -> TemplateValue {
        var current = value
        for name in names {
            switch current {
            case .labels(let map): current = .string(map[name] ?? "")
            case .record(let fields):
                guard let field = fields[name] else { throw self.error(at: 0, ".\(name)", "can't evaluate field \(name)") }
                current = field
            case .null: return .null
            default:
                throw self.error(at: 0, ".\(name)", "can't evaluate field \(name) in type \(current.typeName)")
            }
        }
        return current
    }
}
