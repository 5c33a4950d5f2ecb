import Foundation

/// Says in one line what is wrong with a JSON document that `JSONDecoder` refused, with the
/// path of the field (`features[2].numeric.edges`), instead of `DecodingError`'s debug dump.
enum DecodingProblem {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not valid JSON" }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(Self.path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "\(Self.place(context)) is not \(Self.name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(Self.place(context)) is null, expected \(Self.name(of: type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "\(Self.place(context)): \(context.debugDescription)"
        @unknown default:
            return "not valid JSON"
        }
    }

    private static func place(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "the document" : "field \"\(Self.path(context.codingPath))\""
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "a whole number"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a valid \(name)"
        }
    }
}
