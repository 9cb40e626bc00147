"""The examples deploy/k8s/README.md shows, built and checked so they cannot
drift from the manifests they patch.

An example overlay is a ```yaml block of the README whose first line is

    # kustomization.yaml, an overlay on <overlay>: <name>

with one resource, that overlay (its path as seen from the reader's own
overlay). It is rendered on top of the real one, and must then pass every
check the overlay passes, plus what EXPECTED_EFFECTS says the example is for.
"""
import os
import re
import textwrap

import yaml

from manifest_values import container_args, flag_values
from security_checks import PROMETHEUS_LABELS

MARK = re.compile(r"# kustomization\.yaml, an overlay on ([\w-]+): (.+)")


def readme_examples(readme):
    """[(name, base overlay name, kustomization)] of the README's marked blocks."""
    found = []
    for block in re.findall(r"^( *)```yaml\n(.*?)^\1```", readme, re.M | re.S):
        text = textwrap.dedent(block[1])
        mark = MARK.fullmatch(text.splitlines()[0].strip()) if text.strip() else None
        if mark:
            found.append((mark.group(2), mark.group(1), yaml.safe_load(text)))
    return found


def write_overlay(kustomization, base_dir, directory):
    """The example as an overlay in `directory`, its resource pointing at the
    real base overlay. Returns an error, or None."""
    resources = kustomization.get("resources", [])
    if len(resources) != 1 or not resources[0].rstrip("/").endswith(f"overlays/{base_dir.name}"):
        return f"its resources should be the one overlay {base_dir.name}, not {resources}"
    kustomization = dict(kustomization, resources=[os.path.relpath(base_dir, directory)])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return None


def _deployments(objects):
    return [o for o in objects if o["kind"] == "Deployment"]


def _policy_rule(objects, port):
    """The `from` of each ingress rule of the NetworkPolicy that opens `port`."""
    return [rule.get("from") for p in objects if p["kind"] == "NetworkPolicy"
            for rule in p["spec"].get("ingress", [])
            if any(q.get("port") == port for q in rule.get("ports", []))]


def mutual_tls(objects, base_objects):
    return [f"{d['metadata']['name']}: no --tls_client_ca_file" for d in _deployments(objects)
            if "tls_client_ca_file" not in flag_values(container_args(d))]


def metrics_from_one_namespace(objects, base_objects):
    errors = []
    if _policy_rule(objects, "grpc") != _policy_rule(base_objects, "grpc"):
        errors.append("the gRPC rule changed too: the patch hit the wrong rule")
    sources = _policy_rule(objects, "metrics")
    if not (len(sources) == 1 and sources[0] and all(
            peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
            and peer.get("podSelector", {}).get("matchLabels") == PROMETHEUS_LABELS
            for peer in sources[0])):
        errors.append(f"the metrics rule's sources are not Prometheus in a named namespace: {sources}")
    return errors


# What each example of the README must achieve, by its name. Every marked
# block is listed here, and every entry here is in the README.
EXPECTED_EFFECTS = {
    "mutual TLS": mutual_tls,
    "metrics from one namespace": metrics_from_one_namespace,
}
