import Foundation
import ModelWatchStore

/// A mismatch on its way to the store: made into a record (request redacted, payloads bounded,
/// differing values listed) by the shadow service, off the inference threads' critical work.
struct ShadowMismatchCandidate: Sendable {
    var job: ShadowJob
    var verdict: ShadowVerdict
    var shadowAnswer: [UInt8]

    /// Each kept payload at most this long; longer ones are cut, which the record says.
    static let maxPayloadBytes = 64 << 10
    /// Differing rows listed per output.
    static let maxDifferencesPerOutput = 10
    static let redactedValue = "[redacted]"

    func record(redacting fields: Set<String>, at timestamp: Int64) -> ShadowMismatchRecord {
        var differences: [[String: Any]] = []
        var differing: [String] = []
        for output in self.verdict.outputs where !output.agrees {
            differing.append(output.output)
            if let incompatibility = output.incompatibility {
                differences.append(["output": output.output, "reason": incompatibility])
                continue
            }
            for row in output.differingRows.prefix(Self.maxDifferencesPerOutput) {
                var entry: [String: Any] = [
                    "output": output.output, "row": row,
                    "backend": self.verdict.backendValues[output.output]?.describeRow(row) ?? "",
                    "shadow": self.verdict.shadowValues[output.output]?.describeRow(row) ?? "",
                ]
                if output.absoluteErrors.indices.contains(row) {
                    entry["abs_error"] = output.absoluteErrors[row]
                    entry["rel_error"] = output.relativeErrors[row].isFinite ? output.relativeErrors[row] : "+Inf"
                }
                differences.append(entry)
            }
        }
        let text = (try? JSONSerialization.data(withJSONObject: differences, options: [.sortedKeys])).map {
            String(decoding: $0, as: UTF8.self)
        }
        return ShadowMismatchRecord(
            model: self.job.model, version: self.job.version, timestamp: timestamp, outputs: differing.joined(separator: ","),
            differences: text ?? "[]", request: Self.bounded(Self.redacted(self.job.requestBody, fields: fields)),
            backendAnswer: Self.bounded(self.job.responseBody), shadowAnswer: Self.bounded(self.shadowAnswer))
    }

    static func bounded(_ bytes: [UInt8]) -> [UInt8] {
        bytes.count <= Self.maxPayloadBytes ? bytes : Array(bytes.prefix(Self.maxPayloadBytes))
    }

    /// The body with every member named in `fields` replaced, at any depth. A body that is not
    /// JSON cannot be redacted, so it is not kept at all when redaction is asked for.
    static func redacted(_ body: [UInt8], fields: Set<String>) -> [UInt8] {
        guard !fields.isEmpty else { return body }
        guard let document = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            return Array("(\(body.count) bytes that are not JSON; not kept because fields are redacted)".utf8)
        }
        func walk(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                var copy: [String: Any] = [:]
                for (key, member) in object { copy[key] = fields.contains(key) ? Self.redactedValue : walk(member) }
                return copy
            }
            if let array = value as? [Any] { return array.map(walk) }
            return value
        }
        guard let data = try? JSONSerialization.data(withJSONObject: walk(document), options: [.sortedKeys, .fragmentsAllowed]) else {
            return Array("(not kept: redaction failed)".utf8)
        }
        return Array(data)
    }
}
