import Foundation
import TestSupport
import Testing

/// The deployment files as a platform team would receive them. No container engine or cluster runs
/// here, so the Dockerfile is linted with hadolint, every Kubernetes manifest is validated against
/// the Kubernetes schemas (kubernetes-validate, strict) and the Prometheus Operator's CRD schemas,
/// and the configuration the ConfigMap carries passes `modelwatch check`. Each linter is also shown
/// a broken copy, so a check that cannot fail would fail here.
@Suite("Deployment files")
struct DeploymentTests {
    static let root = ModelServerProcess.repositoryRoot.path
    static let tools = root + "/.venv-deploy/bin"
    static let manifests = [
        "configmap.yaml", "deployment.yaml", "service.yaml", "podmonitor.yaml", "servicemonitor.yaml", "prometheusrule.yaml",
    ].map {
        root + "/deploy/kubernetes/" + $0
    }

    /// Runs a program to its end on a thread of its own; standard output and error together.
    static func run(_ program: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    /// A copy of a file with one edit, in a scratch directory.
    static func brokenCopy(of path: String, replacing original: String, with broken: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(original), "\(path) no longer contains \(original)")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent(
            "broken-\(UUID().uuidString)-" + (path as NSString).lastPathComponent)
        try text.replacingOccurrences(of: original, with: broken).write(to: copy, atomically: true, encoding: .utf8)
        return copy.path
    }

    @Test("the Dockerfile passes hadolint; one that runs as root does not")
    func dockerfile() async throws {
        let clean = try await Self.run(Self.tools + "/hadolint", ["Dockerfile"])
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.isEmpty, "\(clean.output)")

        let root = try Self.brokenCopy(of: Self.root + "/Dockerfile", replacing: "USER 10001:10001", with: "USER root")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let broken = try await Self.run(Self.tools + "/hadolint", [root])
        #expect(broken.status != 0)
        #expect(broken.output.contains("DL3002"), "\(broken.output)")
    }

    @Test("every core manifest passes kubernetes-validate --strict; a misspelt field does not")
    func kubernetesSchemas() async throws {
        let clean = try await Self.run(Self.tools + "/kubernetes-validate", ["--strict"] + Self.manifests)
        #expect(clean.status == 0, "\(clean.output)")
        for resource in ["configmap/iris-modelwatch", "deployment/iris", "persistentvolumeclaim/iris-model", "service/iris"] {
            #expect(clean.output.contains("passed for resource \(resource)"), "\(clean.output)")
        }
        // Only the operator's kinds are outside Kubernetes' own schemas; the next test covers them.
        let unknown = clean.output.split(separator: "\n").filter { $0.contains("Couldn't find schema") }
        #expect(unknown.count == 3 && unknown.allSatisfy { $0.contains("monitoring.coreos.com") }, "\(clean.output)")

        let typo = try Self.brokenCopy(of: Self.manifests[1], replacing: "readinessProbe:", with: "readinesProbe:")
        defer { try? FileManager.default.removeItem(atPath: typo) }
        let broken = try await Self.run(Self.tools + "/kubernetes-validate", ["--strict", typo])
        #expect(broken.status != 0, "\(broken.output)")
    }

    @Test("the PrometheusRule carries alerts/modelwatch.rules.yaml's groups unchanged")
    func prometheusRule() async throws {
        let script = """
            import sys, yaml
            rule = yaml.safe_load(open(sys.argv[1]))
            shipped = yaml.safe_load(open(sys.argv[2]))
            print("same" if rule["spec"]["groups"] == shipped["groups"] else "different")
            """
        let answer = try await Self.run(
            Self.tools + "/python", ["-c", script, Self.manifests[5], Self.root + "/alerts/modelwatch.rules.yaml"])
        #expect(answer.status == 0, "\(answer.output)")
        #expect(answer.output.trimmingCharacters(in: .whitespacesAndNewlines) == "same", "regenerate deploy/kubernetes/prometheusrule.yaml")
    }

    @Test("PodMonitor, ServiceMonitor and PrometheusRule pass the Prometheus Operator's CRD schemas; a misspelt field does not")
    func operatorSchemas() async throws {
        let script = Self.root + "/Tests/IntegrationTests/Fixtures/validate_operator_manifests.py"
        let clean = try await Self.run(Self.tools + "/python", [script] + Self.manifests)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("3 operator resources checked, 0 invalid"), "\(clean.output)")

        let typo = try Self.brokenCopy(of: Self.manifests[3], replacing: "podMetricsEndpoints:", with: "podMetricEndpoints:")
        defer { try? FileManager.default.removeItem(atPath: typo) }
        let broken = try await Self.run(Self.tools + "/python", [script, typo])
        #expect(broken.status == 1)
        #expect(broken.output.contains("spec.podMetricEndpoints: unknown field"), "\(broken.output)")
    }

    @Test("the configuration in the ConfigMap passes modelwatch check, and its ports match the manifests")
    func configMapConfiguration() async throws {
        let manifest = try String(contentsOfFile: Self.manifests[0], encoding: .utf8)
        // The YAML block under `modelwatch.yaml: |`, indented four spaces.
        let lines = manifest.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.contains("modelwatch.yaml: |") })
        let block = lines[(start + 1)...].prefix { $0.hasPrefix("    ") || $0.isEmpty }.map { $0.dropFirst(min(4, $0.count)) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("modelwatch-deploy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try block.joined(separator: "\n").write(toFile: directory + "/modelwatch.yaml", atomically: true, encoding: .utf8)
        // /var/lib/modelwatch is the container's volume; here the store goes to the scratch directory.
        let check = try await ModelWatchProcess.run([
            "check", "--config", directory + "/modelwatch.yaml", "--storage-path", directory + "/modelwatch.db",
        ])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("data port 0.0.0.0:8080 -> upstream http://127.0.0.1:8081 ("), "\(check.output)")
        #expect(check.output.contains("admin port 0.0.0.0:9464"), "\(check.output)")

        let deployment = try String(contentsOfFile: Self.manifests[1], encoding: .utf8)
        #expect(deployment.contains("containerPort: 8080") && deployment.contains("containerPort: 9464"))
        #expect(deployment.contains("value: \"8081\""), "MLServer's HTTP port must be the sidecar's upstream")
        #expect(deployment.contains("mountPath: /var/lib/modelwatch"))
    }
}
