/// Parses the part of Go's `text/template` that rule files use: text, `{{ pipelines }}` with
/// `-` trim markers, variables, fields, functions, literals, comments, and `if`/`else if`/`else`,
/// `with`, `range` blocks closed by `end`.
struct TemplateParser {
    private enum Token: Equatable {
        case identifier(String)
        case variable(String, [String])
        case field([String])
        case string(String)
        case number(Double, isInteger: Bool)
        case pipe, open, close, declare, assign, comma
    }

    private enum Item {
        case text(String)
        case action([(Token, Int)], offset: Int)
    }

    let name: String
    let text: String
    private var items: [Item] = []
    private var index = 0

    init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    private func error(_ offset: Int, _ message: String) -> TemplateError {
        let line = 1 + self.text.utf8.prefix(offset).filter { $0 == UInt8(ascii: "\n") }.count
        return TemplateError(.parse, "template: \(self.name):\(line): \(message)")
    }

    mutating func parse() throws(TemplateError) -> [TemplateNode] {
        try self.split()
        let (nodes, end) = try self.list()
        if let end { throw self.error(end.offset, "unexpected {{\(end.keyword)}}") }
        return nodes
    }

    // MARK: Splitting text from actions

    private mutating func split() throws(TemplateError) {
        let bytes = Array(self.text.utf8)
        var position = 0
        var pending: [UInt8] = []
        while position < bytes.count {
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "{"), bytes[position + 1] == UInt8(ascii: "{") else {
                pending.append(bytes[position])
                position += 1
                continue
            }
            let start = position
            position += 2
            if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "-"), bytes[position + 1] == UInt8(ascii: " ") {
                while let last = pending.last, Self.isSpace(last) { pending.removeLast() }
                position += 1
            }
            if !pending.isEmpty { self.items.append(.text(String(decoding: pending, as: UTF8.self))) }
            pending = []
            var end: Int?
            var scan = position
            var quote: UInt8?
            while scan + 1 < bytes.count {
                let byte = bytes[scan]
                if let open = quote {
                    if byte == UInt8(ascii: "\\"), open == UInt8(ascii: "\"") {
                        scan += 2
                        continue
                    }
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "`") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: "}"), bytes[scan + 1] == UInt8(ascii: "}") {
                    end = scan
                    break
                }
                scan += 1
            }
            guard var close = end else { throw self.error(start, "unclosed action") }
            var trimAfter = false
            if close >= position + 2, bytes[close - 1] == UInt8(ascii: "-"), Self.isSpace(bytes[close - 2]) {
                trimAfter = true
                close -= 1
            }
            let inner = Array(bytes[position..<close])
            position = (trimAfter ? close + 1 : close) + 2
            if trimAfter {
                while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
            }
            let trimmed = String(decoding: inner, as: UTF8.self).trimmingSpaces
            if trimmed.hasPrefix("/*") {
                guard trimmed.hasSuffix("*/") else { throw self.error(start, "unclosed comment") }
                continue
            }
            self.items.append(.action(try self.lex(inner, base: position - inner.count - 2 - (trimAfter ? 1 : 0)), offset: start))
        }
        if !pending.isEmpty { self.items.append(.text(String(decoding: pending, as: UTF8.self))) }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    // MARK: Lexing an action

    private func lex(_ bytes: [UInt8], base: Int) throws(TemplateError) -> [(Token, Int)] {
        var tokens: [(Token, Int)] = []
        var index = 0
        func isNameByte(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "_") || (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte >= 0x80
        }
        func fields() -> [String] {
            var result: [String] = []
            while index < bytes.count, bytes[index] == UInt8(ascii: "."), index + 1 < bytes.count, isNameByte(bytes[index + 1]) {
                index += 1
                let start = index
                while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
                result.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            return result
        }
        while index < bytes.count {
            let byte = bytes[index]
            let offset = base + index
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "|"):
                tokens.append((.pipe, offset))
                index += 1
            case UInt8(ascii: "("):
                tokens.append((.open, offset))
                index += 1
            case UInt8(ascii: ")"):
                index += 1
                tokens.append((.close, offset))
                let after = fields()
                if !after.isEmpty { tokens.append((.field(after), offset)) }
            case UInt8(ascii: ","):
                tokens.append((.comma, offset))
                index += 1
            case UInt8(ascii: ":"):
                guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "=") else {
                    throw self.error(offset, "expected :=")
                }
                tokens.append((.declare, offset))
                index += 2
            case UInt8(ascii: "="):
                tokens.append((.assign, offset))
                index += 1
            case UInt8(ascii: "$"):
                index += 1
                let start = index
                while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
                let name = "$" + String(decoding: bytes[start..<index], as: UTF8.self)
                tokens.append((.variable(name, fields()), offset))
            case UInt8(ascii: "."):
                if index + 1 < bytes.count, isNameByte(bytes[index + 1]), !(bytes[index + 1] >= 48 && bytes[index + 1] <= 57) {
                    tokens.append((.field(fields()), offset))
                } else if index + 1 < bytes.count, bytes[index + 1] >= 48, bytes[index + 1] <= 57 {
                    tokens.append((try self.number(bytes, &index, offset), offset))
                } else {
                    tokens.append((.field([]), offset))
                    index += 1
                }
            case UInt8(ascii: "\""):
                var value: [UInt8] = []
                index += 1
                var closed = false
                while index < bytes.count {
                    let character = bytes[index]
                    if character == UInt8(ascii: "\"") {
                        closed = true
                        index += 1
                        break
                    }
                    if character == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        index += 1
                        switch bytes[index] {
                        case UInt8(ascii: "n"): value.append(10)
                        case UInt8(ascii: "t"): value.append(9)
                        case UInt8(ascii: "r"): value.append(13)
                        default: value.append(bytes[index])
                        }
                    } else {
                        value.append(character)
                    }
                    index += 1
                }
                guard closed else { throw self.error(offset, "unterminated quoted string") }
                tokens.append((.string(String(decoding: value, as: UTF8.self)), offset))
            case UInt8(ascii: "`"):
                index += 1
                let start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "`") { index += 1 }
                guard index < bytes.count else { throw self.error(offset, "unterminated raw quoted string") }
                tokens.append((.string(String(decoding: bytes[start..<index], as: UTF8.self)), offset))
                index += 1
            case UInt8(ascii: "-"), UInt8(ascii: "+"), 48...57:
                tokens.append((try self.number(bytes, &index, offset), offset))
            default:
                guard isNameByte(byte) else {
                    throw self.error(offset, "unexpected \"\(String(decoding: [byte], as: UTF8.self))\" in command")
                }
                let start = index
                while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
                tokens.append((.identifier(String(decoding: bytes[start..<index], as: UTF8.self)), offset))
            }
        }
        return tokens
    }

    private func number(_ bytes: [UInt8], _ index: inout Int, _ offset: Int) throws(TemplateError) -> Token {
        let start = index
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            let isPart =
                (byte >= 48 && byte <= 57) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "x")
                || ((byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+"))
                    && (bytes[index - 1] == UInt8(ascii: "e") || bytes[index - 1] == UInt8(ascii: "E")))
            guard isPart else { break }
            index += 1
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if let integer = Int(text) { return .number(Double(integer), isInteger: true) }
        guard let value = Double(text) else { throw self.error(offset, "bad number syntax: \"\(text)\"") }
        return .number(value, isInteger: false)
    }

    // MARK: Building the tree

    private struct End {
        let keyword: String
        let offset: Int
        /// For `else if …` and `else with …`: the rest of the action.
        let rest: [(Token, Int)]
    }

    private mutating func list() throws(TemplateError) -> ([TemplateNode], End?) {
        var nodes: [TemplateNode] = []
        while self.index < self.items.count {
            let item = self.items[self.index]
            self.index += 1
            switch item {
            case .text(let text):
                nodes.append(.text(text))
            case .action(let tokens, let offset):
                guard let first = tokens.first else { throw self.error(offset, "missing value for command") }
                if case .identifier(let keyword) = first.0 {
                    switch keyword {
                    case "end", "else":
                        return (nodes, End(keyword: keyword, offset: offset, rest: Array(tokens.dropFirst())))
                    case "if", "with", "range":
                        nodes.append(try self.block(keyword, Array(tokens.dropFirst()), offset: offset))
                        continue
                    case "define", "template", "block", "break", "continue":
                        throw self.error(offset, "{{\(keyword)}} is not supported in rule templates")
                    default: break
                    }
                }
                nodes.append(.action(try self.pipeline(tokens, offset: offset, allowDeclarations: true)))
            }
        }
        return (nodes, nil)
    }

    private mutating func block(_ keyword: String, _ tokens: [(Token, Int)], offset: Int) throws(TemplateError) -> TemplateNode {
        let pipeline = try self.pipeline(tokens, offset: offset, allowDeclarations: true)
        let (body, end) = try self.list()
        guard let end else { throw self.error(offset, "unexpected EOF") }
        var otherwise: [TemplateNode] = []
        if end.keyword == "else" {
            if let first = end.rest.first, case .identifier(let nested) = first.0, nested == "if" || nested == "with" {
                // `else if` is an `if` inside the else branch that shares this block's `end`.
                otherwise = [try self.block(nested, Array(end.rest.dropFirst()), offset: end.offset)]
            } else {
                guard end.rest.isEmpty else { throw self.error(end.offset, "unexpected tokens after else") }
                let (elseBody, elseEnd) = try self.list()
                guard let elseEnd, elseEnd.keyword == "end" else { throw self.error(end.offset, "expected end; found else") }
                otherwise = elseBody
            }
        }
        switch keyword {
        case "range": return .loop(pipeline, body: body, otherwise: otherwise)
        default: return .conditional(pipeline, binds: keyword == "with", then: body, otherwise: otherwise)
        }
    }

    private func pipeline(_ tokens: [(Token, Int)], offset: Int, allowDeclarations: Bool) throws(TemplateError) -> TemplatePipeline {
        var pipeline = TemplatePipeline(offset: offset)
        var rest = tokens[...]
        // Declarations: `$x :=`, `$x =`, `$k, $v :=`.
        if allowDeclarations, let position = rest.firstIndex(where: { $0.0 == .declare || $0.0 == .assign }) {
            let names = rest[..<position]
            var variables: [String] = []
            var expectComma = false
            var valid = true
            for (token, _) in names {
                switch token {
                case .variable(let name, let fields) where fields.isEmpty && !expectComma: variables.append(name)
                case .comma where expectComma: break
                default: valid = false
                }
                expectComma.toggle()
            }
            if valid, !variables.isEmpty, variables.count <= 2 {
                pipeline.variables = variables
                pipeline.declares = rest[position].0 == .declare
                rest = rest[(position + 1)...]
            }
        }
        var command: [TemplateOperand] = []
        var depth = 0
        var nested: [(Token, Int)] = []
        var nestedStart = 0
        for (token, position) in rest {
            if depth > 0 {
                if token == .open { depth += 1 }
                if token == .close {
                    depth -= 1
                    if depth == 0 {
                        let inner = try self.pipeline(nested, offset: nestedStart, allowDeclarations: false)
                        command.append(.nested(inner, []))
                        continue
                    }
                }
                nested.append((token, position))
                continue
            }
            switch token {
            case .open:
                depth = 1
                nested = []
                nestedStart = position
            case .close: throw self.error(position, "unexpected right paren")
            case .pipe:
                guard !command.isEmpty else { throw self.error(position, "missing command") }
                pipeline.commands.append(command)
                command = []
            case .identifier(let name):
                switch name {
                case "true": command.append(.literal(.bool(true)))
                case "false": command.append(.literal(.bool(false)))
                case "nil": command.append(.literal(.null))
                default:
                    guard TemplateFunctions.names.contains(name) else { throw self.error(position, "function \"\(name)\" not defined") }
                    command.append(.function(name, offset: position))
                }
            case .variable(let name, let fields): command.append(.variable(name, fields))
            case .field(let fields):
                if case .nested(let inner, let previous)? = command.last, previous.isEmpty {
                    command[command.count - 1] = .nested(inner, fields)
                } else {
                    command.append(.dot(fields))
                }
            case .string(let value): command.append(.literal(.string(value)))
            case .number(let value, let isInteger): command.append(.literal(isInteger ? .int(Int(value)) : .float(value)))
            case .declare, .assign, .comma: throw self.error(position, "unexpected \(token) in operand")
            }
        }
        if depth > 0 { throw self.error(offset, "unclosed left paren") }
        guard !command.isEmpty else { throw self.error(offset, "missing value for command") }
        pipeline.commands.append(command)
        return pipeline
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
