"""What a rendered overlay must say about the release it runs and who its pods
are, which no schema can:

- every object carries app.kubernetes.io/instance, app.kubernetes.io/version
  and app.kubernetes.io/managed-by: the objects of one application (the
  ledger's, or the development PostgreSQL's) one instance, the version the tag
  of the image that application's pods run, managed by kustomize;
- the ledger image's tag is the project's version (CMakeLists.txt), never
  latest, pulled only if the node lacks it;
- both Deployments run as the ServiceAccount of their own, which mounts no
  token (the server never calls the Kubernetes API), and spread their pods
  over zones and nodes.
"""
RECOMMENDED = ("app.kubernetes.io/instance", "app.kubernetes.io/version",
               "app.kubernetes.io/managed-by")
MANAGED_BY = "kustomize"
NAME = "app.kubernetes.io/name"
LEDGER = "ledger"  # the app.kubernetes.io/name of the ledger's own objects
SPREAD_KEYS = ("topology.kubernetes.io/zone", "kubernetes.io/hostname")


def image_tag(image):
    """The tag of an image reference (registry:port/name:tag), or None."""
    last = image.rsplit("/", 1)[-1].split("@")[0]
    return last.split(":", 1)[1] if ":" in last else None


class ReleaseChecks:
    def __init__(self, check, objects, version):
        self.check = check
        self.objects = objects
        self.version = version

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def run(self, deployments):
        for d in deployments:
            self.image(d)
            self.identity(d)
            self.spread(d)
        self.labels()

    def image(self, d):
        name = d["metadata"]["name"]
        c = d["spec"]["template"]["spec"]["containers"][0]
        tag = image_tag(c.get("image", ""))
        self.check(tag == self.version,
                   f"{name}: image {c.get('image')!r} is tagged with the project's version "
                   f"{self.version} (CMakeLists.txt), set in components/release")
        self.check(tag != "latest", f"{name}: image tag is not latest")
        self.check(c.get("imagePullPolicy") == "IfNotPresent",
                   f"{name}: imagePullPolicy IfNotPresent (got {c.get('imagePullPolicy')!r})")

    def identity(self, d):
        name = d["metadata"]["name"]
        pod = d["spec"]["template"]["spec"]
        account_name = pod.get("serviceAccountName", "default")
        accounts = [a for a in self.of_kind("ServiceAccount") if a["metadata"]["name"] == account_name
                    and a["metadata"].get("namespace") == d["metadata"].get("namespace")]
        if self.check(account_name != "default" and len(accounts) == 1,
                      f"{name}: runs as a ServiceAccount of its own, rendered in its namespace "
                      f"(got {account_name!r})"):
            self.check(accounts[0].get("automountServiceAccountToken") is False,
                       f"ServiceAccount {account_name}: automountServiceAccountToken: false")
        # The pod's field wins over the ServiceAccount's: false in both.
        self.check(pod.get("automountServiceAccountToken") is False,
                   f"{name}: the pod mounts no ServiceAccount token")

    def spread(self, d):
        name = d["metadata"]["name"]
        pod_labels = d["spec"]["template"]["metadata"]["labels"]
        selector = d["spec"]["selector"]["matchLabels"]
        constraints = {c.get("topologyKey"): c
                       for c in d["spec"]["template"]["spec"].get("topologySpreadConstraints", [])}
        for key in SPREAD_KEYS:
            c = constraints.get(key)
            if not self.check(c is not None, f"{name}: a topologySpreadConstraint over {key}"):
                continue
            matched = c.get("labelSelector", {}).get("matchLabels", {})
            self.check(matched == selector and all(pod_labels.get(k) == v for k, v in matched.items()),
                       f"{name}: the spread over {key} counts this Deployment's pods "
                       f"(its selector {selector}), got {matched}")
            self.check(c.get("maxSkew") == 1, f"{name}: maxSkew 1 over {key}")
        zone = constraints.get(SPREAD_KEYS[0])
        if zone:
            self.check(zone.get("whenUnsatisfiable") == "ScheduleAnyway",
                       f"{name}: the zone spread is ScheduleAnyway (a one-zone cluster still runs the pods)")

    def labels(self):
        """The three labels on every object (and on the pods of every
        workload); per application one instance and the tag of its image."""
        versions, instances = {}, {}
        for w in self.objects:
            template = w.get("spec", {}).get("template", {})
            for c in template.get("spec", {}).get("containers", []):
                app = w["metadata"].get("labels", {}).get(NAME, LEDGER)
                versions.setdefault(app, set()).add(image_tag(c.get("image", "")))
                instances.setdefault(app, set()).add(template["metadata"]["labels"].get(RECOMMENDED[0]))
        self.check(versions.get(LEDGER) == {self.version},
                   f"the ledger's pods run the image tag {self.version} only (got {versions.get(LEDGER)})")
        for o in self.objects:
            where = f"{o['kind']} {o['metadata']['name']}"
            targets = [(where, o["metadata"].get("labels", {}))]
            if "template" in o.get("spec", {}):
                targets.append((f"{where}'s pod template", o["spec"]["template"]["metadata"].get("labels", {})))
            app = o["metadata"].get("labels", {}).get(NAME, LEDGER)
            for what, labels in targets:
                missing = [k for k in RECOMMENDED if k not in labels]
                if not self.check(not missing, f"{what}: labels {missing} missing"):
                    continue
                self.check(labels["app.kubernetes.io/managed-by"] == MANAGED_BY,
                           f"{what}: app.kubernetes.io/managed-by is {MANAGED_BY}")
                self.check(isinstance(labels["app.kubernetes.io/version"], str)
                           and {labels["app.kubernetes.io/version"]} == versions.get(app),
                           f"{what}: app.kubernetes.io/version {labels['app.kubernetes.io/version']!r} "
                           f"is the tag of the {app} image ({versions.get(app)})")
                self.check(len(instances.get(app, ())) == 1 and {labels[RECOMMENDED[0]]} == instances[app],
                           f"{what}: app.kubernetes.io/instance {labels[RECOMMENDED[0]]!r} is the one "
                           f"instance of {app} ({instances.get(app)})")
