#if canImport(Glibc)
import Glibc
#endif

// calico-probe: a traffic tool for testing network policy between network namespaces.
//   calico-probe serve [--tcp PORTS] [--udp PORTS]
//   calico-probe check [--timeout-ms N] PROBE...

func usage(_ problem: String) -> Never {
    writeAll(2, """
        calico-probe: \(problem)
        usage: calico-probe serve [--tcp PORT,...] [--udp PORT,...]
               calico-probe check [--timeout-ms N] PROBE...
        PROBE: tcp:IP:PORT, udp:IP:PORT or icmp:IP (IPv6 in brackets: tcp:[fd00::1]:80, icmp:[fd00::1])

        """)
    exit(2)
}

func ports(_ list: String) -> [UInt16] {
    list.split(separator: ",").map { item in
        guard let port = UInt16(item), port > 0 else { usage("bad port '\(item)'") }
        return port
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.isEmpty ? "" : arguments.removeFirst()
switch command {
case "serve":
    var tcp: [UInt16] = [], udp: [UInt16] = []
    while !arguments.isEmpty {
        let flag = arguments.removeFirst()
        guard flag == "--tcp" || flag == "--udp", !arguments.isEmpty else { usage("unexpected '\(flag)'") }
        if flag == "--tcp" { tcp += ports(arguments.removeFirst()) } else { udp += ports(arguments.removeFirst()) }
    }
    if tcp.isEmpty && udp.isEmpty { usage("serve needs --tcp or --udp ports") }
    serve(tcpPorts: tcp, udpPorts: udp)
case "check":
    var timeout = 400
    if arguments.first == "--timeout-ms" {
        guard arguments.count >= 2, let value = Int(arguments[1]), value > 0 else { usage("bad --timeout-ms") }
        timeout = value
        arguments.removeFirst(2)
    }
    if arguments.isEmpty { usage("check needs probes") }
    let probes = arguments.map { text in
        guard let probe = ProbeSpec(text) else { usage("bad probe '\(text)'") }
        return probe
    }
    check(probes, timeoutMilliseconds: timeout)
default:
    usage(command.isEmpty ? "missing command" : "unknown command '\(command)'")
}
