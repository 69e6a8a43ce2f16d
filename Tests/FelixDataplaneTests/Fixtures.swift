import CalicoNetlink

enum RouteInfoFixture {
    static func route(_ dst: String, _ dev: String) -> RouteInfo { RouteInfo(destination: dst, device: dev, scope: "link") }
}
