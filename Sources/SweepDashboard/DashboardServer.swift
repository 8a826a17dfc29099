import Foundation
import Hummingbird
import Logging
import NIOCore
import SweepReport

/// `sweep dashboard`'s HTTP server on 127.0.0.1 (Hummingbird): the report page, and the JSON
/// endpoints its script polls.
///
/// - `GET /`: the page (the report's, in live mode).
/// - `GET /api/sweeps`: `{"state": "ok", "sweeps": [...]}`, or the database's state
///   (`missing`, `creating`, `busy`, …) with a message.
/// - `GET /api/sweeps/NAME[?revision=R]`: the sweep's report (`SweepReport` as JSON), or
///   `{"unchanged": true}` when its revision is still R.
///
/// Every answer is a page or a JSON document that says what is wrong; none is an error 500.
public struct DashboardServer: Sendable {
    public let reader: DashboardReader
    public let port: Int

    public init(reader: DashboardReader, port: Int) {
        self.reader = reader
        self.port = port
    }

    /// Why the server could not start.
    public enum StartError: Error, CustomStringConvertible {
        case portInUse(Int)
        case cannotListen(port: Int, reason: String)

        public var description: String {
            switch self {
            case .portInUse(let port):
                "port \(port) on 127.0.0.1 is already in use (another dashboard?); pass another with --port, or --port 0 for any free one"
            case .cannotListen(let port, let reason):
                "cannot listen on 127.0.0.1:\(port): \(reason)"
            }
        }
    }

    /// Serves until SIGINT or SIGTERM, then stops cleanly. `onListening` gets the port bound
    /// (the one asked for, or the one chosen for port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        let page = ReportPage.live()
        let reader = self.reader
        router.get("/") { _, _ in
            Self.response(status: .ok, contentType: "text/html; charset=utf-8", body: page)
        }
        router.get("/api/sweeps") { _, _ in
            let answer = await reader.sweeps()
            return Self.response(status: HTTPResponse.Status(code: answer.status), contentType: "application/json", body: answer.json)
        }
        router.get("/api/sweeps/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            let answer = await reader.report(sweep: name, knownRevision: request.uri.queryParameters.get("revision"))
            return Self.response(status: HTTPResponse.Status(code: answer.status), contentType: "application/json", body: answer.json)
        }
        var logger = Logger(label: "sweep dashboard")
        logger.logLevel = .error
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: nil, reuseAddress: false),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
        do {
            try await app.runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw StartError.portInUse(port)
        } catch let error as IOError {
            throw StartError.cannotListen(port: port, reason: error.description)
        }
    }

    static func response(status: HTTPResponse.Status, contentType: String, body: Data) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
