#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file's bytes could not be read.
public enum FileReadProblem: Error, Equatable, Sendable {
    case notFound
    case directory
    /// Larger than the limit: the file's size, or the bytes read from a stream before giving up.
    case tooLarge(byteCount: Int)
    case unreadable(reason: String)
}

/// Reads a whole file into memory with a bound on its size, for every file a user names
/// (data, models, configurations): a regular file larger than `limit` is refused from its size
/// before a byte is read, and a stream (a pipe, `<(zcat data.csv.gz)`, a character device) is
/// read until its end or until it passes `limit`, so `/dev/zero` cannot take the machine's memory.
/// A named pipe (FIFO) is given `writerWait` seconds for a program to write to it: opened the
/// usual way, it would wait for ever for a writer that may never come.
///
/// - Parameters:
///   - path: the file; symlinks are followed.
///   - limit: the most bytes accepted.
///   - writerWait: how long a FIFO nothing writes to is waited for, in seconds.
/// - Throws: `FileReadProblem`.
public func readFileBytes(at path: String, limit: Int, waitingForAWriterAtMost writerWait: Double = 5) throws(FileReadProblem) -> [UInt8] {
    var status = stat()
    guard stat(path, &status) == 0 else {
        let code = errno
        if code == ENOENT { throw .notFound }
        throw .unreadable(reason: String(cString: strerror(code)))
    }
    let kind = status.st_mode & S_IFMT
    if kind == S_IFDIR { throw .directory }
    if kind == S_IFREG, Int(status.st_size) > limit { throw .tooLarge(byteCount: Int(status.st_size)) }
    // A FIFO is opened without blocking, which succeeds with or without a writer; its reads then
    // tell the two apart: no data yet is EAGAIN while a writer is there, an end of file if none.
    let isPipe = kind == S_IFIFO
    let descriptor = open(path, O_RDONLY | (isPipe ? O_NONBLOCK : 0))
    guard descriptor >= 0 else { throw .unreadable(reason: String(cString: strerror(errno))) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    if kind == S_IFREG { bytes.reserveCapacity(Int(status.st_size)) }
    let chunkSize = 1 << 20
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    var hasHadAWriter = !isPipe
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunkSize) }
        if count < 0 {
            if errno == EINTR { continue }
            if isPipe, errno == EAGAIN {
                // A writer with nothing written yet, a slow program perhaps: wait as a blocking
                // read would.
                hasHadAWriter = true
                _ = waitForPipe(descriptor, milliseconds: -1)
                continue
            }
            throw .unreadable(reason: String(cString: strerror(errno)))
        }
        if count == 0 {
            if hasHadAWriter { return bytes }
            // No writer has opened the FIFO yet. Poll reports one once it writes or closes.
            guard waitForPipe(descriptor, milliseconds: Int32(min(max(0, writerWait), 86_400) * 1000)) else {
                throw .unreadable(reason: "it is a named pipe (FIFO) and nothing wrote to it within \(formatSeconds(writerWait)); start the program that writes into it first, or give a regular file")
            }
            hasHadAWriter = true
            continue
        }
        hasHadAWriter = true
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > limit { throw .tooLarge(byteCount: bytes.count) }
    }
}

/// Waits until the pipe has data or its writer has closed it; false when `milliseconds` pass
/// first (-1: no limit).
private func waitForPipe(_ descriptor: Int32, milliseconds: Int32) -> Bool {
    var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    while true {
        let ready = poll(&request, 1, milliseconds)
        if ready < 0, errno == EINTR { continue }
        return ready != 0
    }
}

/// "5 s", "0.2 s": a wait as a person reads it.
private func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}
