import CLibFuzzer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs libFuzzer with the process arguments (`-max_total_time=…`, corpus directories, …)
/// on `testOneInput`, and exits with its status.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// The input as a buffer (libFuzzer may pass a null pointer for the empty input).
public func inputBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: size > 0 ? data : nil, count: size)
}

/// Reports a broken invariant and stops (libFuzzer records the input as a crash).
public func finding(_ what: String, _ details: KeyValuePairs<String, String> = [:]) -> Never {
    var text = "FUZZ FINDING: \(what)\n"
    for (k, v) in details { text += "  \(k): \(v.debugDescription)\n" }
    var bytes = Array(text.utf8)
    _ = write(2, &bytes, bytes.count)
    abort()
}
