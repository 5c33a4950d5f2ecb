import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The status page at the admin port's `/`, loaded in a real headless Chromium from a sidecar
/// under traffic: the model rows with the numbers `/metrics` shows, a screenshot kept, no console
/// errors; a model page; an unknown model answered 404 cleanly.
@Suite("Status page")
struct StatusPageTests {
    /// Where the run keeps its screenshots (git-ignored, beside the build).
    static let screenshots = ModelServerProcess.repositoryRoot.appendingPathComponent(".build/screenshots").path

    @Test("in a real Chromium: the model row with the request count /metrics shows, a screenshot, no console errors")
    func chromium() async throws {
        let chromium = try #require(Tool.find("chromium"), "chromium is not installed: run `bash .ci/setup.sh` first")
        try await withSidecar(sections: "storage:\n  scrape_interval: 100ms\n") { _, sidecar in
            for index in 0..<7 {
                let response = try await TestClient.send(
                    port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "\(index)"))
                #expect(response.status == 200)
            }
            // Wait until the store holds every request, then compare with what /metrics says.
            let scrape = try await sidecar.scrape { $0.value("modelwatch_requests_total") >= 7 }
            let counted = scrape.value("modelwatch_requests_total")
            var page = ""
            for _ in 0..<100 {
                page = try await TestClient.send(port: sidecar.adminPort, path: "/").text
                if page.contains("<td class=\"num requests\">\(Int(counted))</td>") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(page.contains("<td class=\"num requests\">\(Int(counted))</td>"), "\(page)")

            try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)
            let screenshot = Self.screenshots + "/status-page.png"
            try? FileManager.default.removeItem(atPath: screenshot)
            let url = "http://127.0.0.1:\(sidecar.adminPort)/"
            let common = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
            let shot = try await Tool.run(chromium, common + ["--window-size=1300,700", "--screenshot=\(screenshot)", url], input: "")
            #expect(shot.status == 0, "\(shot.output)")
            let attributes = try FileManager.default.attributesOfItem(atPath: screenshot)
            #expect((attributes[.size] as? Int ?? 0) > 10_000, "the screenshot is empty")

            // The DOM Chromium built: the row is there with the count, and nothing complained.
            let dom = try await Tool.run(chromium, common + ["--dump-dom", url], input: "")
            #expect(dom.status == 0)
            #expect(dom.output.contains("class=\"model\" data-model=\"unknown\""), "\(dom.output.suffix(2000))")
            #expect(dom.output.contains("<td class=\"num requests\">\(Int(counted))</td>"))
            #expect(dom.output.contains("<svg class=\"chart\""))
            let consoleErrors = dom.output.split(separator: "\n").filter { $0.contains("CONSOLE") && $0.contains("rror") }
            #expect(consoleErrors.isEmpty, "\(consoleErrors)")
            print("status page screenshot: \(screenshot)")
        }
    }

    @Test("a model page answers, an unknown model and a bad path get a clean 404, and the page stays off the data port")
    func modelPages() async throws {
        try await withSidecar(sections: "storage:\n  scrape_interval: 100ms\n") { backend, sidecar in
            let response = try await TestClient.send(port: sidecar.dataPort, method: .POST, path: "/echo", body: ByteBuffer(string: "x"))
            #expect(response.status == 200)
            var model = TestResponse?.none
            for _ in 0..<100 {
                model = try await TestClient.send(port: sidecar.adminPort, path: "/models/unknown")
                if model?.status == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(model?.status == 200)
            #expect(model?.text.contains("<h2>unknown</h2>") == true)
            #expect(model?.head.headers.first(name: "content-type") == "text/html; charset=utf-8")

            for path in ["/models/no-such-model", "/models/%3Cscript%3E", "/models/"] {
                let missing = try await TestClient.send(port: sidecar.adminPort, path: path)
                #expect(missing.status == 404, "\(path)")
                #expect(missing.text.contains("<h1>Not found</h1>"), "\(path)")
                #expect(!missing.text.contains("<script>"), "\(path)")
            }
            // The data port proxies `/` to the backend like any other path: the page is the admin port's only.
            let proxied = try await TestClient.send(port: sidecar.dataPort, path: "/")
            #expect(!proxied.text.contains("<h1>ModelWatch"))
            #expect(backend.requests.contains { $0.head.uri == "/" })
        }
    }
}
