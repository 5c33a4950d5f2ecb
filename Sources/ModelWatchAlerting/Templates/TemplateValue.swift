/// A value inside a template: what Go's `text/template` sees of Prometheus's template data.
public indirect enum TemplateValue: Sendable {
    case string(String)
    case float(Double)
    case int(Int)
    case bool(Bool)
    /// A `map[string]string`, such as `$labels`.
    case labels([String: String])
    /// A struct with named fields, such as the template's dot.
    case record([String: TemplateValue])
    case list([TemplateValue])
    case null

    /// Go's truth: false, zero, empty and nil are false.
    var isTrue: Bool {
        switch self {
        case .string(let text): !text.isEmpty
        case .float(let value): value != 0
        case .int(let value): value != 0
        case .bool(let value): value
        case .labels(let map): !map.isEmpty
        case .record: true
        case .list(let items): !items.isEmpty
        case .null: false
        }
    }

    /// Go's type name, for error messages.
    var typeName: String {
        switch self {
        case .string: "string"
        case .float: "float64"
        case .int: "int"
        case .bool: "bool"
        case .labels: "map[string]string"
        case .record: "struct"
        case .list: "[]interface {}"
        case .null: "<nil>"
        }
    }

    /// As `fmt.Sprint` prints it.
    var printed: String {
        switch self {
        case .string(let text): text
        case .float(let value): GoFormat.shortest(value)
        case .int(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .labels(let map): "map[" + map.keys.sorted().map { "\($0):\(map[$0] ?? "")" }.joined(separator: " ") + "]"
        case .record(let fields): "{" + fields.keys.sorted().map { fields[$0]?.printed ?? "" }.joined(separator: " ") + "}"
        case .list(let items): "[" + items.map(\.printed).joined(separator: " ") + "]"
        case .null: "<no value>"
        }
    }
}
