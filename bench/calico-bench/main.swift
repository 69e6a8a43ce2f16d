import CalicoSelector
import Foundation

/// calico-bench: benchmarks named by the issues. Run with a release build:
///   swift run -c release calico-bench selectors
let args = CommandLine.arguments.dropFirst()
let which = args.first ?? "all"
switch which {
case "selectors":
    SelectorBenchmark.run()
case "datastore":
    try await DatastoreBenchmark.runAll()
case "ipam":
    try await IPAMBenchmark.run()
case "cni":
    try await CNIBenchmark.run()
case "calc":
    CalcBenchmark.run()
case "codec":
    try CodecBenchmark.run()
case "dataplane":
    try await DataplaneBenchmark.run()
case "cluster":
    try await ClusterBenchmark.run()
case "bgp":
    try await BGPBenchmark.run()
case "qos":
    try await QoSBenchmark.run()
case "flows":
    try await FlowsBenchmark.run()
case "stress-writer":
    try await StressWriter.run(Array(args.dropFirst()))
case "all":
    SelectorBenchmark.run()
    try await DatastoreBenchmark.runAll()
    try await IPAMBenchmark.run()
    try await CNIBenchmark.run()
    CalcBenchmark.run()
    try CodecBenchmark.run()
    try await DataplaneBenchmark.run()
    try await ClusterBenchmark.run()
    try await BGPBenchmark.run()
    try await QoSBenchmark.run()
    try await FlowsBenchmark.run()
default:
    FileHandle.standardError.write(Data("usage: calico-bench [selectors|datastore|ipam|cni|calc|codec|dataplane|cluster|bgp|qos|flows|all]\n".utf8))
    exit(2)
}

/// Prints a line unbuffered, so figures survive a later failure.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
