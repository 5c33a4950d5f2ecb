public import ModelWatchQuery

/// One alert as it goes to Alertmanager's `POST /api/v2/alerts`: what Prometheus's notifier
/// sends for it, external labels and the link back to the expression included.
public struct AlertNotification: Sendable, Equatable {
    /// The alert's labels with the external labels it does not set itself.
    public var labels: Labels
    /// The expanded annotations, by name.
    public var annotations: [String: String]
    /// Milliseconds: when the alert started firing.
    public var startsAt: Int64
    /// Milliseconds: when it resolved, or, while firing, until when Alertmanager should consider
    /// it firing without hearing again.
    public var endsAt: Int64
    /// The sidecar's external URL with a link to the rule's expression, as Prometheus builds it.
    public var generatorURL: String

    /// A notification as it is sent.
    public init(labels: Labels, annotations: [String: String], startsAt: Int64, endsAt: Int64, generatorURL: String) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// The notification for an alert the state machine picked for sending.
    /// - Parameters:
    ///   - alert: a firing or resolved alert with `validUntil` set.
    ///   - expression: the rule's expression, for the generator URL.
    ///   - externalLabels: added where the alert has no label of that name, as Prometheus does.
    ///   - externalURL: the sidecar's external URL, without a trailing slash.
    public init(alert: Alert, expression: String, externalLabels: [String: String], externalURL: String) {
        var labels = alert.labels
        for (name, value) in externalLabels.sorted(by: { $0.key < $1.key }) where !value.isEmpty && labels[name].isEmpty {
            labels = labels.setting(name, value)
        }
        self.labels = labels
        self.annotations = alert.annotations
        self.startsAt = alert.firedAt ?? alert.activeAt
        self.endsAt = alert.resolvedAt ?? alert.validUntil ?? alert.activeAt
        self.generatorURL = Self.generatorURL(externalURL: externalURL, expression: expression)
    }

    /// `EXTERNAL_URL/graph?g0.expr=EXPR&g0.tab=1`, Prometheus's `TableLinkForExpression`.
    public static func generatorURL(externalURL: String, expression: String) -> String {
        externalURL + "/graph?g0.expr=" + Self.queryEscaped(expression) + "&g0.tab=1"
    }

    /// Go's `url.QueryEscape`: letters, digits and `-_.~` stay, a space becomes `+`, every other
    /// byte of the UTF-8 becomes `%XX`.
    static func queryEscaped(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                bytes.append(byte)
            case UInt8(ascii: " "):
                bytes.append(UInt8(ascii: "+"))
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
