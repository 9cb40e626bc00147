"""What a rendered overlay must say about TLS, authentication and network
access that no schema can.

For every ledger Deployment: TLS and authentication on exactly where the
overlay table says; each file the server reads for them (--tls_cert_file,
--tls_key_file, --tls_client_ca_file, --auth_tokens_file) is the right key of
the right Secret, mounted read-only, required, and never through subPath
(a subPath mount never sees the kubelet's updates, so a renewed certificate
would never reach the server); the key and the tokens readable by the
server's user and by no one else.

For the NetworkPolicy: it selects the pods of both modes, every port it
names is one the containers declare, the gRPC ports are open to pods of the
namespace, metrics to Prometheus, and the plaintext health port to no pod.

For the cert-manager Certificate example: it makes the Secret the
Deployments mount, for every name of both Services.
"""
from manifest_values import flag_values, matches, parse_duration

TLS_SECRET = "ledger-tls"   # kubernetes.io/tls: tls.crt, tls.key (+ ca.crt from cert-manager)
TOKENS_SECRET = "ledger-auth-tokens"
# Each file flag of ledger-server, and the Secret and key it must come from.
SECRET_FILES = {
    "tls_cert_file": (TLS_SECRET, "tls.crt"),
    "tls_key_file": (TLS_SECRET, "tls.key"),
    "tls_client_ca_file": (TLS_SECRET, "ca.crt"),
    "auth_tokens_file": (TOKENS_SECRET, "tokens"),
}
PRIVATE_FILES = ("tls_key_file", "auth_tokens_file")  # for the server's eyes only
SECRET_DEFAULT_MODE = 0o644  # Kubernetes' defaultMode of a Secret volume
# Who scrapes the metrics port by default: the prometheus-operator's label
# on its Prometheus pods (base/networkpolicy.yaml).
PROMETHEUS_LABELS = {"app.kubernetes.io/name": "prometheus"}


def serves_tls(deployment):
    values = flag_values(deployment["spec"]["template"]["spec"]["containers"][0].get("args", []))
    return "tls_cert_file" in values


def declared_ports(pod_spec):
    """{name: number} of the ledger container's ports."""
    return {p.get("name"): p["containerPort"] for p in pod_spec["containers"][0].get("ports", [])}


class SecurityChecks:
    def __init__(self, check, objects):
        self.check = check
        self.objects = objects

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    # --- TLS and authentication ------------------------------------------------

    def deployment(self, d, tls_auth):
        """tls_auth: whether the overlay table says this overlay runs with TLS
        and authentication on (otherwise both are off)."""
        check = self.check
        name = d["metadata"]["name"]
        values = flag_values(d["spec"]["template"]["spec"]["containers"][0].get("args", []))
        given = sorted(f for f in SECRET_FILES if f in values)
        if not tls_auth:
            check(not given, f"{name}: no TLS or authentication flags here (got {given})")
            return
        for flag in ("tls_cert_file", "tls_key_file"):
            check(flag in values, f"{name}: --{flag} (TLS on both gRPC ports)")
        check("auth_tokens_file" in values or "tls_client_ca_file" in values,
              f"{name}: authentication on (--auth_tokens_file or --tls_client_ca_file)")
        for flag in given:
            self.secret_file(d, flag, values[flag])
        for flag in ("tls_reload_interval", "auth_reload_interval"):
            if flag in values:
                try:
                    check(parse_duration(values[flag]) > 0, f"{name}: --{flag} is positive")
                except ValueError as error:
                    check(False, f"{name}: --{flag}: {error}")

    def secret_file(self, d, flag, path):
        """The file --flag names is its Secret's key, mounted as it should be."""
        check = self.check
        name = d["metadata"]["name"]
        pod = d["spec"]["template"]["spec"]
        c = pod["containers"][0]
        secret_name, key = SECRET_FILES[flag]
        what = f"{name}: --{flag}={path}"
        mounts = [m for m in c.get("volumeMounts", []) if path.startswith(m["mountPath"].rstrip("/") + "/")]
        if not check(len(mounts) == 1, f"{what} is in one volume mount (found {len(mounts)})"):
            return
        mount = mounts[0]
        check(mount.get("readOnly") is True, f"{what}: mounted readOnly")
        check(not mount.get("subPath") and not mount.get("subPathExpr"),
              f"{what}: not a subPath mount (it would never see the kubelet's updates, so a renewed "
              "certificate or new token would not reach the server)")
        volume = {v["name"]: v for v in pod.get("volumes", [])}.get(mount["name"], {})
        secret = volume.get("secret")
        if not check(secret is not None, f"{what}: from a Secret volume"):
            return
        check(secret.get("secretName") == secret_name,
              f"{what}: from Secret {secret_name} (got {secret.get('secretName')!r})")
        check(secret.get("optional") is not True,
              f"{what}: Secret {secret_name} required, not optional: a pod without it must not start")
        file = path[len(mount["mountPath"].rstrip("/")) + 1:]
        items = {i["path"]: i for i in secret.get("items", [])}
        item = items.get(file)
        if items:
            check(item is not None and item["key"] == key,
                  f"{what}: the volume's items map key {key} to {file}")
        else:
            check(file == key, f"{what}: the file is the Secret's key {key}")
        mode = (item or {}).get("mode", secret.get("defaultMode", SECRET_DEFAULT_MODE))
        fs_group = pod.get("securityContext", {}).get("fsGroup")
        if fs_group is not None:
            # The kubelet makes a read-only volume's files group fsGroup,
            # group-readable, and adds that group to the container's process.
            mode |= 0o440
        check(fs_group is not None or mode & 0o004,
              f"{what}: readable by the server's user (an fsGroup, or a mode readable by others)")
        if flag in PRIVATE_FILES:
            check(mode & 0o007 == 0,
                  f"{what}: mode {mode:04o} leaves out others (with fsGroup, group-readable is enough)")

    def same_secrets(self, deployments):
        """Both modes serve with the same certificate and tokens."""
        seen = {tuple(sorted((f, v) for f, v in flag_values(
                    d["spec"]["template"]["spec"]["containers"][0].get("args", [])).items()
                    if f in SECRET_FILES)) for d in deployments}
        self.check(len(seen) <= 1, f"both modes read the same TLS and token files (got {sorted(seen)})")

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

    # --- the cert-manager Certificate example ------------------------------------

    def certificate(self, certificate, deployments, services):
        """certificate: the parsed example; deployments and services: prod's."""
        check = self.check
        if not check(certificate.get("apiVersion") == "cert-manager.io/v1"
                     and certificate.get("kind") == "Certificate",
                     f"the example is a cert-manager.io/v1 Certificate (got {certificate.get('apiVersion')} "
                     f"{certificate.get('kind')})"):
            return
        spec = certificate.get("spec", {})
        namespaces = {d["metadata"].get("namespace") for d in deployments}
        check({certificate["metadata"].get("namespace")} == namespaces,
              f"Certificate: in the Deployments' namespace {sorted(namespaces)}")
        mounted = set()
        for d in deployments:
            pod = d["spec"]["template"]["spec"]
            path = flag_values(pod["containers"][0].get("args", [])).get("tls_cert_file", "")
            for m in pod["containers"][0].get("volumeMounts", []):
                if path.startswith(m["mountPath"].rstrip("/") + "/"):
                    mounted |= {v["secret"]["secretName"] for v in pod.get("volumes", [])
                                if v["name"] == m["name"] and "secret" in v}
        check(mounted == {spec.get("secretName")},
              f"Certificate: secretName {spec.get('secretName')!r} is the Secret the Deployments read "
              f"--tls_cert_file from ({sorted(mounted)})")
        names = set(spec.get("dnsNames", []))
        for s in services:
            service, namespace = s["metadata"]["name"], s["metadata"].get("namespace")
            for host in (f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"):
                check(host in names, f"Certificate: dnsNames cover Service {service} as {host}")
        issuer = spec.get("issuerRef", {})
        check(issuer.get("name") and issuer.get("kind") in ("Issuer", "ClusterIssuer"),
              "Certificate: an issuerRef with a name and kind Issuer or ClusterIssuer")
        check("usages" not in spec or "server auth" in spec["usages"],
              "Certificate: usable for server auth")
