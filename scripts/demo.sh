#!/usr/bin/env bash
# A short tour of calicoctl validate on the manifests in examples/.
set -uo pipefail
ctl=${1:-.build/debug/calicoctl}
run() { echo; echo "\$ calicoctl $*"; "$ctl" "$@"; echo "(exit $?)"; }
echo "swift-calico demo: offline validation of projectcalico.org/v3 manifests"
run version --client
run validate -f examples/
for f in examples/invalid/*.yaml; do run validate -f "$f"; done
cat <<'MSG'

Next steps:
  .build/debug/calicoctl validate -f <your-manifest.yaml>     # check your own manifests
  .build/debug/calicoctl validate -R -f <dir>/                # a whole tree
  .build/debug/calicoctl --help                               # every command
MSG
