import Foundation
import Testing

/// Plain blocking client sockets, for tests that must act as a client NIO would not be: many
/// connections held open at once, or one that hangs up in the middle of an answer.
enum RawSocket {
    /// Plain blocking sockets connected to loopback `port`: the kernel completes the handshake
    /// whether or not the sidecar accepts, which is what a flood of clients looks like.
    static func open(port: Int, count: Int) throws -> [Int32] {
        try (0..<count).map { _ in
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(socket >= 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try #require(connected == 0, "connect: errno \(errno)")
            return socket
        }
    }

    /// Writes all of `bytes`, as a client that does not watch for an early answer does.
    /// - Returns: false once the peer has reset or closed the connection (no `SIGPIPE`).
    @discardableResult
    static func send(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Everything `socket` receives until the peer closes it (or 10 s pass).
    static func readUntilClosed(_ socket: Int32) -> String {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(socket, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
