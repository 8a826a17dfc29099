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
///
/// - Parameters:
///   - path: the file; symlinks are followed.
///   - limit: the most bytes accepted.
/// - Throws: `FileReadProblem`.
public func readFileBytes(at path: String, limit: Int) throws(FileReadProblem) -> [UInt8] {
    var status = stat()
    guard stat(path, &status) == 0 else {
        let code = errno
        if code == ENOENT { throw .notFound }
        throw .unreadable(reason: String(cString: strerror(code)))
    }
    let kind = status.st_mode & S_IFMT
    if kind == S_IFDIR { throw .directory }
    if kind == S_IFREG, Int(status.st_size) > limit { throw .tooLarge(byteCount: Int(status.st_size)) }
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw .unreadable(reason: String(cString: strerror(errno))) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    if kind == S_IFREG { bytes.reserveCapacity(Int(status.st_size)) }
    let chunkSize = 1 << 20
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, chunkSize) }
        if count < 0 {
            if errno == EINTR { continue }
            throw .unreadable(reason: String(cString: strerror(errno)))
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > limit { throw .tooLarge(byteCount: bytes.count) }
    }
}
