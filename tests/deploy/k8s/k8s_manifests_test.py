#!/usr/bin/python3
"""Checks deploy/k8s as an operator would apply it, with no cluster.

One script, one step per CTest test (tests/deploy/k8s/CMakeLists.txt):

  npm_ci      installs the schema packages from package-lock.json into the
              build tree (quick when the installed lockfile is the same);
  schemas     renders every overlay with `kubectl kustomize` and validates
              every object against the Kubernetes and prometheus-operator
              schemas (validate.mjs, npm packages kubernetes-models and
              @kubernetes-models/prometheus-operator);
  invariants  what a schema cannot say: the ServiceMonitor selects both
              Services and their metrics port by name, probes and Services
              point at declared ports, the security context, the shutdown
              arithmetic, every container argument is a flag ledger-server
              knows, replicas and autoscaling only where the store allows it,
              the dashboard ConfigMap;
  rules       `promtool check rules` on the rule groups of the PrometheusRule
              (the only copy of the rules).
"""
import argparse
import filecmp
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

KUBECTL_MINOR = 27  # kubectl 1.27 or newer renders the overlays as the tests expect
KUBECTL_HINT = (
    f"kubectl 1.{KUBECTL_MINOR} or newer renders the kustomize overlays; Debian 12 has none. "
    "Install it from the Kubernetes project's apt repository (pkgs.k8s.io, package kubectl) "
    "or as the binary from https://dl.k8s.io/release/stable.txt's version "
    "(install -m 0755 kubectl /usr/local/bin/); or pass --kubectl.")
# CTest's SKIP_RETURN_CODE for these tests: a check that cannot run here
# reports itself skipped, with the reason, rather than passed or failed.
SKIPPED = 77
NODE_HINT = ("Node.js and npm are needed for the schema checks: apt-get install nodejs npm "
             "(Node >= 18, as Debian 12 has), or pass --node/--npm.")

MODES = {"coroutine": "--port", "thread": "--thread_port"}
CLIENT_SIDE_APPLY_LIMIT = 262144  # bytes of annotations, last-applied-configuration included


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def skip(message):
    print(f"SKIPPED: {message}", file=sys.stderr)
    sys.exit(SKIPPED)


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


def cxx_constant(source_root, header, name):
    """An integer constant of the server's headers, so that the defaults the
    manifests rely on are read where they are defined."""
    text = (source_root / header).read_text()
    match = re.search(rf"\b{name} = ([\d']+);", text)
    if not match:
        fail(f"{name} not found in {header}")
    return int(match.group(1).replace("'", ""))


def overlays(source_root):
    root = source_root / "deploy/k8s/overlays"
    found = sorted(p for p in root.iterdir() if (p / "kustomization.yaml").exists())
    if not found:
        fail(f"no overlays under {root}")
    return found


def render(kubectl, overlay):
    # Exactly what `kubectl apply -k` builds: default load restrictor, no flags.
    result = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        fail(f"kubectl kustomize {overlay} failed:\n{result.stderr}")
    return result.stdout


# --- npm_ci ---------------------------------------------------------------

def npm_ci(args):
    npm = find_tool(args.npm, "npm", NODE_HINT)
    work = args.work_dir / "npm"
    work.mkdir(parents=True, exist_ok=True)
    lock = args.test_dir / "package-lock.json"
    stamp = work / "installed-package-lock.json"
    if (work / "node_modules").is_dir() and stamp.exists() and filecmp.cmp(lock, stamp, shallow=False):
        print(f"node_modules in {work} already match {lock}")
        return
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(args.test_dir / name, work / name)
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(work)],
                            cwd=work, timeout=600)
    if result.returncode != 0:
        fail("npm ci failed (the npm registry must be reachable on the first run)")
    shutil.copyfile(lock, stamp)


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
    for overlay in overlays(args.source_root):
        path = out / f"{overlay.name}.yaml"
        path.write_text(render(kubectl, overlay))
        files.append(str(path))
    result = subprocess.run([node, str(args.test_dir / "validate.mjs"),
                             "--node_modules", str(node_modules), *files], timeout=120)
    if result.returncode != 0:
        fail("some rendered objects do not validate (above)")


# --- invariants -----------------------------------------------------------

def parse_duration(text):
    """An absl duration (5s, 1m30s, 250ms, 0) in seconds."""
    if text in ("0", "inf"):
        return 0.0 if text == "0" else float("inf")
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * units[u] for n, u in parts)


def server_flags(server):
    result = subprocess.run([server, "--help"], capture_output=True, text=True, timeout=30)
    names = set(re.findall(r"^\s+--([A-Za-z0-9_]+) \(", result.stdout + result.stderr, re.M))
    if "mode" not in names or "drain_grace" not in names:
        fail(f"could not read the flags from `{server} --help`:\n{result.stdout}{result.stderr}")
    return names


def flag_values(args_list):
    values = {}
    for arg in args_list:
        match = re.fullmatch(r"--([A-Za-z0-9_]+)(?:=(.*))?", arg)
        values[match.group(1) if match else arg] = (match.group(2) if match else None)
    return values


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


class Checker:
    def __init__(self, overlay, objects, flags, source_root):
        self.overlay = overlay
        self.objects = objects
        self.flags = flags
        self.source_root = source_root
        self.errors = []

    def check(self, ok, message):
        if not ok:
            self.errors.append(f"[{self.overlay}] {message}")
        return ok

    def default(self, name):
        return cxx_constant(self.source_root, "contract/ports.h", name)

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def run(self):
        deployments = self.of_kind("Deployment")
        services = self.of_kind("Service")
        self.check(sorted(d["metadata"]["name"] for d in deployments)
                   == ["ledger-coroutine", "ledger-thread"],
                   "one Deployment per mode: ledger-coroutine and ledger-thread")
        self.check(sorted(s["metadata"]["name"] for s in services)
                   == ["ledger-coroutine", "ledger-thread"],
                   "one Service per mode: ledger-coroutine and ledger-thread")
        for deployment in deployments:
            self.deployment(deployment)
        for service in services:
            self.service(service, deployments)
        self.service_monitor(services)
        self.prometheus_rule(deployments)
        self.scaling(deployments)
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
                   "(set by the overlay's images:)")
        self.check(not c.get("command"), f"{name}: no command: the image's entrypoint is ledger-server")
        args = c.get("args", [])
        values = flag_values(args)
        for arg in args:
            flag = re.fullmatch(r"--([A-Za-z0-9_]+)(=.*)?", arg)
            self.check(flag is not None and flag.group(1) in self.flags,
                       f"{name}: argument {arg!r} is not a flag of ledger-server "
                       "(it would exit at start)")
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
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            spec = c.get(probe)
            if self.check(spec is not None and "grpc" in spec, f"{name}: native gRPC {probe}"):
                self.check(spec["grpc"].get("port") == grpc_port
                           and spec["grpc"]["port"] in ports.values(),
                           f"{name}: {probe} on the declared gRPC port {grpc_port}")

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
            self.check(grpc.get("appProtocol") == "kubernetes.io/h2c",
                       f"Service {name}: grpc port has appProtocol kubernetes.io/h2c")
        self.check("metrics" in ports, f"Service {name}: a port named metrics")

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
        self.check(sorted(s["metadata"]["name"] for s in selected) == ["ledger-coroutine", "ledger-thread"],
                   "ServiceMonitor selects both Services, in its own namespace")
        for endpoint in m["spec"]["endpoints"]:
            for s in selected:
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
        wanted = {
            "error ratio per mode": lambda e: "grpc_server_handled_total" in e
            and re.search(r'grpc_code\s*!=\s*"OK"', e) and "mode" in by(e),
            "p99 latency per mode": lambda e: re.search(r"histogram_quantile\(\s*0\.99", e)
            and "grpc_server_handling_seconds_bucket" in e and {"le", "mode"} <= by(e),
            "in-flight near --max_inflight": lambda e: "ledger_inflight_calls" in e and "mode" in by(e),
            "pod restarts": lambda e: "changes(process_start_time_seconds" in e and "pod" in by(e),
        }
        for what, test in wanted.items():
            self.check(any(test(e) for e in exprs.values()), f"PrometheusRule has an alert on {what}")
        # The in-flight threshold follows the flag the Deployments pass.
        limits = {int(flag_values(d["spec"]["template"]["spec"]["containers"][0].get("args", []))
                      .get("max_inflight", cxx_constant(
                          self.source_root, "service/main/defaults.h", "kDefaultMaxInflight"))) for d in deployments}
        for alert, expr in exprs.items():
            if "ledger_inflight_calls" in expr:
                found = re.search(r">\s*0\.9\s*\*\s*(\d+)", expr)
                self.check(found and {int(found.group(1))} == limits,
                           f"{alert}: threshold is 0.9 * --max_inflight of the Deployments {sorted(limits)}")

    def scaling(self, deployments):
        hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in self.of_kind("HorizontalPodAutoscaler")}
        pdbs = self.of_kind("PodDisruptionBudget")
        for d in deployments:
            name = d["metadata"]["name"]
            c = d["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e for e in c.get("env", [])}
            on_postgres = "LEDGER_POSTGRES_DSN" in env
            pod_labels = d["spec"]["template"]["metadata"]["labels"]
            covering = [p for p in pdbs if matches(p["spec"]["selector"].get("matchLabels", {}), pod_labels)]
            if not on_postgres:
                # The embedded store lives in the pod: exactly one.
                self.check(d["spec"].get("replicas") == 1, f"{name}: embedded store, replicas: 1")
                self.check(name not in hpas and not covering,
                           f"{name}: embedded store, so no HPA or PodDisruptionBudget")
                continue
            ref = env["LEDGER_POSTGRES_DSN"].get("valueFrom", {}).get("secretKeyRef", {})
            self.check(ref.get("name") == "ledger-postgres" and ref.get("key") == "dsn"
                       and ref.get("optional") is True,
                       f"{name}: LEDGER_POSTGRES_DSN from Secret ledger-postgres key dsn, optional")
            hpa = hpas.get(name)
            if self.check(hpa is not None and hpa["apiVersion"] == "autoscaling/v2",
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
    if not os.access(args.server, os.X_OK):
        fail(f"{args.server} is not built")
    flags = server_flags(args.server)
    errors = []
    for overlay in overlays(args.source_root):
        objects = [o for o in yaml.safe_load_all(render(kubectl, overlay)) if o]
        found = Checker(overlay.name, objects, flags, args.source_root).run()
        print(f"{overlay.name}: {len(objects)} objects, {len(found)} problems")
        errors += found
    if errors:
        fail("\n  " + "\n  ".join(errors))


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["npm_ci", "schemas", "invariants", "rules"])
    parser.add_argument("--source_root", type=pathlib.Path, required=True)
    parser.add_argument("--work_dir", type=pathlib.Path, required=True, help="in the build tree")
    parser.add_argument("--server", help="ledger-server, for its --help")
    parser.add_argument("--kubectl")
    parser.add_argument("--promtool")
    parser.add_argument("--node")
    parser.add_argument("--npm")
    args = parser.parse_args()
    args.source_root = args.source_root.resolve()
    args.test_dir = pathlib.Path(__file__).resolve().parent
    args.work_dir.mkdir(parents=True, exist_ok=True)
    {"npm_ci": npm_ci, "schemas": schemas, "invariants": invariants, "rules": rules}[args.step](args)
    print(f"k8s {args.step}: ok")


if __name__ == "__main__":
    main()
