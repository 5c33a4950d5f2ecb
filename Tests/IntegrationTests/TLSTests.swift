import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// An `https` backend: certificates are verified, and `upstream.ca_file` names the CA to trust.
@Suite("TLS upstream", .timeLimit(.minutes(2)))
struct TLSTests {
    /// A real HTTPS server (Python's standard library) with a certificate for 127.0.0.1 from a
    /// throwaway CA made with the openssl command line.
    final class HTTPSBackend: @unchecked Sendable {
        // @unchecked Sendable: the process is driven by one test at a time.
        let port: Int
        let caFile: String
        private let process: Process

        /// Makes the certificates and starts the server on a thread of its own: key generation and
        /// Python's start take a while, and the other suites' async work must not wait behind them.
        static func start() async throws -> HTTPSBackend {
            try await onOwnThread { try HTTPSBackend() }
        }

        private init() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = { (name: String) in directory.appendingPathComponent(name).path }
            let steps: [[String]] = [
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=ModelWatch test CA", "-keyout",
                    path("ca.key"), "-out", path("ca.pem"),
                ],
                [
                    "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", path("server.key"), "-out",
                    path("server.csr"),
                ],
            ]
            for arguments in steps { try Self.openssl(arguments) }
            try "subjectAltName=IP:127.0.0.1\n".write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
            try Self.openssl([
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                "-days", "1", "-extfile", path("san.ext"), "-out", path("server.pem"),
            ])
            let output = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", ModelServerProcess.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/https_echo.py").path,
                path("server.pem"), path("server.key"),
            ]
            process.standardOutput = output
            // Never share the test runner's output: a leftover child holding it would keep
            // `swift test` waiting for end of file.
            process.standardError = FileHandle.nullDevice
            try process.run()
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw TestFailure("the HTTPS backend did not report a port: \(line)")
            }
            self.port = port
            self.caFile = path("ca.pem")
            self.process = process
        }

        deinit {
            self.stop()
        }

        func stop() {
            if self.process.isRunning {
                kill(self.process.processIdentifier, SIGKILL)
                self.process.waitUntilExit()
            }
        }

        private static func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.first ?? "") failed") }
        }
    }

    @Test("with upstream.ca_file naming the backend's CA, requests go through https intact")
    func trustedCA() async throws {
        let backend = try await HTTPSBackend.start()
        defer { backend.stop() }
        try await withSidecar(upstream: "https://127.0.0.1:\(backend.port)", upstreamSettings: ["ca_file": backend.caFile]) { sidecar in
            let body = TestBackend.pattern(100_000)
            let response = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/v2/models/m/infer", body: body)
            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }

    @Test("a certificate from an untrusted CA is refused: 502 upstream-tls")
    func untrustedCertificate() async throws {
        let backend = try await HTTPSBackend.start()
        defer { backend.stop() }
        try await withSidecar(upstream: "https://127.0.0.1:\(backend.port)") { sidecar in
            let response = try await TestClient.send(
                port: sidecar.dataPort, method: .POST, path: "/v2/models/m/infer", body: ByteBuffer(string: "{}"))
            #expect(response.status == 502)
            #expect(response.head.headers[SidecarHeader.error] == ["upstream-tls"])
        }
    }
}
