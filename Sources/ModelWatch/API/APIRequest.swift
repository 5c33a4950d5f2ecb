import ModelWatchProxy

/// A request to the HTTP query API: its method, path and parameters, read from the URL's query
/// string and, for a form-encoded POST, from the body, as Prometheus reads them.
struct APIRequest: Sendable {
    var method: String
    var path: String
    /// Every parameter in order; a name may repeat (`match[]`).
    var parameters: [(name: String, value: String)]

    init(method: String, uri: String, contentType: String?, body: [UInt8]) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = Self.percentDecoded(Substring(parts.first ?? ""), plusIsSpace: false)
        self.parameters = parts.count > 1 ? Self.form(parts[1]) : []
        if method == "POST", contentType?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
            self.parameters += Self.form(Substring(decoding: body, as: UTF8.self))
        }
    }

    /// The first value of a parameter.
    subscript(_ name: String) -> String? {
        self.parameters.first { $0.name == name }?.value
    }

    /// Every value of a repeated parameter.
    func all(_ name: String) -> [String] {
        self.parameters.filter { $0.name == name }.map(\.value)
    }

    /// `a=1&b=x%20y&c=d+e` as name–value pairs.
    static func form(_ text: Substring) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.percentDecoded(halves[0], plusIsSpace: true)
            let value = halves.count > 1 ? Self.percentDecoded(halves[1], plusIsSpace: true) : ""
            return (name, value)
        }
    }

    /// `%XX` escapes decoded as UTF-8 bytes; a malformed escape is kept as written.
    static func percentDecoded(_ text: Substring, plusIsSpace: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+"), plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2, let high = Self.hex(iterator[iterator.startIndex]),
                let low = Self.hex(iterator[iterator.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// What the API answers: a status code and a JSON body.
struct APIResponse: Sendable {
    var status: Int
    var body: String

    /// `{"status":"success","data":…}` with `data` already JSON.
    static func success(_ data: String) -> APIResponse {
        APIResponse(status: 200, body: #"{"status":"success","data":"# + data + "}")
    }

    /// Prometheus's error body, with the HTTP status it uses for each `errorType`.
    static func error(_ type: APIErrorType, _ message: String) -> APIResponse {
        APIResponse(
            status: type.status, body: #"{"status":"error","errorType":"\#(type.rawValue)","error":"# + JSONString.quoted(message) + "}")
    }
}

/// Prometheus's `errorType` values and the HTTP status each goes with.
enum APIErrorType: String, Sendable {
    case badData = "bad_data"
    case execution
    case timeout
    case canceled
    case `internal`
    case unavailable
    case notFound = "not_found"

    var status: Int {
        switch self {
        case .badData: 400
        case .execution: 422
        case .timeout, .canceled, .unavailable: 503
        case .internal: 500
        case .notFound: 404
        }
    }
}
