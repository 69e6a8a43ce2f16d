#!/usr/bin/env bash
# A short tour of calicoctl on the manifests in examples/: offline validation, then the
# embedded datastore (a throwaway file, so nothing on the machine changes).
set -uo pipefail
ctl=${1:-.build/debug/calicoctl}
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
export EMBEDDED_DATASTORE_PATH="$store/datastore.db"
run() { echo; echo "\$ calicoctl $*"; "$ctl" "$@"; echo "(exit $?)"; }
echo "swift-calico demo: projectcalico.org/v3 manifests, validated and stored"
run version --client
run validate -f examples/
for f in examples/invalid/*.yaml; do run validate -f "$f"; done
echo; echo "--- the embedded datastore (EMBEDDED_DATASTORE_PATH=$EMBEDDED_DATASTORE_PATH)"
run apply -f examples/
run get tiers
run get globalnetworkpolicies -o wide
run get networkpolicies -A
run get ippools -o wide
run get globalnetworksets --selector "threat-feed == 'blocked'"
run label tier security owner=secops
run get tier security -o yaml
run apply -f examples/invalid/bad-cidr.yaml
node=$(dirname "$ctl")/calico-node
if [ -x "$node" ]; then
  echo; echo "\$ NODENAME=node1 calico-node -felix --calc-only --dump    # what node1 would program"
  NODENAME=node1 "$node" -felix --calc-only --dump
fi
cat <<'MSG'

Next steps:
  .build/debug/calicoctl validate -f <your-manifest.yaml>        # check manifests offline
  EMBEDDED_DATASTORE_PATH=/tmp/calico.db .build/debug/calicoctl apply -f examples/
  DATASTORE_TYPE=etcdv3 ETCD_ENDPOINTS=http://127.0.0.1:2379 .build/debug/calicoctl get ippools
  .build/debug/calicoctl --help                                  # every command
MSG
