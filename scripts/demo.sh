#!/usr/bin/env bash
# The main job: the local lab. Brings up a node (calico-node -startup and -felix on nftables),
# an outside host and pods wired by the real CNI plugins, all inside network namespaces,
# applies an example policy with calicoctl, shows it enforced, and prints what to try next.
set -uo pipefail
bin=${1:-.build/debug}
lab="$bin/calico-lab"
export CALICO_LAB_STATE_DIR=${CALICO_LAB_STATE_DIR:-/var/run/calico-lab}
if [ -f "$CALICO_LAB_STATE_DIR/lab.json" ]; then
  echo "a lab is already up in $CALICO_LAB_STATE_DIR; taking it down first"
  "$lab" down
fi
start=$(date +%s.%N)
"$lab" up --pods 4 || exit 1
echo
echo "--- an example policy: only pods labelled app=web may reach the db pods (TCP 8080)"
"$lab" calicoctl apply -f examples/lab/db-policy.yaml
sleep 0.5
db=$("$lab" status | awk '/-db / && /ns=prod/ {for (i=1;i<=NF;i++) if ($i ~ /^ip=/) {sub("ip=","",$i); print $i; exit}}')
for pod in demo-web demo-db; do
  echo "\$ calico-lab exec $pod -- calico-probe check tcp:$db:8080 tcp:$db:9090"
  "$lab" exec "$pod" -- "$bin/calico-probe" check "tcp:$db:8080" "tcp:$db:9090"
done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "\nlab up and policy enforced in %.1f s\n", e - s }'
cat <<MSG

The lab keeps running. Try:
  $lab status                                   # namespaces, Felix, pods and their addresses
  $lab exec demo-web -- ping -c1 <pod ip>        # run anything inside a pod
  $lab calicoctl get globalnetworkpolicies -o wide
  $lab calicoctl apply -f examples/              # more policies (examples/lab/ has lab-ready ones)
  $lab exec node1 -- nft list table ip calico   # what Felix programmed
  $lab exec node1 -- curl -s localhost:9099/readiness
  tail -f $CALICO_LAB_STATE_DIR/felix.log
  $lab down                                     # removes every namespace, link and process
MSG
