import ModelWatchAlerting
import ModelWatchDrift
import ModelWatchProxy
import Yams

extension DocumentReader {
    /// `global.external_labels` and `global.external_url`.
    func readGlobal(_ value: Node, into alerting: inout AlertingConfiguration) throws(ConfigurationError) {
        for (field, node) in try self.entries(of: value, section: "global") {
            let key = "global." + field.name
            switch field.name {
            case "external_labels":
                var labels: [String: String] = [:]
                for (name, labelValue) in try self.entries(of: node, section: key) {
                    guard RuleFileLoader.isLabelName(name.name), !name.name.hasPrefix("__") else {
                        throw ConfigurationError(
                            source: self.source, line: name.line, key: "\(key).\(name.name)",
                            message: "not a valid label name (letters, digits and _, not starting with a digit or __)")
                    }
                    labels[name.name] = try self.string(labelValue, key: "\(key).\(name.name)")
                }
                alerting.externalLabels = labels
            case "external_url":
                let text = try self.string(node, key: key)
                do {
                    alerting.externalURL = try UpstreamURL(parsing: text).description
                } catch {
                    throw self.error(node, key: key, error.description)
                }
            default: throw self.unknownKey(field, section: "global")
            }
        }
    }

    /// `alerting.alertmanagers`, `alerting.queue_capacity`, `alerting.resend_delay`.
    func readAlerting(_ value: Node, into alerting: inout AlertingConfiguration) throws(ConfigurationError) {
        for (field, node) in try self.entries(of: value, section: "alerting") {
            let key = "alerting." + field.name
            switch field.name {
            case "alertmanagers":
                guard case .sequence(let items) = node else {
                    throw self.error(node, key: key, "expected a list of Alertmanagers, each with a url")
                }
                alerting.alertmanagers = []
                for (index, item) in items.enumerated() {
                    alerting.alertmanagers.append(try self.readAlertmanager(item, key: "\(key)[\(index)]"))
                }
            case "queue_capacity": alerting.queueCapacity = try self.integer(node, key: key, range: 1...1_000_000)
            case "resend_delay":
                let delay = try self.duration(node, key: key, allowZero: false)
                alerting.resendDelay = Int64(delay.components.seconds) * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            default: throw self.unknownKey(field, section: "alerting")
            }
        }
    }

    private func readAlertmanager(_ node: Node, key section: String) throws(ConfigurationError) -> HTTPPostTarget {
        var url: UpstreamURL?
        var target = HTTPPostTarget(url: "", timeout: .seconds(10))
        var credentials: String?
        for (field, value) in try self.entries(of: node, section: section) {
            let key = "\(section).\(field.name)"
            switch field.name {
            case "url":
                do {
                    url = try UpstreamURL(parsing: try self.string(value, key: key))
                } catch let error as UpstreamURL.ParseError {
                    throw self.error(value, key: key, error.description)
                } catch {
                    throw error as? ConfigurationError ?? self.error(value, key: key, "\(error)")
                }
            case "timeout": target.timeout = try self.duration(value, key: key, allowZero: false)
            case "ca_file":
                let path = try self.filePath(value, key: key)
                if let problem = ConfigurationChecks.certificateProblem(path) { throw self.error(value, key: key, problem) }
                target.caFile = path
            case "bearer_token", "bearer_token_file":
                if let credentials {
                    throw self.error(
                        value, key: key, "at most one of basic_auth, bearer_token and bearer_token_file, got \(credentials) too")
                }
                credentials = field.name
                target.bearerToken =
                    field.name == "bearer_token" ? try self.string(value, key: key) : try self.secret(fromFileAt: value, key: key)
            case "basic_auth":
                if let credentials {
                    throw self.error(
                        value, key: key, "at most one of basic_auth, bearer_token and bearer_token_file, got \(credentials) too")
                }
                credentials = field.name
                target.basicAuth = try self.readBasicAuth(value, key: key)
            default: throw self.unknownKey(field, section: "alerting.alertmanagers")
            }
        }
        guard let url else {
            throw self.error(node, key: "\(section).url", "every Alertmanager needs a url, such as http://alertmanager:9093")
        }
        target.url = url.origin + url.pathPrefix + AlertingConfiguration.alertsPath
        return target
    }

    private func readBasicAuth(_ node: Node, key section: String) throws(ConfigurationError) -> HTTPPostTarget.BasicAuth {
        var username: String?
        var password: String?
        for (field, value) in try self.entries(of: node, section: section) {
            let key = "\(section).\(field.name)"
            switch field.name {
            case "username": username = try self.string(value, key: key)
            case "password", "password_file":
                guard password == nil else { throw self.error(value, key: key, "at most one of password and password_file") }
                password = field.name == "password" ? try self.string(value, key: key) : try self.secret(fromFileAt: value, key: key)
            default: throw self.unknownKey(field, section: "alerting.alertmanagers.basic_auth")
            }
        }
        guard let username, !username.isEmpty else { throw self.error(node, key: "\(section).username", "basic_auth needs a username") }
        return HTTPPostTarget.BasicAuth(username: username, password: password ?? "")
    }

    private func filePath(_ node: Node, key: String) throws(ConfigurationError) -> String {
        let path = try self.string(node, key: key)
        guard !path.isEmpty else { throw self.error(node, key: key, "expected a file path") }
        return self.resolve(path)
    }

    /// A password or token kept in a file of its own, read now, surrounding whitespace trimmed as
    /// Prometheus trims it.
    private func secret(fromFileAt node: Node, key: String) throws(ConfigurationError) -> String {
        let path = try self.filePath(node, key: key)
        do {
            var text = Substring(try LocalFile.text(path))
            while let last = text.last, last.isWhitespace { text.removeLast() }
            while let first = text.first, first.isWhitespace { text.removeFirst() }
            return String(text)
        } catch {
            throw self.error(node, key: key, error.description)
        }
    }
}
