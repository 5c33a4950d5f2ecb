import Foundation
import ModelWatchDrift
import Yams

/// The `drift` section: settings, thresholds and one entry per model with a baseline. Baselines
/// are read and validated here, so a bad or mismatched baseline stops the start (and fails
/// `modelwatch check`) with the key that named it.
extension DocumentReader {
    func readDrift(_ node: Node, into drift: inout DriftConfiguration) throws(ConfigurationError) {
        for (field, value) in try self.entries(of: node, section: "drift") {
            let key = "drift." + field.name
            switch field.name {
            case "enabled": drift.enabled = try self.boolean(value, key: key)
            case "window":
                let window = try self.duration(value, key: key, allowZero: false)
                let minutes = window.components.seconds / 60
                guard window.components.seconds % 60 == 0, window.components.attoseconds == 0, (1...10_080).contains(minutes) else {
                    throw self.error(value, key: key, "expected whole minutes from 1m to 7d, such as 30m or 1h")
                }
                drift.settings.windowMinutes = Int(minutes)
            case "min_samples": drift.settings.thresholds.minimumSamples = try self.integer(value, key: key, range: 1...100_000_000)
            case "method":
                let text = try self.string(value, key: key)
                guard let method = DriftSettings.Method(rawValue: text) else {
                    throw self.error(value, key: key, "expected histogram or evidently, got \"\(text)\"")
                }
                drift.settings.method = method
            case "sample_per_minute": drift.settings.samplePerMinute = try self.integer(value, key: key, range: 0...100_000)
            case "max_features": drift.settings.maximumFeatures = try self.integer(value, key: key, range: 1...100_000)
            case "range_tolerance": drift.settings.rangeTolerance = try self.number(value, key: key, range: 0...1e6)
            case "thresholds": try self.readThresholds(value, into: &drift.settings.thresholds)
            case "models":
                for (model, entry) in try self.entries(of: value, section: key) {
                    drift.models[model.name] = try self.readModelDrift(model.name, entry)
                }
            default: throw self.unknownKey(field, section: "drift")
            }
        }
    }

    /// `psi_warn` and one alert threshold per statistic; `off` removes a threshold.
    private func readThresholds(_ node: Node, into thresholds: inout DriftThresholds) throws(ConfigurationError) {
        for (field, value) in try self.entries(of: node, section: "drift.thresholds") {
            let key = "drift.thresholds." + field.name
            if field.name == "psi_warn" {
                thresholds.psiWarn = try self.number(value, key: key, range: 0...1e9)
                continue
            }
            guard let statistic = DriftStatistic(rawValue: field.name) else { throw self.unknownKey(field, section: "drift.thresholds") }
            if value.scalar?.string == "off" {
                thresholds.alert[statistic] = nil
            } else {
                thresholds.alert[statistic] = try self.number(value, key: key, range: 0...1e9)
            }
        }
    }

    private func readModelDrift(_ model: String, _ node: Node) throws(ConfigurationError) -> ModelDriftConfiguration {
        let section = "drift.models.\(model)"
        var path: String?
        var pathNode = node
        var mapping: [String: String] = [:]
        var mappingNodes: [(String, Node)] = []
        for (field, value) in try self.entries(of: node, section: section) {
            let key = "\(section).\(field.name)"
            switch field.name {
            case "baseline":
                path = self.resolve(try self.string(value, key: key))
                pathNode = value
            case "features", "outputs":
                for (name, source) in try self.entries(of: value, section: key) {
                    guard mapping[name.name] == nil else { throw self.error(source, key: "\(key).\(name.name)", "mapped twice") }
                    mapping[name.name] = try self.string(source, key: "\(key).\(name.name)")
                    mappingNodes.append((name.name, source))
                }
            default: throw self.unknownKey(field, section: section)
            }
        }
        guard let path, !path.isEmpty else { throw self.error(node, key: "\(section).baseline", "every drift model needs a baseline file") }
        let baseline: Baseline
        do {
            baseline = try Baseline.load(from: path)
        } catch {
            throw self.error(pathNode, key: "\(section).baseline", error.detail)
        }
        guard baseline.model == model else {
            throw self.error(
                pathNode, key: "\(section).baseline", "\(path) is a baseline for model \"\(baseline.model)\", not \"\(model)\"")
        }
        for (name, source) in mappingNodes where baseline.reference(named: name) == nil {
            throw self.error(source, key: section, "\"\(name)\" is not a feature or output of the baseline \(path)")
        }
        return ModelDriftConfiguration(baselinePath: path, baseline: baseline, mapping: mapping)
    }

    func number(_ node: Node, key: String, range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        let text = try self.string(node, key: key)
        guard let value = Double(text), range.contains(value) else {
            throw self.error(node, key: key, "expected a number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }
}
