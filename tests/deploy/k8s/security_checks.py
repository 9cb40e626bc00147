"""What a rendered overlay must say about network access that no schema can.

For the NetworkPolicy: it selects the pods of both modes, every port it
names is one the containers declare, the gRPC ports are open to pods of the
namespace, metrics to Prometheus, and the plaintext health port to no pod.
"""
from manifest_values import matches

# Who scrapes the metrics port by default: the prometheus-operator's label
# on its Prometheus pods (base/networkpolicy.yaml).
PROMETHEUS_LABELS = {"app.kubernetes.io/name": "prometheus"}


def declared_ports(pod_spec):
    """{name: number} of the ledger container's ports."""
    return {p.get("name"): p["containerPort"] for p in pod_spec["containers"][0].get("ports", [])}


class SecurityChecks:
    def __init__(self, check, objects):
        self.check = check
        self.objects = objects

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    # --- NetworkPolicy -----------------------------------------------------------

    def network_policy(self, deployments):
        check = self.check
        policies = [p for p in self.of_kind("NetworkPolicy")
                    if any(matches(p["spec"]["podSelector"].get("matchLabels", {}),
                                   d["spec"]["template"]["metadata"]["labels"]) for d in deployments)]
        if not check(len(policies) == 1, "one NetworkPolicy selects the ledger's pods"):
            return
        policy = policies[0]
        name = f"NetworkPolicy {policy['metadata']['name']}"
        selector = policy["spec"]["podSelector"]
        check(set(selector) <= {"matchLabels"}, f"{name}: selects pods by matchLabels only")
        for d in deployments:
            check(matches(selector.get("matchLabels", {}), d["spec"]["template"]["metadata"]["labels"]),
                  f"{name}: selects the pods of {d['metadata']['name']}")
        check("Ingress" in policy["spec"].get("policyTypes", ["Ingress"]), f"{name}: an Ingress policy")
        rules = policy["spec"].get("ingress", [])
        pods = {d["metadata"]["name"]: declared_ports(d["spec"]["template"]["spec"]) for d in deployments}
        for i, rule in enumerate(rules):
            check(rule.get("from"), f"{name}: ingress rule {i} names its sources (no from = anyone)")
            check(rule.get("ports"), f"{name}: ingress rule {i} names its ports (no ports = all)")
            for port in rule.get("ports", []):
                p = port.get("port")
                check(all(p in ports for ports in pods.values()) if isinstance(p, str)
                      else any(p in ports.values() for ports in pods.values()),
                      f"{name}: ingress rule {i} port {p!r} is a port the ledger containers declare")

        def sources(port_name):
            """The peers of every rule opening that named port, in each pod."""
            found = []
            for deployment, ports in pods.items():
                number = ports.get(port_name)
                opening = [r for r in rules
                           if any(p.get("port") in (port_name, number) for p in r.get("ports", []))]
                found.append((deployment, [peer for r in opening for peer in r.get("from", [])]))
            return found
        for deployment, peers in sources("grpc"):
            check(peers and all(set(peer) == {"podSelector"} for peer in peers),
                  f"{name}: {deployment}'s gRPC port open to pods of the namespace only (a podSelector, "
                  f"no namespaceSelector or ipBlock; got {peers})")
        for deployment, peers in sources("metrics"):
            check(peers and all(matches(PROMETHEUS_LABELS, peer.get("podSelector", {}).get("matchLabels", {}))
                                for peer in peers),
                  f"{name}: {deployment}'s metrics port open to Prometheus's pods ({PROMETHEUS_LABELS}) "
                  f"only (got {peers})")
        for deployment, peers in sources("health"):
            check(not any("podSelector" in peer or "namespaceSelector" in peer for peer in peers),
                  f"{name}: {deployment}'s plaintext health port open to no pod: it is for the kubelet, "
                  f"whose probes come from the node (got {peers})")
