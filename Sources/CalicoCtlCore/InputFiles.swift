import Foundation

/// One input to read: a file path or standard input.
struct InputSource {
    var name: String
    var data: Data
}

enum InputError: Error, CustomStringConvertible {
    case unreadable(String, String)
    var description: String {
        switch self {
        case let .unreadable(path, reason): return "could not read \(path): \(reason)"
        }
    }
}

/// Expands `-f` arguments: `-` is stdin, a directory yields its `*.yaml|*.yml|*.json` files
/// (case-insensitive, sorted; sub-directories only with `recursive`). Symlinks are followed,
/// but each directory and each file is visited once (by device and inode), so symlink loops
/// end. Every input, stdin included, is limited to 64 MiB.
enum InputFiles {
    static let maxFileBytes = 64 << 20

    static func collect(_ paths: [String], recursive: Bool, console: Console) throws -> [InputSource] {
        var out: [InputSource] = []
        var walker = DirectoryWalker()
        for path in paths {
            if path == "-" {
                let data = console.readStdin()
                if data.count > maxFileBytes { throw InputError.unreadable("<stdin>", "input is larger than \(maxFileBytes >> 20) MiB") }
                out.append(InputSource(name: "<stdin>", data: data))
                continue
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw InputError.unreadable(path, "no such file or directory")
            }
            if isDir.boolValue {
                for file in try walker.files(in: path, recursive: recursive) { out.append(try read(file)) }
            } else {
                out.append(try read(path))
            }
        }
        return out
    }

    static func read(_ path: String) throws -> InputSource {
        let attrs = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attrs?[.size] as? Int, size > maxFileBytes {
            throw InputError.unreadable(path, "file is larger than \(maxFileBytes >> 20) MiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError.unreadable(path, "permission denied or not a regular file")
        }
        return InputSource(name: path, data: data)
    }

    static func isManifest(_ name: String) -> Bool {
        ["yaml", "yml", "json"].contains((name as NSString).pathExtension.lowercased())
    }
}

/// Lists manifest files under directories, following symlinks but entering each directory
/// (and listing each file) once, identified by device and inode.
struct DirectoryWalker {
    struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private var directories = Set<FileID>()
    private var files = Set<FileID>()

    /// The identity of what `path` resolves to, nil if it does not resolve.
    static func identity(_ path: String) -> (id: FileID, isDirectory: Bool)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)), (st.st_mode & S_IFMT) == S_IFDIR)
    }

    mutating func files(in dir: String, recursive: Bool) throws -> [String] {
        if let (id, _) = Self.identity(dir), !directories.insert(id).inserted { return [] }
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        var out: [String] = []
        for entry in entries {
            let full = (dir as NSString).appendingPathComponent(entry)
            let target = Self.identity(full)
            if target?.isDirectory == true {
                if recursive { out.append(contentsOf: try files(in: full, recursive: true)) }
            } else if InputFiles.isManifest(entry) {
                // A dangling link is kept: reading it reports the error.
                if let id = target?.id, !files.insert(id).inserted { continue }
                out.append(full)
            }
        }
        return out
    }
}
