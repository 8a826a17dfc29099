import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command's `-o PATH` writes, decided before anything is computed, so that a path that
/// cannot be written is refused first.
///
/// - `-` is standard output.
/// - A symbolic link is followed to the file it names, which is then written (a dangling link
///   creates its target, as the shell's `>` does): the link stays a link.
/// - A FIFO or a character device (a terminal, a pty) is opened and written in place, as a stream.
/// - A regular file, or a path where nothing exists yet, is written to a temporary file beside it
///   and renamed over it, so that a reader never sees half a file and an interrupted write leaves
///   the old one; a replaced file keeps its permissions. Missing parent directories are created.
///   A process about to exit at once (a second Ctrl-C) calls `abandonWrites` to take the
///   temporary files with it.
/// - A directory, a socket or a block device is refused with one message saying what it is.
struct OutputFile {
    enum Destination: Equatable {
        case standardOutput
        case stream(path: String)
        case regularFile(path: String)
    }

    /// The path as the user gave it, for messages.
    let requested: String
    let destination: Destination

    var isStandardOutput: Bool { destination == .standardOutput }

    /// The longest chain of symbolic links followed, as the kernel's own limit (ELOOP).
    static let maximumLinkHops = 40

    /// Resolves `path` and refuses what cannot be written.
    ///
    /// - Parameters:
    ///   - path: the path as given; `-` for standard output.
    ///   - example: a file name for the message that refuses a directory (`best.safetensors`).
    init(_ path: String, example: String) throws(OutputFileError) {
        requested = path
        guard !path.isEmpty else { throw .emptyPath }
        guard path != "-" else {
            destination = .standardOutput
            return
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            switch code {
            case ENOENT: destination = .regularFile(path: try Self.missingTarget(of: path, example: example))
            case ELOOP: throw .linkLoop(path: path)
            default: throw .unusable(path: path, reason: String(cString: strerror(code)))
            }
            return
        }
        // The file standard output already writes to (`-o /dev/stdout`, `/proc/self/fd/1`): write
        // to the open descriptor, not to a new file in its place.
        if let identity = FileIdentity(status), identity == FileIdentity(descriptor: STDOUT_FILENO) {
            destination = .standardOutput
            return
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw .directory(path: path, example: example)
        case S_IFIFO, S_IFCHR: destination = .stream(path: path)
        case S_IFREG:
            // The file a chain of links ends at is the one replaced; the links stay links.
            guard let resolved = realpath(path, nil) else { throw .unusable(path: path, reason: String(cString: strerror(errno))) }
            defer { free(resolved) }
            destination = .regularFile(path: String(cString: resolved))
        case S_IFBLK: throw .unusable(path: path, reason: "it is a block device (a disk); writing there would overwrite the disk")
        case S_IFSOCK: throw .unusable(path: path, reason: "it is a socket, which cannot be opened as a file")
        default: throw .unusable(path: path, reason: "it is not a file")
        }
    }

    /// Where a path that names nothing yet will be created: itself, or the end of its chain of
    /// dangling symbolic links (as the shell's `>` creates a dangling link's target).
    fileprivate static func missingTarget(of path: String, example: String) throws(OutputFileError) -> String {
        var current = path
        for _ in 0...maximumLinkHops {
            var status = stat()
            guard lstat(current, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else {
                if current.hasSuffix("/") {
                    throw .unusable(path: path, reason: "it ends with '/', which names a directory; name a file, e.g. -o \((path as NSString).appendingPathComponent(example))")
                }
                return current
            }
            current = try linkTarget(of: current, requested: path)
        }
        throw .linkLoop(path: path)
    }

    /// The path a link at `link` points to, relative targets taken from the link's directory.
    private static func linkTarget(of link: String, requested: String) throws(OutputFileError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(link, &buffer, buffer.count - 1)
        guard length >= 0 else { throw .unusable(path: requested, reason: String(cString: strerror(errno))) }
        let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasPrefix("/") { return target }
        let directory = (link as NSString).deletingLastPathComponent
        return directory.isEmpty ? target : (directory as NSString).appendingPathComponent(target)
    }

    /// The file system object the output will replace or stream to, if it exists: to refuse
    /// writing over a command's own input.
    var existingIdentity: FileIdentity? {
        switch destination {
        case .standardOutput: return FileIdentity(descriptor: STDOUT_FILENO)
        case .stream(let path), .regularFile(let path): return FileIdentity(path: path)
        }
    }

    /// Refuses a destination that is one of the files the command reads (the same file through
    /// a symbolic link, a hard link or `/proc/self/fd`), before anything is written there.
    ///
    /// - Parameters:
    ///   - inputs: each file read, with what it is for the message ("the model"); paths that name
    ///     nothing are passed over.
    ///   - contents: what the command writes, for the message ("the predictions").
    func refuseReplacing(_ inputs: [(path: String, role: String)], with contents: String) throws(OutputFileError) {
        guard !isStandardOutput, let written = existingIdentity else { return }
        for (path, role) in inputs where FileIdentity(path: path) == written {
            throw .replacesInput(path: requested, input: path, role: role, contents: contents)
        }
    }

    /// Refuses a destination that another of the command's outputs is written to as well
    /// (`sweep auto --spec X -o ./X`), by any spelling or link and whether or not the file exists
    /// yet: the later write would replace the earlier.
    ///
    /// - Parameters:
    ///   - outputs: each other file the command writes, with what it is for the message ("the spec").
    ///   - contents: what this destination receives, for the message ("the model").
    func refuseSharing(_ outputs: [(path: String, role: String)], with contents: String) throws(OutputFileError) {
        guard !isStandardOutput else { return }
        let own = FileLocation(path: requested)
        for (path, role) in outputs where FileLocation(path: path) == own {
            throw .sharesOutput(path: requested, other: path, role: role, contents: contents)
        }
    }

    /// Writes all of `bytes` to the destination.
    func write(_ bytes: [UInt8]) throws(OutputFileError) {
        switch destination {
        case .standardOutput:
            fflush(nil)
            try Self.writeAll(bytes, to: STDOUT_FILENO, path: "standard output")
        case .stream(let path):
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { throw .unusable(path: requested, reason: String(cString: strerror(errno))) }
            do {
                try Self.writeAll(bytes, to: descriptor, path: requested)
            } catch {
                close(descriptor)
                throw error
            }
            // Some devices and file systems report a failed write only when the file is closed.
            guard close(descriptor) == 0 else { throw .unusable(path: requested, reason: String(cString: strerror(errno))) }
        case .regularFile(let path):
            try writeReplacing(path, with: bytes)
        }
    }

    /// Writes a temporary file beside `path` and renames it over `path`.
    private func writeReplacing(_ path: String, with bytes: [UInt8]) throws(OutputFileError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .unusable(path: requested, reason: "its directory cannot be created (\(error.localizedDescription))")
        }
        var existing = stat()
        let replacesFile = stat(path, &existing) == 0
        var temporary = ""
        // Created and renamed under the lock of the writes in progress, so that `abandonWrites`
        // finds every temporary file there is, and none is renamed after it.
        let (descriptor, openError) = Self.inProgress.withLock { writes -> (Int32, Int32) in
            guard !writes.abandoned else { return (-1, EINTR) }
            for _ in 0..<100 {
                temporary = (directory as NSString).appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
                // 0o666 less the umask for a new file, as the shell's `>` makes it.
                let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o666)
                if descriptor >= 0 {
                    writes.temporaries.insert(temporary)
                    return (descriptor, 0)
                }
                if errno != EEXIST { break }
            }
            return (-1, errno)
        }
        guard descriptor >= 0 else { throw .unusable(path: requested, reason: String(cString: strerror(openError))) }
        var renamed = false
        defer {
            if !renamed {
                Self.inProgress.withLock { _ = $0.temporaries.remove(temporary) }
                unlink(temporary)
            }
        }
        do {
            defer { close(descriptor) }
            if replacesFile { _ = fchmod(descriptor, existing.st_mode & 0o7777) }
            try Self.writeAll(bytes, to: descriptor, path: requested)
            guard fsync(descriptor) == 0 else { throw OutputFileError.unusable(path: requested, reason: String(cString: strerror(errno))) }
        }
        let renameError = Self.inProgress.withLock { writes -> Int32 in
            guard !writes.abandoned else { return EINTR }
            guard rename(temporary, path) == 0 else { return errno }
            writes.temporaries.remove(temporary)
            return 0
        }
        guard renameError == 0 else { throw .unusable(path: requested, reason: String(cString: strerror(renameError))) }
        renamed = true
    }

    /// The temporary files being written beside their destinations, and whether the process is
    /// quitting (`abandonWrites`).
    private struct WritesInProgress {
        var temporaries: Set<String> = []
        var abandoned = false
    }

    private static let inProgress = Mutex(WritesInProgress())

    /// For a process about to exit at once (a second Ctrl-C while `sweep auto` writes its model):
    /// removes the temporary files of the writes in progress and refuses any rename from now on,
    /// so that each destination is left as it was, or holds the whole of a write that ended
    /// before. `exit` would leave the temporary files behind, half-written.
    static func abandonWrites() {
        inProgress.withLock { writes in
            writes.abandoned = true
            for temporary in writes.temporaries { unlink(temporary) }
            writes.temporaries.removeAll()
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(OutputFileError) {
        // A reader that goes away (`| head`) is a write error to report, not a signal to die of.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { throw .readerClosed(path: path) }
                throw .unusable(path: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif

/// A file's device and inode: what makes two paths the same file.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        self.init(status)
    }

    init?(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    init?(descriptor: Int32) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        self.init(status)
    }
}

/// Where writes to a path land, to tell whether two paths are one file before either exists: the
/// file's identity when it exists; else the absolute path it will be created at, found as writing
/// finds it (dangling symbolic links followed, the links of its existing directories resolved,
/// `.` and `..` taken away), so that `X`, `./X`, `dir/../X` and a link to a missing `X` agree.
enum FileLocation: Equatable {
    case existing(FileIdentity)
    case planned(path: String)

    init(path: String) {
        if let identity = FileIdentity(path: path) {
            self = .existing(identity)
        } else {
            self = .planned(path: Self.resolved((try? OutputFile.missingTarget(of: path, example: "")) ?? path))
        }
    }

    /// `path` made absolute, with its longest existing beginning resolved by `realpath` and the
    /// rest taken a component at a time.
    private static func resolved(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        if let real = realpath(absolute, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let parent = (absolute as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != absolute else { return absolute }
        let base = resolved(parent)
        switch (absolute as NSString).lastPathComponent {
        case ".", "": return base
        case "..": return (base as NSString).deletingLastPathComponent
        case let name: return (base as NSString).appendingPathComponent(name)
        }
    }
}

enum OutputFileError: Error, CustomStringConvertible {
    case emptyPath
    case directory(path: String, example: String)
    case linkLoop(path: String)
    case unusable(path: String, reason: String)
    case readerClosed(path: String)
    case replacesInput(path: String, input: String, role: String, contents: String)
    case sharesOutput(path: String, other: String, role: String, contents: String)

    var description: String {
        switch self {
        case .emptyPath:
            return "-o needs a file name (or - for standard output)"
        case .directory(let path, let example):
            return "cannot write '\(path)': it is a directory; name a file inside it, e.g. -o \((path as NSString).appendingPathComponent(example))"
        case .linkLoop(let path):
            return "cannot write '\(path)': its symbolic links lead round in a loop (more than \(OutputFile.maximumLinkHops) links); point it at a file"
        case .unusable(let path, let reason):
            return "cannot write '\(path)': \(reason)"
        case .readerClosed(let path):
            return "the reader of \(path == "standard output" ? path : "'\(path)'") closed it before everything was written"
        case .replacesInput(let path, let input, let role, let contents):
            return "-o '\(path)' is \(role) being read ('\(input)'); writing \(contents) there would replace it. Name another file"
        case .sharesOutput(let path, let other, let role, let contents):
            return "-o '\(path)' is also where the command writes \(role) ('\(other)'); writing \(contents) there would replace it. Name another file"
        }
    }
}
