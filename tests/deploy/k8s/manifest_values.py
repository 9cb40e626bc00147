"""Reading values out of rendered Kubernetes objects, as the server and the
kubelet would read them: flags, durations, label selectors, Secrets, probes.
Shared by k8s_manifests_test.py and postgres_checks.py."""
import base64
import re


def parse_duration(text):
    """An absl duration (5s, 1m30s, 250ms, 0) in seconds."""
    if text in ("0", "inf"):
        return 0.0 if text == "0" else float("inf")
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * units[u] for n, u in parts)


def flag_values(args_list):
    """--name=value arguments as {name: value}; a later one wins, as in absl."""
    values = {}
    for arg in args_list:
        match = re.fullmatch(r"--([A-Za-z0-9_]+)(?:=(.*))?", arg)
        values[match.group(1) if match else arg] = (match.group(2) if match else None)
    return values


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def container_args(workload):
    return workload["spec"]["template"]["spec"]["containers"][0].get("args", [])


def secret_values(secret):
    """A Secret's keys and values as text, from data (base64) and stringData."""
    values = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    values.update(secret.get("stringData") or {})
    return values


def secret_ref(container, env_name):
    """The secretKeyRef an env var of the container reads, or None."""
    for env in container.get("env", []):
        if env["name"] == env_name:
            return env.get("valueFrom", {}).get("secretKeyRef")
    return None


def probe_budget(probe):
    """Seconds a probe may keep failing before the kubelet gives up on the
    container (for a startupProbe: kills it)."""
    return (probe.get("initialDelaySeconds", 0)
            + probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3))


def surge(deployment, replicas):
    """Pods a rolling update may add above `replicas` (maxSurge, 25 % by default)."""
    strategy = deployment["spec"].get("strategy", {})
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return 0
    value = strategy.get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return -(-replicas * int(value[:-1]) // 100)  # rounded up, as Kubernetes does
    return int(value)
