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
/// (case-insensitive, sorted; sub-directories only with `recursive`).
enum InputFiles {
    static let maxFileBytes = 64 << 20

    static func collect(_ paths: [String], recursive: Bool, console: Console) throws -> [InputSource] {
        var out: [InputSource] = []
        for path in paths {
            if path == "-" {
                out.append(InputSource(name: "<stdin>", data: console.readStdin()))
                continue
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw InputError.unreadable(path, "no such file or directory")
            }
            if isDir.boolValue {
                for file in try files(in: path, recursive: recursive) { out.append(try read(file)) }
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

    static func files(in dir: String, recursive: Bool) throws -> [String] {
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        var out: [String] = []
        for entry in entries {
            let full = (dir as NSString).appendingPathComponent(entry)
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
            if isDir.boolValue {
                if recursive { out.append(contentsOf: try files(in: full, recursive: true)) }
            } else if ["yaml", "yml", "json"].contains((entry as NSString).pathExtension.lowercased()) {
                out.append(full)
            }
        }
        return out
    }
}
