#!/usr/bin/python3
"""Checks deploy/k8s as an operator would apply it, with no cluster.

One script, one step per CTest test (tests/deploy/k8s/CMakeLists.txt):

  npm_ci      installs the schema packages from package-lock.json into the
              build tree (quick when the installed lockfile is the same);
  schemas       renders every overlay with `kubectl kustomize` and validates
                every object against the Kubernetes and prometheus-operator
                schemas (validate.mjs, npm packages kubernetes-models and
                @kubernetes-models/prometheus-operator); every component is
                used by some overlay, so none escapes them;
  invariants    what a schema cannot say: the ServiceMonitor selects both
                Services and their metrics port by name, probes on the
                plaintext health port (--health_port) and Services on
                declared ports, the security context, the shutdown
                arithmetic, each overlay's store (OVERLAYS below) as a
                container argument, replicas and autoscaling only on
                PostgreSQL, the DSN from the required Secret, the development
                database and the DSN that reaches it (postgres_checks.py),
                TLS and authentication where OVERLAYS says, from the required
                Secrets, and the NetworkPolicy (security_checks.py), the
                dashboard ConfigMap, the alerts' runbook URLs; a headless
                Service beside each ClusterIP one, for the same pods and gRPC
                port; the recommended labels on every object, the image tag
                (the project's version), the ServiceAccount and the topology
                spread (release_checks.py);
  examples      the example overlays of deploy/k8s/README.md rendered on the
                overlay they patch: they validate, pass the invariants and do
                what they are for (examples.py); the cert-manager
                Certificate example makes the Secret prod mounts, for both
                Services' names;
  server_flags  every container argument, of the overlays and of the
                README's examples, is a flag `ledger-server --help` lists (an
                unknown one makes it exit at start);
  rules         `promtool check rules` on the rule groups of the PrometheusRule
                (the only copy of the rules).
  runbooks      without kubectl: every alert's runbook_url in the rule file is
                "#" and the anchor of a section of docs/runbooks.md, and every
                section is an alert's (runbook_checks.py; invariants checks the
                rendered URLs, with their base).
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

from examples import EXPECTED_EFFECTS, readme_examples, write_overlay
from manifest_values import flag_values, matches, parse_duration
from postgres_checks import PostgresChecks
import runbook_checks
from release_checks import ReleaseChecks
from security_checks import SecurityChecks, serves_tls

# tests/python holds what the Python tests share.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from npm_lockfile import fail, install_locked_packages, skip  # noqa: E402
from project_version import project_version  # noqa: E402

KUBECTL_MINOR = 27  # kubectl 1.27 or newer renders the overlays as the tests expect
KUBECTL_HINT = (
    f"kubectl 1.{KUBECTL_MINOR} or newer renders the kustomize overlays; Debian 12 has none. "
    "Install it from the Kubernetes project's apt repository (pkgs.k8s.io, package kubectl) "
    "or as the binary from https://dl.k8s.io/release/stable.txt's version "
    "(install -m 0755 kubectl /usr/local/bin/); or pass --kubectl.")
NODE_HINT = ("Node.js and npm are needed for the schema checks: apt-get install nodejs npm "
             "(Node >= 18, as Debian 12 has), or pass --node/--npm.")

MODES = {"coroutine": "--port", "thread": "--thread_port"}
# The store each overlay runs (ledger-server's --store), whether an HPA
# scales it, and whether it serves TLS with authentication on. Every overlay
# is listed, so a new one says what it is rather than being vouched for by
# default; several pods (an HPA) need --store=postgres, since on the memory
# store each pod would be a ledger of its own.
OVERLAYS = {
    "dev": {"store": "memory", "autoscaled": False, "tls_auth": False},
    "dev-postgres": {"store": "postgres", "autoscaled": False, "tls_auth": False},
    "prod": {"store": "postgres", "autoscaled": True, "tls_auth": True},
}
STORES = ("memory", "postgres")
CLIENT_SIDE_APPLY_LIMIT = 262144  # bytes of annotations, last-applied-configuration included



def find_kubectl(explicit):
    """kubectl, or a skip saying why this machine cannot run the check."""
    path = explicit or shutil.which("kubectl")
    if not path or not os.access(path, os.X_OK):
        skip(f"kubectl not found. {KUBECTL_HINT}")
    result = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True,
                            text=True)
    try:
        minor = int(re.match(r"\d+", json.loads(result.stdout)["clientVersion"]["minor"]).group())
    except (ValueError, KeyError, AttributeError):
        fail(f"cannot read the version of {path}: {result.stdout}{result.stderr}")
    if minor < KUBECTL_MINOR:
        skip(f"{path} is kubectl 1.{minor}. {KUBECTL_HINT}")
    return path


def find_tool(explicit, name, hint):
    path = explicit or shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        fail(f"{name} not found. {hint}")
    return path


def cxx_string(source_root, header, name):
    """A string constant (constexpr char name[] = "...") of the server's headers."""
    text = (source_root / header).read_text()
    match = re.search(rf'\b{name}\[\] = "([^"]*)";', text)
    if not match:
        fail(f"{name} not found in {header}")
    return match.group(1)


def cxx_constant(source_root, header, name):
    """An integer constant of the server's headers, so that the defaults the
    manifests rely on are read where they are defined."""
    text = (source_root / header).read_text()
    match = re.search(rf"\b{name} = ([\d']+);", text)
    if not match:
        fail(f"{name} not found in {header}")
    return int(match.group(1).replace("'", ""))


def headless(service):
    return service["spec"].get("clusterIP") == "None"


def overlays(source_root):
    root = source_root / "deploy/k8s/overlays"
    found = sorted(p for p in root.iterdir() if (p / "kustomization.yaml").exists())
    if not found:
        fail(f"no overlays under {root}")
    if sorted(p.name for p in found) != sorted(OVERLAYS):
        fail(f"the overlays under {root} are {[p.name for p in found]}, OVERLAYS in {__file__} "
             f"lists {sorted(OVERLAYS)}: say which store a new overlay runs")
    return found


def kustomizations_reached(directory, seen=None):
    """Every directory of kustomization files `kubectl kustomize directory`
    reads: its own, and those of its resources and components, recursively."""
    seen = set() if seen is None else seen
    directory = directory.resolve()
    if directory in seen or not (directory / "kustomization.yaml").exists():
        return seen
    seen.add(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    for entry in kustomization.get("resources", []) + kustomization.get("components", []):
        if (directory / entry).is_dir():
            kustomizations_reached(directory / entry, seen)
    return seen


def render(kubectl, overlay):
    # Exactly what `kubectl apply -k` builds: default load restrictor, no flags.
    result = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        fail(f"kubectl kustomize {overlay} failed:\n{result.stderr}")
    return result.stdout


# --- npm_ci ---------------------------------------------------------------

def npm_ci(args):
    install_locked_packages(find_tool(args.npm, "npm", NODE_HINT), args.test_dir,
                            args.work_dir / "npm")


# --- schemas --------------------------------------------------------------

def schemas(args):
    kubectl = find_kubectl(args.kubectl)
    node = find_tool(args.node, "node", NODE_HINT)
    node_modules = args.work_dir / "npm/node_modules"
    if not node_modules.is_dir():
        fail(f"{node_modules} is missing: the k8s_npm_ci test installs it")
    files = []
    out = args.work_dir / "rendered"
    out.mkdir(parents=True, exist_ok=True)
    reached = set()
    for overlay in overlays(args.source_root):
        path = out / f"{overlay.name}.yaml"
        path.write_text(render(kubectl, overlay))
        files.append(str(path))
        kustomizations_reached(overlay, reached)
    components = args.source_root / "deploy/k8s/components"
    unused = [p.name for p in sorted(components.iterdir())
              if (p / "kustomization.yaml").exists() and p.resolve() not in reached]
    if unused:
        fail(f"components used by no overlay, so validated by nothing: {unused} (in {components})")
    result = subprocess.run([node, str(args.test_dir / "validate.mjs"),
                             "--node_modules", str(node_modules), *files], timeout=120)
    if result.returncode != 0:
        fail("some rendered objects do not validate (above)")


# --- invariants -----------------------------------------------------------

class Checker:
    def __init__(self, overlay, objects, source_root, expected=None):
        """expected: what OVERLAYS says of the overlay (given for the README's
        examples, which say what they build on)."""
        self.overlay = overlay
        self.expected = expected or OVERLAYS[overlay]
        self.objects = objects
        self.source_root = source_root
        self.errors = []
        self.default_store = cxx_string(source_root, "service/main/defaults.h", "kDefaultStore")
        self.dsn_env = cxx_string(source_root, "service/main/defaults.h", "kPostgresDsnVariable")
        self.postgres = PostgresChecks(self.check, objects, self.dsn_env)
        self.security = SecurityChecks(self.check, objects)
        self.release = ReleaseChecks(self.check, objects, project_version(source_root))

    def check(self, ok, message):
        if not ok:
            self.errors.append(f"[{self.overlay}] {message}")
        return ok

    def store_of(self, deployment):
        """The store the ledger container runs: --store, or the server's default."""
        return flag_values(deployment["spec"]["template"]["spec"]["containers"][0].get("args", [])) \
            .get("store", self.default_store)

    def default(self, name):
        return cxx_constant(self.source_root, "contract/ports.h", name)

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def run(self):
        deployments = self.of_kind("Deployment")
        services = self.of_kind("Service")
        # The ledger's Services; others (the development database's) are
        # checked with what they serve, and the ServiceMonitor must pass them by.
        ledger_services = [s for s in services
                           if s["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "ledger"]
        cluster_ips = {s["metadata"]["name"]: s for s in ledger_services if not headless(s)}
        self.check(sorted(d["metadata"]["name"] for d in deployments)
                   == ["ledger-coroutine", "ledger-thread"],
                   "one Deployment per mode: ledger-coroutine and ledger-thread")
        self.check(sorted(cluster_ips) == ["ledger-coroutine", "ledger-thread"],
                   "one ClusterIP Service per mode: ledger-coroutine and ledger-thread")
        self.check(sorted(s["metadata"]["name"] for s in ledger_services if headless(s))
                   == ["ledger-coroutine-headless", "ledger-thread-headless"],
                   "one headless Service per mode, for clients that balance over the pods: "
                   "ledger-coroutine-headless and ledger-thread-headless")
        for deployment in deployments:
            self.deployment(deployment)
            self.security.deployment(deployment, self.expected["tls_auth"])
        self.security.same_secrets(deployments)
        self.security.network_policy(deployments)
        self.release.run(deployments)
        for service in ledger_services:
            if headless(service):
                self.headless_service(service, cluster_ips)
            else:
                self.service(service, deployments)
        self.service_monitor(services)
        self.prometheus_rule(deployments)
        self.stores(deployments)
        self.postgres.database([d for d in deployments if self.store_of(d) == "postgres"])
        self.dashboard()
        return self.errors

    def deployment(self, d):
        name = d["metadata"]["name"]
        mode = name.removeprefix("ledger-")
        pod = d["spec"]["template"]["spec"]
        self.check(matches(d["spec"]["selector"]["matchLabels"],
                           d["spec"]["template"]["metadata"]["labels"]),
                   f"{name}: selector matches the pod template's labels")
        containers = pod["containers"]
        self.check(len(containers) == 1 and containers[0]["name"] == "ledger",
                   f"{name}: one container, named ledger")
        c = containers[0]
        image = c.get("image", "")
        self.check(re.fullmatch(r"[^:@]+(:[\w][\w.-]*|@sha256:[0-9a-f]{64})", image.rsplit("/", 1)[-1])
                   is not None and image.rsplit("/", 1)[-1].split(":")[0].split("@")[0] == "ledger",
                   f"{name}: image {image!r} is the ledger image with a tag or digest "
                   "(set by components/release's images:)")
        self.check(not c.get("command"), f"{name}: no command: the image's entrypoint is ledger-server")
        values = flag_values(c.get("args", []))
        self.check(values.get("mode") == mode, f"{name}: --mode={mode}")

        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        grpc_port = int(values.get(MODES.get(mode, "--port").lstrip("-"),
                                   self.default("kDefaultPort" if mode == "coroutine"
                                                else "kDefaultThreadPort")))
        metrics_port = int(values.get("metrics_port", self.default("kDefaultMetricsPort")))
        self.check(ports.get("grpc") == grpc_port,
                   f"{name}: container port named grpc is {grpc_port}, where the server listens")
        self.check(ports.get("metrics") == metrics_port,
                   f"{name}: container port named metrics is {metrics_port} (--metrics_port)")
        # The kubelet's gRPC probes cannot speak TLS, so they ask the plaintext
        # health port (--health_port), declared as the container port `health`.
        health_port = ports.get("health")
        if self.check(health_port is not None, f"{name}: a container port named health, for the probes"):
            self.check(values.get("health_port") == str(health_port),
                       f"{name}: --health_port={health_port}, the container port named health "
                       f"(got {values.get('health_port')!r})")
            self.check(health_port not in (grpc_port, metrics_port),
                       f"{name}: the health port {health_port} is a port of its own")
        # Liveness on PostgreSQL is postgres_checks.py's: it must not follow the database.
        probes = ("startupProbe", "readinessProbe") + (
            () if self.store_of(d) == "postgres" else ("livenessProbe",))
        for probe in probes:
            spec = c.get(probe)
            if self.check(spec is not None and "grpc" in spec, f"{name}: native gRPC {probe}"):
                self.check(spec["grpc"].get("port") == health_port
                           and spec["grpc"]["port"] in ports.values(),
                           f"{name}: {probe} on the declared health port {health_port} "
                           f"(got {spec['grpc'].get('port')})")

        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                self.check(resource in c.get("resources", {}).get(kind, {}),
                           f"{name}: resources.{kind}.{resource} set")

        pod_sc, sc = pod.get("securityContext", {}), c.get("securityContext", {})

        def effective(key):
            return sc.get(key, pod_sc.get(key))
        self.check(effective("runAsNonRoot") is True, f"{name}: runAsNonRoot")
        self.check(isinstance(effective("runAsUser"), int) and effective("runAsUser") > 0,
                   f"{name}: runAsUser non-zero")
        self.check(sc.get("readOnlyRootFilesystem") is True, f"{name}: readOnlyRootFilesystem")
        self.check(sc.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation false")
        self.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: capabilities drop ALL")
        self.check((effective("seccompProfile") or {}).get("type") == "RuntimeDefault",
                   f"{name}: seccompProfile RuntimeDefault")

        # preStop pause, then SIGTERM: drain, then in-flight calls finish.
        grace = pod.get("terminationGracePeriodSeconds", 30)
        command = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        pause = None
        if self.check(len(command) == 2 and command[0] in ("sleep", "/bin/sleep"),
                      f"{name}: preStop exec [sleep, N] (got {command})"):
            pause = float(command[1])
        try:
            drain = parse_duration(values.get("drain_grace", "0"))
            shutdown = parse_duration(values.get("shutdown_timeout", "5s"))
        except ValueError as error:
            self.check(False, f"{name}: {error}")
            return
        self.check(drain > 0, f"{name}: --drain_grace set, so health turns NOT_SERVING before shutdown")
        if pause is not None:
            self.check(pause + drain + shutdown < grace,
                       f"{name}: preStop {pause}s + --drain_grace {drain}s + --shutdown_timeout "
                       f"{shutdown}s < terminationGracePeriodSeconds {grace}")

    def service(self, s, deployments):
        name = s["metadata"]["name"]
        selector = s["spec"].get("selector", {})
        targets = [d for d in deployments
                   if selector and matches(selector, d["spec"]["template"]["metadata"]["labels"])]
        if not self.check([d["metadata"]["name"] for d in targets] == [name],
                          f"Service {name} selects the pods of Deployment {name} only"):
            return
        c = targets[0]["spec"]["template"]["spec"]["containers"][0]
        declared = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        ports = {p.get("name"): p for p in s["spec"]["ports"]}
        for port in ports.values():
            target = port.get("targetPort", port["port"])
            self.check(target in declared or target in declared.values(),
                       f"Service {name}: targetPort {target!r} is a port the container declares")
        grpc = ports.get("grpc")
        if self.check(grpc is not None, f"Service {name}: a port named grpc"):
            # Cleartext HTTP/2 (h2c), or with TLS HTTP/2 over TLS (IANA's https).
            protocol = "https" if serves_tls(targets[0]) else "kubernetes.io/h2c"
            self.check(grpc.get("appProtocol") == protocol,
                       f"Service {name}: grpc port has appProtocol {protocol} "
                       f"(got {grpc.get('appProtocol')!r})")
        self.check("metrics" in ports, f"Service {name}: a port named metrics")
        # Plaintext and for the kubelet only (base/networkpolicy.yaml).
        self.check(not any(p.get("targetPort", p["port"]) in ("health", declared.get("health"))
                           for p in ports.values()),
                   f"Service {name}: does not expose the health port")

    def headless_service(self, s, cluster_ips):
        """A headless Service is its ClusterIP namesake's pods and gRPC port,
        nothing more: with its metrics port too, Prometheus would scrape every
        pod twice (the ServiceMonitor selects both by their labels)."""
        name = s["metadata"]["name"]
        twin = cluster_ips.get(name.removesuffix("-headless"))
        if not self.check(twin is not None, f"Service {name}: a ClusterIP Service "
                          f"{name.removesuffix('-headless')} beside it"):
            return
        self.check(s["spec"].get("selector") == twin["spec"].get("selector"),
                   f"Service {name}: selects the pods {twin['metadata']['name']} selects")
        grpc = [p for p in twin["spec"]["ports"] if p.get("name") == "grpc"]
        self.check(s["spec"]["ports"] == grpc,
                   f"Service {name}: the gRPC port of {twin['metadata']['name']} ({grpc}) and no "
                   f"other (got {s['spec']['ports']})")
        self.check(not s["spec"].get("publishNotReadyAddresses"),
                   f"Service {name}: resolves to ready pods only")

    def service_monitor(self, services):
        monitors = self.of_kind("ServiceMonitor")
        if not self.check(len(monitors) == 1, "one ServiceMonitor"):
            return
        m = monitors[0]
        self.check("release" in m["metadata"].get("labels", {}),
                   "ServiceMonitor has the release label kube-prometheus-stack selects by")
        selector = m["spec"]["selector"]
        self.check(set(selector) <= {"matchLabels"}, "ServiceMonitor selects by matchLabels only")
        namespace = m["metadata"].get("namespace")
        selected = [s for s in services
                    if matches(selector.get("matchLabels", {}), s["metadata"].get("labels", {}))
                    and s["metadata"].get("namespace") == namespace]
        # A selected Service without the endpoint's port yields no target.
        endpoint_ports = {e.get("port") for e in m["spec"]["endpoints"]}
        scraped = [s for s in selected if endpoint_ports & {p.get("name") for p in s["spec"]["ports"]}]
        self.check(sorted(s["metadata"]["name"] for s in scraped) == ["ledger-coroutine", "ledger-thread"],
                   "ServiceMonitor scrapes both ClusterIP Services, in its own namespace, and no "
                   f"other (got {sorted(s['metadata']['name'] for s in scraped)})")
        for endpoint in m["spec"]["endpoints"]:
            for s in scraped:
                self.check(endpoint.get("port") in {p.get("name") for p in s["spec"]["ports"]},
                           f"ServiceMonitor endpoint port {endpoint.get('port')!r} is a named port "
                           f"of Service {s['metadata']['name']}")
        self.check([e.get("port") for e in m["spec"]["endpoints"]] == ["metrics"],
                   "ServiceMonitor scrapes the port named metrics")

    def prometheus_rule(self, deployments):
        rules = self.of_kind("PrometheusRule")
        if not self.check(len(rules) == 1, "one PrometheusRule"):
            return
        r = rules[0]
        monitor_release = [m["metadata"].get("labels", {}).get("release")
                           for m in self.of_kind("ServiceMonitor")]
        self.check([r["metadata"].get("labels", {}).get("release")] == monitor_release,
                   "PrometheusRule and ServiceMonitor carry the same release label")
        exprs = {rule["alert"]: rule["expr"] for group in r["spec"]["groups"]
                 for rule in group["rules"] if "alert" in rule}
        def by(e):
            return {label.strip() for group in re.findall(r"by\s*\(([^)]*)\)", e)
                    for label in group.split(",")}
        def server_codes(e):
            return {code for codes in re.findall(r'grpc_code\s*=~\s*"([^"]*)"', e)
                    for code in codes.split("|")}
        wanted = {
            # Only codes that say the server failed: a refused transfer
            # (FailedPrecondition) or a missing account (NotFound) is the caller's.
            "server-error ratio per mode": lambda e: "grpc_server_handled_total" in e
            and {"Internal", "Unknown", "Unavailable", "DataLoss"} <= server_codes(e)
            and not server_codes(e) & {"OK", "NotFound", "FailedPrecondition", "InvalidArgument",
                                       "AlreadyExists", "PermissionDenied", "Unauthenticated"}
            and "mode" in by(e),
            "p99 latency per mode": lambda e: re.search(r"histogram_quantile\(\s*0\.99", e)
            and "grpc_server_handling_seconds_bucket" in e and {"le", "mode"} <= by(e),
            "in-flight near --max_inflight": lambda e: "ledger_inflight_calls" in e and "mode" in by(e),
            "pod restarts": lambda e: "changes(process_start_time_seconds" in e and "pod" in by(e),
        }
        for what, test in wanted.items():
            self.check(any(test(e) for e in exprs.values()), f"PrometheusRule has an alert on {what}")
        for problem in runbook_checks.rendered(r, self.source_root, "the rendered PrometheusRule"):
            self.check(False, problem)
        # The in-flight threshold follows the flag the Deployments pass.
        limits = {int(flag_values(d["spec"]["template"]["spec"]["containers"][0].get("args", []))
                      .get("max_inflight", cxx_constant(
                          self.source_root, "service/main/defaults.h", "kDefaultMaxInflight"))) for d in deployments}
        for alert, expr in exprs.items():
            if "ledger_inflight_calls" in expr:
                found = re.search(r">\s*0\.9\s*\*\s*(\d+)", expr)
                self.check(found and {int(found.group(1))} == limits,
                           f"{alert}: threshold is 0.9 * --max_inflight of the Deployments {sorted(limits)}")

    def stores(self, deployments):
        """Each overlay's store, as the container argument --store says (an env
        var alone changes nothing), and scaling only where the store allows it."""
        expected = self.expected
        hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in self.of_kind("HorizontalPodAutoscaler")}
        pdbs = self.of_kind("PodDisruptionBudget")
        names = {d["metadata"]["name"] for d in deployments}
        for target, hpa in hpas.items():
            self.check(hpa["spec"]["scaleTargetRef"].get("kind") == "Deployment" and target in names,
                       f"HorizontalPodAutoscaler {hpa['metadata']['name']} scales a Deployment of this overlay")
        for d in deployments:
            name = d["metadata"]["name"]
            c = d["spec"]["template"]["spec"]["containers"][0]
            store = self.store_of(d)
            self.check(store in STORES, f"{name}: --store={store} is one of {', '.join(STORES)}")
            self.check(store == expected["store"],
                       f"{name}: runs --store={expected['store']}, as OVERLAYS says {self.overlay} does "
                       f"(the container argument --store, else the server's default "
                       f"{self.default_store}), not {store}")
            pod_labels = d["spec"]["template"]["metadata"]["labels"]
            covering = [p for p in pdbs if matches(p["spec"]["selector"].get("matchLabels", {}), pod_labels)]
            if store != "postgres":
                # The memory store lives in the pod: exactly one, replaced, never scaled.
                self.check(d["spec"].get("replicas") == 1, f"{name}: memory store, replicas: 1")
                self.check(d["spec"].get("strategy", {}).get("type") == "Recreate",
                           f"{name}: memory store, strategy Recreate (two pods would be two ledgers)")
                self.check(name not in hpas,
                           f"{name}: an HPA scales it out, but on the {store} store N pods would be "
                           "N separate ledgers: only --store=postgres may be autoscaled")
                self.check(not covering, f"{name}: memory store, so no PodDisruptionBudget")
                self.check(self.dsn_env not in {e["name"] for e in c.get("env", [])}
                           and not any(f.startswith("postgres_") for f in flag_values(c.get("args", []))),
                           f"{name}: no PostgreSQL settings on the {store} store (the server would ignore them)")
                continue
            self.postgres.ledger(d)
            hpa = hpas.get(name)
            if not self.check((hpa is not None) == expected["autoscaled"],
                              f"{name}: {'an' if expected['autoscaled'] else 'no'} HPA "
                              f"(OVERLAYS says autoscaled: {expected['autoscaled']})"):
                continue
            if hpa is None:
                self.check(isinstance(d["spec"].get("replicas", 1), int),
                           f"{name}: a fixed replica count without an HPA")
                continue
            if self.check(hpa["apiVersion"] == "autoscaling/v2",
                          f"{name}: an autoscaling/v2 HorizontalPodAutoscaler"):
                self.check(hpa["spec"].get("minReplicas", 1) >= 2, f"{name}: HPA minReplicas >= 2")
                metrics = hpa["spec"].get("metrics", [])
                self.check(any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics),
                           f"{name}: HPA on CPU")
                self.check(any(m["type"] == "Pods" and m["pods"]["metric"]["name"] == "ledger_inflight_calls"
                               and m["pods"]["target"]["type"] == "AverageValue" for m in metrics),
                           f"{name}: HPA on ledger_inflight_calls, average per pod")
                self.check("replicas" not in d["spec"],
                           f"{name}: no replicas field, the HPA owns the count")
            self.check(len(covering) == 1, f"{name}: one PodDisruptionBudget selects its pods")
        on_postgres = [d for d in deployments if self.store_of(d) == "postgres"]
        if on_postgres:
            self.postgres.one_ledger(on_postgres)
            self.postgres.connection_budget(on_postgres, hpas)

    def dashboard(self):
        maps = [o for o in self.of_kind("ConfigMap")
                if o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
        if not self.check(len(maps) == 1, 'one ConfigMap labelled grafana_dashboard: "1"'):
            return
        cm = maps[0]
        source = (self.source_root / "deploy/grafana/ledger.json").read_text()
        self.check(cm.get("data", {}).get("ledger.json") == source,
                   "the dashboard ConfigMap holds deploy/grafana/ledger.json as it is")
        try:
            json.loads(source)
        except ValueError as error:
            self.check(False, f"deploy/grafana/ledger.json is not JSON: {error}")
        size = len(json.dumps(cm, separators=(",", ":")))
        self.check(size < CLIENT_SIDE_APPLY_LIMIT,
                   f"the dashboard ConfigMap ({size} bytes) fits kubectl apply's "
                   f"last-applied-configuration annotation ({CLIENT_SIDE_APPLY_LIMIT})")
        self.check(not re.search(r"-[a-z0-9]{10}$", cm["metadata"]["name"]),
                   "the dashboard ConfigMap has a fixed name (no hash suffix left behind on change)")


def invariants(args):
    kubectl = find_kubectl(args.kubectl)
    errors = []
    for overlay in overlays(args.source_root):
        objects = [o for o in yaml.safe_load_all(render(kubectl, overlay)) if o]
        found = Checker(overlay.name, objects, args.source_root).run()
        print(f"{overlay.name}: {len(objects)} objects, {len(found)} problems")
        errors += found
    if errors:
        fail("\n  " + "\n  ".join(errors))


# --- examples ---------------------------------------------------------------

CERTIFICATE = "deploy/k8s/examples/certificate.yaml"
CERTIFICATE_OVERLAY = "prod"  # the overlay whose Secret and Services it is for


def slug(name):
    return re.sub(r"\W+", "-", name)


def example_renders(args, kubectl, directory):
    """(name, base overlay, rendered YAML) of each example overlay of the
    README (examples.py), written under `directory`."""
    readme = args.source_root / "deploy/k8s/README.md"
    found = readme_examples(readme.read_text())
    if sorted(name for name, _, _ in found) != sorted(EXPECTED_EFFECTS):
        fail(f"the example overlays of {readme} are {sorted(n for n, _, _ in found)}, EXPECTED_EFFECTS "
             f"in examples.py lists {sorted(EXPECTED_EFFECTS)}: each example says there what it is for")
    for name, base, kustomization in found:
        if base not in OVERLAYS:
            fail(f"README example {name!r} builds on {base!r}, not one of the overlays {sorted(OVERLAYS)}")
        target = directory / slug(name)
        error = write_overlay(kustomization, args.source_root / "deploy/k8s/overlays" / base, target)
        if error:
            fail(f"README example {name!r}: {error}")
        yield name, base, render(kubectl, target)


def examples(args):
    """The README's example overlays pass every check of the overlay they
    build on, validate, and do what they are for; the cert-manager
    Certificate makes the Secret prod mounts, for both Services' names."""
    kubectl = find_kubectl(args.kubectl)
    node = find_tool(args.node, "node", NODE_HINT)
    node_modules = args.work_dir / "npm/node_modules"
    if not node_modules.is_dir():
        fail(f"{node_modules} is missing: the k8s_npm_ci test installs it")
    overlay_dir = args.source_root / "deploy/k8s/overlays"
    bases = {}
    errors = []
    with tempfile.TemporaryDirectory(dir=args.work_dir) as directory:
        directory = pathlib.Path(directory)
        files = []
        for name, base, text in example_renders(args, kubectl, directory):
            files.append(directory / f"{slug(name)}.yaml")
            files[-1].write_text(text)
            objects = [o for o in yaml.safe_load_all(text) if o]
            if base not in bases:
                bases[base] = [o for o in yaml.safe_load_all(render(kubectl, overlay_dir / base)) if o]
            label = f"{base} + README's {name}"
            found = Checker(label, objects, args.source_root, OVERLAYS[base]).run()
            found += [f"[{label}] {e}" for e in EXPECTED_EFFECTS[name](objects, bases[base])]
            print(f"{label}: {len(objects)} objects, {len(found)} problems")
            errors += found
        result = subprocess.run([node, str(args.test_dir / "validate.mjs"),
                                 "--node_modules", str(node_modules), *map(str, files)], timeout=120)
        if result.returncode != 0:
            errors.append("some objects of the README's example overlays do not validate (above)")

    documents = [d for d in yaml.safe_load_all((args.source_root / CERTIFICATE).read_text()) if d]
    objects = [o for o in yaml.safe_load_all(render(kubectl, overlay_dir / CERTIFICATE_OVERLAY)) if o]
    checker = Checker(f"{CERTIFICATE_OVERLAY}: {CERTIFICATE}", objects, args.source_root,
                      OVERLAYS[CERTIFICATE_OVERLAY])
    if checker.check(len(documents) == 1, "one object in the file"):
        checker.security.certificate(
            documents[0], checker.of_kind("Deployment"),
            [s for s in checker.of_kind("Service")
             if s["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "ledger"])
    errors += checker.errors
    if errors:
        fail("\n  " + "\n  ".join(errors))


# --- server_flags -----------------------------------------------------------

def server_flags(args):
    """Every argument of every ledger container, in the overlays and in the
    README's example overlays, is a flag of this build's ledger-server: an
    unknown one makes it exit at start."""
    kubectl = find_kubectl(args.kubectl)
    if not args.server or not os.access(args.server, os.X_OK):
        fail(f"{args.server} is not built")
    result = subprocess.run([args.server, "--help"], capture_output=True, text=True, timeout=30)
    known = set(re.findall(r"^\s+--([A-Za-z0-9_]+) \(", result.stdout + result.stderr, re.M))
    if "mode" not in known or "drain_grace" not in known:
        fail(f"could not read the flags from `{args.server} --help`:\n{result.stdout}{result.stderr}")
    errors = []
    with tempfile.TemporaryDirectory(dir=args.work_dir) as directory:
        renders = [(overlay.name, render(kubectl, overlay)) for overlay in overlays(args.source_root)]
        renders += [(f"{base} + README's {name}", text)
                    for name, base, text in example_renders(args, kubectl, pathlib.Path(directory))]
    for label, text in renders:
        for d in (o for o in yaml.safe_load_all(text) if o and o["kind"] == "Deployment"):
            for arg in d["spec"]["template"]["spec"]["containers"][0].get("args", []):
                flag = re.fullmatch(r"--([A-Za-z0-9_]+)(=.*)?", arg)
                if flag is None or flag.group(1) not in known:
                    errors.append(f"[{label}] {d['metadata']['name']}: argument {arg!r} is not a "
                                  f"flag of {args.server} (it would exit at start)")
    if errors:
        fail("\n  " + "\n  ".join(sorted(set(errors))))


# --- rules ----------------------------------------------------------------

def rules(args):
    kubectl = find_kubectl(args.kubectl)
    promtool = find_tool(args.promtool, "promtool", "apt-get install prometheus")
    for overlay in overlays(args.source_root):
        objects = [o for o in yaml.safe_load_all(render(kubectl, overlay)) if o]
        for rule in (o for o in objects if o["kind"] == "PrometheusRule"):
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=args.work_dir, delete=False) as f:
                yaml.safe_dump({"groups": rule["spec"]["groups"]}, f, sort_keys=False)
            try:
                result = subprocess.run([promtool, "check", "rules", f.name],
                                        capture_output=True, text=True, timeout=60)
            finally:
                os.unlink(f.name)
            print(result.stdout + result.stderr)
            if result.returncode != 0:
                fail(f"promtool check rules: PrometheusRule {rule['metadata']['name']} of {overlay.name}")


# --- runbooks -------------------------------------------------------------

def runbooks(args):
    errors = runbook_checks.source(args.source_root)
    if errors:
        fail("\n  " + "\n  ".join(errors))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["npm_ci", "schemas", "invariants", "examples", "server_flags",
                                         "rules", "runbooks"])
    parser.add_argument("--source_root", type=pathlib.Path, required=True)
    parser.add_argument("--work_dir", type=pathlib.Path, required=True, help="in the build tree")
    parser.add_argument("--server", help="ledger-server, for its --help (server_flags)")
    parser.add_argument("--kubectl")
    parser.add_argument("--promtool")
    parser.add_argument("--node")
    parser.add_argument("--npm")
    args = parser.parse_args()
    args.source_root = args.source_root.resolve()
    args.test_dir = pathlib.Path(__file__).resolve().parent
    args.work_dir.mkdir(parents=True, exist_ok=True)
    {"npm_ci": npm_ci, "schemas": schemas, "invariants": invariants, "examples": examples,
     "server_flags": server_flags, "rules": rules, "runbooks": runbooks}[args.step](args)
    print(f"k8s {args.step}: ok")


if __name__ == "__main__":
    main()
