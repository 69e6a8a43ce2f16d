# swift-calico — top-level tasks. See README.md.
SWIFT ?= swift
# Debian packages the tests need (installed when missing).
TEST_DEB_PACKAGES ?= libcurl4-openssl-dev libsqlite3-dev libnftables-dev nftables iptables conntrack iperf3 etcd-server etcd-client iproute2 iputils-ping tcpdump containernetworking-plugins openssl bird2 curl chromium chromium-driver
BIN := .build/debug

.PHONY: all build test demo tour bench fuzz clean deps

all: build

deps:
	@scripts/install-deps.sh $(TEST_DEB_PACKAGES)
	@python3 -c "import grpc, grpc_tools, selenium" 2>/dev/null || python3 -m pip install -q grpcio grpcio-tools selenium

build:
	$(SWIFT) build

# Installs what the tests need, builds once, runs every test.
test: deps
	$(SWIFT) build --build-tests
	scripts/run-tests.sh

# The main job: the local lab (node with Felix on nftables, pods via CNI, a policy enforced).
demo: deps
	$(SWIFT) build
	scripts/demo.sh $(BIN)

# calicoctl on examples/ without a lab: validation and the embedded datastore.
tour: deps
	$(SWIFT) build --product calicoctl
	$(SWIFT) build --product calico-node
	scripts/tour.sh $(BIN)/calicoctl

# Release build of every product: the cluster benchmark runs the lab on them.
bench: deps
	$(SWIFT) build -c release
	.build/release/calico-bench all

# libFuzzer targets (Fuzz/, sanitized build in .build-fuzz/), each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz:
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

clean:
	rm -rf .build .build-fuzz
