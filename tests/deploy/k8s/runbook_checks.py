"""Every alert of the PrometheusRule points at its own section of
docs/runbooks.md, and every section there is an alert's.

An alert's runbook_url is "#<anchor>" in prometheusrule.yaml; the monitoring
component puts the one base of components/monitoring/runbooks.yaml before the
"#". `source` checks the files as written, `rendered` what kustomize made of
them.
"""
import re

import yaml

RULE_FILE = "deploy/k8s/components/monitoring/prometheusrule.yaml"
BASE_FILE = "deploy/k8s/components/monitoring/runbooks.yaml"
RUNBOOKS = "docs/runbooks.md"


def heading_anchor(heading):
    """The anchor GitHub (and GitLab) give a Markdown heading: lower case,
    punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def section_anchors(source_root):
    """The anchors of the runbook's sections (its level-2 headings)."""
    text = (source_root / RUNBOOKS).read_text()
    return [heading_anchor(h) for h in re.findall(r"^## (.+)$", text, flags=re.MULTILINE)]


def runbook_base(source_root):
    with open(source_root / BASE_FILE) as base_file:
        return yaml.safe_load(base_file)["data"]["base"]


def alert_urls(rule):
    """{alert: its runbook_url or None} of a PrometheusRule object."""
    return {r["alert"]: r.get("annotations", {}).get("runbook_url")
            for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r}


def _check(urls, base, source_root, where):
    errors = []
    anchors = section_anchors(source_root)
    if len(anchors) != len(set(anchors)):
        errors.append(f"{RUNBOOKS}: two sections have the same anchor: {anchors}")
    used = set()
    for alert, url in urls.items():
        prefix = f"{base}#"
        if not url or not url.startswith(prefix):
            errors.append(f"{where}: {alert}'s runbook_url {url!r} does not start with {prefix!r}")
            continue
        anchor = url.removeprefix(prefix)
        if anchor not in anchors:
            errors.append(f"{where}: {alert}'s runbook_url {url!r}: no section of {RUNBOOKS} has the "
                          f"anchor {anchor!r} (sections: {anchors})")
        used.add(anchor)
    for anchor in anchors:
        if anchor not in used:
            errors.append(f"{RUNBOOKS}: section #{anchor} belongs to no alert of {where}")
    return errors


def source(source_root):
    """Problems of the files as written: each runbook_url is only "#<anchor>"."""
    with open(source_root / RULE_FILE) as rule_file:
        rule = yaml.safe_load(rule_file)
    return _check(alert_urls(rule), "", source_root, RULE_FILE)


def rendered(rule, source_root, where):
    """Problems of a rendered PrometheusRule: each runbook_url is the base of
    runbooks.yaml, "#" and a section's anchor."""
    return _check(alert_urls(rule), runbook_base(source_root), source_root, where)
