import Glibc
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import ServiceLifecycle

/// A listening socket whose connections are set up by the caller, run as a `Service`.
///
/// On graceful shutdown it stops accepting at once, asks every connection to finish the request
/// it is serving (`ChannelShouldQuiesceEvent`, which `HTTPServerPipelineHandler` and the data
/// port's `ProxyHandler` honour), and
/// closes whatever is still open when the grace period runs out.
public final class HTTPServer: Service, Sendable {
    private let name: String
    private let address: ListenAddress
    private let group: any EventLoopGroup
    private let gracePeriod: Duration
    private let logger: Logger
    private let configureConnection: @Sendable (any Channel) -> EventLoopFuture<Void>
    private let maxConnections: Int
    /// Connections accepted, open, refused and timed out.
    public let statistics: ConnectionStatistics
    private let connections = ConnectionRegistry()
    private let bound = NIOLockedValueBox<(address: SocketAddress?, waiters: [CheckedContinuation<SocketAddress?, Never>])>((nil, []))

    /// - Parameters:
    ///   - name: how logs name this server (`data`, `admin`).
    ///   - maxConnections: connections open at once; a further one is answered 503 and closed.
    ///     0 for no limit but the process's file descriptors.
    ///   - statistics: where the connection counts go (the connections' own handlers may count
    ///     their timeouts in it too).
    ///   - configureConnection: adds the handlers of one accepted connection.
    public init(
        name: String,
        address: ListenAddress,
        group: any EventLoopGroup,
        gracePeriod: Duration,
        maxConnections: Int = 0,
        statistics: ConnectionStatistics = ConnectionStatistics(),
        logger: Logger,
        configureConnection: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) {
        self.name = name
        self.address = address
        self.group = group
        self.gracePeriod = gracePeriod
        self.maxConnections = maxConnections
        self.statistics = statistics
        self.logger = logger
        self.configureConnection = configureConnection
    }

    /// The address actually bound, once listening (useful with port 0); `nil` if binding failed.
    public func boundAddress() async -> SocketAddress? {
        await withCheckedContinuation { continuation in
            let ready = self.bound.withLockedValue { state -> (Bool, SocketAddress?) in
                if state.address != nil { return (true, state.address) }
                state.waiters.append(continuation)
                return (false, nil)
            }
            if ready.0 { continuation.resume(returning: ready.1) }
        }
    }

    public func run() async throws {
        let connections = self.connections
        let configure = self.configureConnection
        let (name, statistics, logger, limit) = (self.name, self.statistics, self.logger, self.maxConnections)
        let serverChannel: any Channel
        do {
            serverChannel = try await ServerBootstrap(group: self.group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            AcceptWatcher(server: name, statistics: statistics, logger: logger), AcceptBackoffHandler())
                    }
                }
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    switch connections.register(channel, limit: limit) {
                    case .admitted:
                        statistics.connectionOpened()
                        channel.closeFuture.whenComplete { _ in statistics.connectionClosed() }
                        return configure(channel)
                    case .full:
                        statistics.refused(.limit)
                        // The answer, then a close: the client learns why instead of timing out.
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ConnectionRefuser(.connectionLimit(limit)))
                        }
                    case .quiescing:
                        return channel.close()
                    }
                }
                .bind(host: self.address.host, port: self.address.port)
                .get()
        } catch {
            self.publish(nil)
            throw HTTPServerError(server: self.name, address: self.address, underlying: error)
        }
        self.publish(serverChannel.localAddress)
        self.logger.info(
            "listening",
            metadata: [
                "server": "\(self.name)",
                "server.address": "\(serverChannel.localAddress?.ipAddress ?? self.address.host)",
                "server.port": "\(serverChannel.localAddress?.port ?? self.address.port)",
            ]
        )

        try? await gracefulShutdown()
        let cancelled = Task.isCancelled

        try? await serverChannel.close()
        let open = connections.beginQuiescing()
        self.logger.info("stopped accepting; draining connections", metadata: ["server": "\(self.name)", "connections": "\(open.count)"])
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let grace = cancelled ? .zero : self.gracePeriod
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await connections.waitUntilEmpty() }
            group.addTask {
                try? await Task.sleep(for: grace)
                for channel in connections.remaining() {
                    channel.close(promise: nil)
                }
            }
            await group.next()
            group.cancelAll()
        }
        self.logger.info("stopped", metadata: ["server": "\(self.name)"])
    }

    private func publish(_ address: SocketAddress?) {
        let waiters = self.bound.withLockedValue { state in
            state.address = address
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters {
            waiter.resume(returning: address)
        }
    }
}

/// A server could not start listening.
public struct HTTPServerError: Error, CustomStringConvertible {
    let server: String
    let address: ListenAddress
    let underlying: any Error

    public var description: String {
        // NIO's own text names the syscall and its arguments; a person needs the errno's reason.
        guard let error = self.underlying as? IOError else {
            return "the \(self.server) server could not listen on \(self.address): \(self.underlying)"
        }
        if error.errnoCode == EADDRINUSE {
            return "the \(self.server) port \(self.address) is already in use by another process"
        }
        let reason = strerror(error.errnoCode).map { String(cString: $0).lowercased() } ?? "error \(error.errnoCode)"
        return "the \(self.server) server could not listen on \(self.address): \(reason)"
    }
}

/// The open connections of one server, so that shutdown can reach each of them.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var quiescing = false
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    /// Whether an accepted connection may stay.
    enum Admission {
        case admitted
        /// `limit` connections are open already.
        case full
        /// The server is shutting down.
        case quiescing
    }

    /// Registers `channel` unless the server is shutting down or `limit` (when not 0) are open.
    func register(_ channel: any Channel, limit: Int) -> Admission {
        let id = ObjectIdentifier(channel)
        let admission = self.state.withLockedValue { state -> Admission in
            guard !state.quiescing else { return .quiescing }
            guard limit == 0 || state.channels.count < limit else { return .full }
            state.channels[id] = channel
            return .admitted
        }
        if case .admitted = admission {
            channel.closeFuture.whenComplete { _ in self.remove(id) }
        }
        return admission
    }

    func beginQuiescing() -> [any Channel] {
        self.state.withLockedValue { state in
            state.quiescing = true
            return Array(state.channels.values)
        }
    }

    func remaining() -> [any Channel] {
        self.state.withLockedValue { Array($0.channels.values) }
    }

    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let empty = self.state.withLockedValue { state -> Bool in
                if state.channels.isEmpty { return true }
                state.emptyWaiters.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
    }

    private func remove(_ id: ObjectIdentifier) {
        let waiters = self.state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.channels[id] = nil
            guard state.channels.isEmpty else { return [] }
            defer { state.emptyWaiters = [] }
            return state.emptyWaiters
        }
        for waiter in waiters {
            waiter.resume()
        }
    }
}

/// Answers a connection the server will not serve, as soon as it is active, and drops its bytes.
final class ConnectionRefuser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let answer: SidecarError

    init(_ answer: SidecarError) {
        self.answer = answer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.answerAndClose(self.answer)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
