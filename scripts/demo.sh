#!/usr/bin/env bash
# The main job: the local lab. Brings up two nodes on two underlay subnets (calico-node -startup,
# -allocate-tunnel-addrs and -felix on nftables, VXLAN across the subnets), an outside host and
# pods wired by the real CNI plugins, all inside network namespaces; applies an example policy
# with calicoctl, shows it enforced across nodes, and prints what to try next.
set -uo pipefail
bin=${1:-.build/debug}
lab="$bin/calico-lab"
export CALICO_LAB_STATE_DIR=${CALICO_LAB_STATE_DIR:-/var/run/calico-lab}
if [ -f "$CALICO_LAB_STATE_DIR/lab.json" ]; then
  echo "a lab is already up in $CALICO_LAB_STATE_DIR; taking it down first"
  "$lab" down
fi
start=$(date +%s.%N)
"$lab" up --nodes 2 --encap vxlan-crosssubnet --pods 4 || exit 1
echo
echo "--- node1's routes to node2's pods: programmed by Felix, through the VXLAN device"
"$lab" exec node1 -- ip route show proto 80
echo
echo "--- an example policy: only pods labelled app=web may reach the db pods (TCP 8080)"
"$lab" calicoctl apply -f examples/lab/db-policy.yaml
sleep 0.5
db=$("$lab" status | awk '/-db / && /ns=prod/ {for (i=1;i<=NF;i++) if ($i ~ /^ip=/) {sub("ip=","",$i); print $i; exit}}')
echo "prod-db ($db) runs on node2; demo-web (app=web) and demo-db (app=db) run on node1"
for pod in demo-web demo-db; do
  echo "\$ calico-lab exec $pod -- calico-probe check tcp:$db:8080 tcp:$db:9090"
  "$lab" exec "$pod" -- "$bin/calico-probe" check "tcp:$db:8080" "tcp:$db:9090"
done
echo
echo "--- flows: a staged policy (not enforced) and some traffic to show in Whisker"
"$lab" calicoctl apply -f examples/lab/staged-lockdown.yaml
web=$("$lab" status | awk '/-web / && /ns=prod/ {for (i=1;i<=NF;i++) if ($i ~ /^ip=/) {sub("ip=","",$i); print $i; exit}}')
for pod in demo-web demo-db; do
  "$lab" exec "$pod" -- "$bin/calico-probe" check "tcp:$db:8080" "tcp:$db:9090" "tcp:$web:8080" >/dev/null 2>&1
done
"$lab" exec demo-web -- ping -c2 -i 0.2 203.0.113.10 >/dev/null 2>&1
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "\nlab up and policy enforced in %.1f s\n", e - s }'
cat <<MSG

Flows reach Goldmane every 15 s and leave it in 15 s buckets: within about half a minute,
open the Whisker UI at http://127.0.0.1:8081/ (relayed from the router namespace). Allowed and
denied flows show their enforced policy trace; flows to prod pods from anything but app=web show
a *pending* Deny from the staged policy prod-lockdown while their traffic still flows.
  curl -s 'http://127.0.0.1:8081/whisker-backend/flows?startTimeGte=-300'   # the same as JSON

The lab keeps running. Try:
  $lab status                                   # namespaces, Felix, pods and their addresses
  $lab exec demo-web -- ping -c1 <pod ip>        # run anything inside a pod
  $lab calicoctl get globalnetworkpolicies -o wide
  $lab calicoctl apply -f examples/              # more policies (examples/lab/ has lab-ready ones)
  $lab exec node1 -- nft list table ip calico   # what Felix programmed
  $lab exec node1 -- bridge fdb show dev vxlan.calico   # node2's VTEP
  $lab add-pod extra --node node2 --namespace demo --labels app=web
  $lab add-node                                 # node3 joins; every node routes to it
  $lab exec node1 -- curl -s localhost:9099/readiness
  tail -f $CALICO_LAB_STATE_DIR/felix.log
  $lab down                                     # removes every namespace, link and process
MSG
