import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The file behind an embedded store, checked (and, when asked, created) before SQLite sees
/// it, so a wrong path is a clear message: a directory, a parent that is a file, a missing
/// store, a file this user may not read. A new store is readable by its owner only (0600;
/// SQLite gives the `-wal` and `-shm` files the same mode), a directory made for it 0700.
struct EmbeddedFile: Sendable {
    let path: String
    /// The file did not exist and this open made it.
    let created: Bool
    /// The file exists but this user may not write it: it is opened read-only.
    let readOnly: Bool

    static let fileMode: mode_t = 0o600
    static let directoryMode: mode_t = 0o700

    /// Checks `path`; when it does not exist, creates it (and missing directories) if
    /// `create`, else fails with "no datastore at <path>".
    static func prepare(_ path: String, create: Bool) throws -> EmbeddedFile {
        var st = stat()
        if stat(path, &st) == 0 { return try existing(path, st) }
        let e = errno
        guard e == ENOENT || e == ENOTDIR else { throw failure(path, errno: e) }
        let blocker = nonDirectoryAncestor(of: path)
        guard create else {
            let why = blocker.map { "\($0) is not a directory" } ?? "calico-node -startup creates it; check the configured path"
            throw KVError.corrupt("no datastore at \(path) (\(why))")
        }
        if let blocker { throw KVError.corrupt("cannot create \(path): \(blocker) is not a directory") }
        try makeDirectories(URL(fileURLWithPath: path).deletingLastPathComponent().path, for: path)
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        if fd < 0 {
            let e = errno
            // Another process made it first: use theirs.
            if e == EEXIST { return try prepare(path, create: false) }
            throw KVError.corrupt("cannot create \(path): \(String(cString: strerror(e)))")
        }
        _ = fchmod(fd, fileMode)  // whatever the umask
        close(fd)
        return EmbeddedFile(path: path, created: true, readOnly: false)
    }

    /// An existing path: a regular file this user can read (and perhaps write).
    static func existing(_ path: String, _ st: stat) throws -> EmbeddedFile {
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw KVError.corrupt("\(path) is a directory, not a datastore file")
        default: throw KVError.corrupt("\(path) is not a regular file, not a datastore file")
        }
        if access(path, R_OK) != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            throw KVError.corrupt("\(path): permission denied: this user (uid \(geteuid())) cannot read the datastore (owner uid \(st.st_uid), mode \(mode))")
        }
        return EmbeddedFile(path: path, created: false, readOnly: access(path, W_OK) != 0)
    }

    static func failure(_ path: String, errno e: Int32) -> KVError {
        if e == EACCES { return .corrupt("\(path): permission denied: this user cannot reach the datastore") }
        return .corrupt("\(path): \(String(cString: strerror(e)))")
    }

    /// The first ancestor of `path` that exists but is not a directory, if any.
    static func nonDirectoryAncestor(of path: String) -> String? {
        var dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        var ancestors: [String] = []
        while dir.path != "/" && !dir.path.isEmpty {
            ancestors.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        for candidate in ancestors.reversed() {
            var st = stat()
            guard stat(candidate, &st) == 0 else { return nil }
            if st.st_mode & S_IFMT != S_IFDIR { return candidate }
        }
        return nil
    }

    /// Makes `dir` and its missing parents, each 0700.
    static func makeDirectories(_ dir: String, for path: String) throws {
        var st = stat()
        if dir.isEmpty || stat(dir, &st) == 0 { return }
        try makeDirectories(URL(fileURLWithPath: dir).deletingLastPathComponent().path, for: path)
        if mkdir(dir, directoryMode) != 0 && errno != EEXIST {
            throw KVError.corrupt("cannot create \(path): cannot make directory \(dir): \(String(cString: strerror(errno)))")
        }
    }
}
