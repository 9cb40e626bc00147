"""What a rendered overlay must say about PostgreSQL that no schema can.

For every ledger Deployment on --store=postgres: the DSN comes from the
Secret ledger-postgres (key dsn), required, never from an argument; the pool
size and connect timeout are explicit, the startupProbe outlasts the connect
timeout, liveness does not follow the database, and at full scale the pools
fit the database's max_connections.

For the development database (components/postgres), when the overlay has one:
a single postgres:15 StatefulSet with a volumeClaimTemplate holding PGDATA,
pg_isready exec probes over TCP as the Secret's role and database, a fast
shutdown, resources and a locked-down security context, a headless Service;
and the ledger's dsn names that Service, the port PostgreSQL listens on, and
the role, password and database the container was created with.
"""
import re
import shlex
from urllib.parse import unquote, urlsplit

from manifest_values import (flag_values, matches, parse_duration, probe_budget, secret_ref,
                             secret_values, surge)

DSN_SECRET = "ledger-postgres"
DSN_KEY = "dsn"
DATABASE_IMAGE = "postgres:15"  # the official image, development only (deploy/k8s/README.md)
# PostgreSQL's defaults (also CloudNativePG's): max_connections, of which
# superuser_reserved_connections are kept for superusers. The budget for a
# database outside the overlay (prod's) assumes them; README says so.
DEFAULT_MAX_CONNECTIONS = 100
RESERVED_CONNECTIONS = 3
DEFAULT_PORT = 5432
DEFAULT_PGDATA = "/var/lib/postgresql/data"
# Seconds a starting server needs besides connecting: the startupProbe must
# last this much longer than --postgres_connect_timeout.
STARTUP_MARGIN = 10
TCP_HOSTS = ("127.0.0.1", "localhost", "::1")


def generated_from(name, base):
    """A name kustomize's secretGenerator made from `base` (hash suffix)."""
    return re.fullmatch(rf"{re.escape(base)}-[a-z0-9]{{10}}", name) is not None


def command_options(command):
    """pg_isready/pg_ctl options, long (--host=x) or short (-h x), by long name."""
    long_names = {"-h": "host", "-p": "port", "-U": "username", "-d": "dbname", "-D": "pgdata",
                  "-m": "mode"}
    options, words = {}, list(command[1:])
    while words:
        word = words.pop(0)
        if word.startswith("--") and "=" in word:
            key, value = word[2:].split("=", 1)
            options[key] = value
        elif word in long_names and words:
            options[long_names[word]] = words.pop(0)
        else:
            options.setdefault("", []).append(word)
    return options


def server_settings(container):
    """Settings on the postgres command line: -c name=value (one word or
    two) and --name=value."""
    words = container.get("command", []) + container.get("args", [])
    words = [f"-c{w}" if previous == "-c" else w for previous, w in zip([None] + words, words)]
    return {m.group(1): m.group(2) for w in words
            for m in [re.fullmatch(r"(?:-c\s*|--)([a-z_]+)=(.*)", w)] if m}


class PostgresChecks:
    def __init__(self, check, objects, dsn_env):
        """dsn_env: the env var the server reads the DSN from (its header's
        kPostgresDsnVariable)."""
        self.check = check
        self.objects = objects
        self.dsn_env = dsn_env
        self.secrets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    # --- the ledger's side -------------------------------------------------

    def ledger(self, d):
        """A ledger Deployment that runs --store=postgres."""
        check = self.check
        name = d["metadata"]["name"]
        c = d["spec"]["template"]["spec"]["containers"][0]
        values = flag_values(c.get("args", []))
        check("postgres_dsn" not in values,
              f"{name}: no --postgres_dsn argument (the DSN holds the password, which the pod's "
              f"spec would show); the server reads {self.dsn_env} instead")
        ref = secret_ref(c, self.dsn_env)
        if check(ref is not None, f"{name}: {self.dsn_env} from a Secret (secretKeyRef)"):
            secret = ref.get("name", "")
            check(secret == DSN_SECRET or (generated_from(secret, DSN_SECRET) and secret in self.secrets),
                  f"{name}: {self.dsn_env} from Secret {DSN_SECRET} (or the one the overlay generates "
                  f"under that name), not {secret!r}")
            check(ref.get("key") == DSN_KEY, f"{name}: {self.dsn_env} from the Secret's key {DSN_KEY}")
            check(ref.get("optional") is not True,
                  f"{name}: the DSN Secret is required, not optional: a pod without it must not "
                  "start at all")
            if secret in self.secrets:
                check(DSN_KEY in secret_values(self.secrets[secret]),
                      f"{name}: the rendered Secret {secret} has the key {DSN_KEY}")
        liveness = c.get("livenessProbe", {})
        check(liveness and "grpc" not in liveness,
              f"{name}: the livenessProbe does not ask gRPC health, which turns NOT_SERVING while "
              "the database is unreachable: it would restart every pod during a database outage")
        if liveness.get("tcpSocket"):
            port = liveness["tcpSocket"]["port"]
            declared = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            check(declared.get(port, port) == declared.get("grpc"),
                  f"{name}: the livenessProbe connects to the gRPC port")
        for flag in ("postgres_pool_size", "postgres_connect_timeout"):
            check(flag in values, f"{name}: --{flag} passed explicitly (the connection budget and "
                  "the startupProbe are checked against it)")
        if "postgres_pool_size" in values:
            check(values["postgres_pool_size"].isdigit() and int(values["postgres_pool_size"]) >= 1,
                  f"{name}: --postgres_pool_size is a positive number")
        if "postgres_connect_timeout" in values:
            try:
                timeout = parse_duration(values["postgres_connect_timeout"])
            except ValueError as error:
                check(False, f"{name}: --postgres_connect_timeout: {error}")
                return
            check(timeout > 0, f"{name}: --postgres_connect_timeout is positive")
            startup = c.get("startupProbe")
            if check(startup is not None, f"{name}: a startupProbe"):
                budget = probe_budget(startup)
                check(budget >= timeout + STARTUP_MARGIN,
                      f"{name}: the startupProbe ({budget}s) outlasts --postgres_connect_timeout "
                      f"({timeout:g}s) by {STARTUP_MARGIN}s, so the server gives up with its own "
                      "message (and exits non-zero) before the kubelet would kill it")

    def one_ledger(self, deployments):
        """Both modes read the same DSN: one ledger, not two."""
        refs = {(ref.get("name"), ref.get("key")) for d in deployments
                for ref in [secret_ref(d["spec"]["template"]["spec"]["containers"][0], self.dsn_env) or {}]}
        self.check(len(refs) <= 1,
                   f"every Deployment on PostgreSQL reads the same Secret and key: one ledger (got {sorted(refs)})")

    def connection_budget(self, deployments, hpas):
        """At full scale (the HPA's maxReplicas, or replicas, plus a rolling
        update's surge) the pools fit within max_connections."""
        total, parts = 0, []
        for d in deployments:
            pool = flag_values(d["spec"]["template"]["spec"]["containers"][0].get("args", [])) \
                .get("postgres_pool_size", "")
            if not pool.isdigit():
                return  # reported by ledger()
            name = d["metadata"]["name"]
            most = hpas[name]["spec"]["maxReplicas"] if name in hpas else d["spec"].get("replicas", 1)
            pods = most + surge(d, most)
            total += pods * int(pool)
            parts.append(f"{name}: {pods} pods x {pool}")
        databases = self.database_statefulsets()
        most = DEFAULT_MAX_CONNECTIONS
        if len(databases) == 1:
            most = int(server_settings(databases[0]["spec"]["template"]["spec"]["containers"][0])
                       .get("max_connections", DEFAULT_MAX_CONNECTIONS))
        allowed = most - RESERVED_CONNECTIONS
        self.check(total <= allowed,
                   f"at full scale the ledger opens {total} connections ({'; '.join(parts)}); "
                   f"PostgreSQL with max_connections={most} allows {allowed} to non-superusers")

    # --- the development database --------------------------------------------

    def database_statefulsets(self):
        """The StatefulSets that run the postgres image."""
        return [s for s in self.of_kind("StatefulSet")
                if any(c.get("image", "").rsplit("/", 1)[-1].split(":")[0] == "postgres"
                       for c in s["spec"]["template"]["spec"]["containers"])]

    def database(self, ledger_deployments):
        """The PostgreSQL an overlay runs itself, if any, and the ledger's DSN to it."""
        check = self.check
        statefulsets = self.database_statefulsets()
        if not statefulsets:
            return
        if not check(len(statefulsets) == 1, "at most one PostgreSQL StatefulSet"):
            return
        sts = statefulsets[0]
        name = f"StatefulSet {sts['metadata']['name']}"
        pod = sts["spec"]["template"]["spec"]
        pod_labels = sts["spec"]["template"]["metadata"].get("labels", {})
        check(matches(sts["spec"]["selector"]["matchLabels"], pod_labels),
              f"{name}: selector matches the pod template's labels")
        check(sts["spec"].get("replicas", 1) == 1,
              f"{name}: one replica (a second pod would be a second, separate database)")
        containers = pod["containers"]
        if not check(len(containers) == 1, f"{name}: one container"):
            return
        c = containers[0]
        check(c.get("image") == DATABASE_IMAGE, f"{name}: image {DATABASE_IMAGE} (got {c.get('image')!r})")
        env = {e["name"]: e for e in c.get("env", [])}
        settings = server_settings(c)
        listen_port = int(settings.get("port", DEFAULT_PORT))
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        check(ports.get("postgresql") == listen_port,
              f"{name}: container port named postgresql is {listen_port}, where PostgreSQL listens")

        # The role, password and database the container creates, from the Secret.
        created = {}
        secret_names = set()
        for var, key_meaning in (("POSTGRES_USER", "role"), ("POSTGRES_PASSWORD", "password"),
                                 ("POSTGRES_DB", "database")):
            ref = env.get(var, {}).get("valueFrom", {}).get("secretKeyRef")
            if not check(ref is not None, f"{name}: {var} from a Secret"):
                continue
            secret_names.add(ref["name"])
            secret = self.secrets.get(ref["name"])
            if check(secret is not None and ref["key"] in secret_values(secret),
                     f"{name}: {var} from Secret {ref['name']} key {ref['key']}, rendered in the overlay"):
                created[key_meaning] = secret_values(secret)[ref["key"]]
        check(len(secret_names) <= 1, f"{name}: the role, password and database come from one Secret")
        if "role" in created:
            created.setdefault("database", created["role"])  # the image's default for POSTGRES_DB

        # The data on the claim, below its mount.
        pgdata = env.get("PGDATA", {}).get("value", DEFAULT_PGDATA)
        claims = {t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates", [])}
        if check(claims, f"{name}: a volumeClaimTemplate, so the data outlives the pod"):
            for t in sts["spec"]["volumeClaimTemplates"]:
                check("storage" in t["spec"].get("resources", {}).get("requests", {}),
                      f"{name}: volumeClaimTemplate {t['metadata']['name']} requests storage")
            mounts = [m["mountPath"].rstrip("/") for m in c.get("volumeMounts", []) if m["name"] in claims]
            check(any(pgdata.startswith(m + "/") for m in mounts),
                  f"{name}: PGDATA {pgdata} is a directory below the claim's mount {mounts} (on the "
                  "PersistentVolume, and not its root, which initdb refuses when it holds lost+found)")

        # Probes: pg_isready over TCP as the created role and database.
        check("readinessProbe" in c, f"{name}: a readinessProbe")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe not in c:
                continue
            command = c[probe].get("exec", {}).get("command", [])
            if not check(command and command[0].rsplit("/", 1)[-1] == "pg_isready",
                         f"{name}: {probe} is an exec of pg_isready (got {command})"):
                continue
            options = command_options(command)
            check(options.get("host") in TCP_HOSTS,
                  f"{name}: {probe} checks over TCP (--host=127.0.0.1), not the Unix socket the "
                  "first start's temporary server listens on")
            check(int(options.get("port", DEFAULT_PORT)) == listen_port,
                  f"{name}: {probe} on port {listen_port}")
            for option, meaning in (("username", "role"), ("dbname", "database")):
                if meaning in created:
                    check(options.get(option) == created[meaning],
                          f"{name}: {probe} --{option} is the Secret's {meaning} {created[meaning]!r} "
                          f"(got {options.get(option)!r})")
            check(c[probe].get("timeoutSeconds", 1) >= 3,
                  f"{name}: {probe} timeoutSeconds >= 3 (pg_isready's own connect timeout)")

        # SIGTERM is a smart shutdown, which waits for the ledger's pooled sessions forever.
        stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        stop_options = command_options(stop) if stop else {}
        check(stop and stop[0].rsplit("/", 1)[-1] == "pg_ctl" and "stop" in stop_options.get("", [])
              and stop_options.get("mode") in ("fast", "f") and stop_options.get("pgdata") == pgdata,
              f"{name}: preStop runs `pg_ctl stop --pgdata={pgdata} --mode=fast` (got {shlex.join(stop)})")

        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                check(resource in c.get("resources", {}).get(kind, {}),
                      f"{name}: resources.{kind}.{resource} set")
        pod_sc, sc = pod.get("securityContext", {}), c.get("securityContext", {})

        def effective(key):
            return sc.get(key, pod_sc.get(key))
        check(effective("runAsNonRoot") is True, f"{name}: runAsNonRoot")
        check(isinstance(effective("runAsUser"), int) and effective("runAsUser") > 0,
              f"{name}: runAsUser non-zero")
        check(sc.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation false")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: capabilities drop ALL")
        check((effective("seccompProfile") or {}).get("type") == "RuntimeDefault",
              f"{name}: seccompProfile RuntimeDefault")
        if sc.get("readOnlyRootFilesystem"):
            mounted = {m["mountPath"].rstrip("/") for m in c.get("volumeMounts", [])}
            check("/var/run/postgresql" in mounted,
                  f"{name}: with a read-only root, a volume at /var/run/postgresql for the socket")

        # The Service: headless, governing the StatefulSet, selecting its pod only.
        services = {s["metadata"]["name"]: s for s in self.of_kind("Service")}
        service = services.get(sts["spec"].get("serviceName"))
        if not check(service is not None,
                     f"{name}: serviceName {sts['spec'].get('serviceName')!r} is a rendered Service"):
            return
        sname = f"Service {service['metadata']['name']}"
        check(service["spec"].get("clusterIP") == "None",
              f"{sname}: headless (clusterIP: None), as a StatefulSet's governing Service")
        check(service["spec"].get("selector") and matches(service["spec"]["selector"], pod_labels),
              f"{sname}: selects the database's pod")
        for other in services.values():
            selector = other["spec"].get("selector")
            if other is not service:
                check(not (selector and matches(selector, pod_labels)),
                      f"Service {other['metadata']['name']} does not select the database's pod")
        for d in ledger_deployments:
            check(not matches(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"]),
                  f"{sname} does not select the pods of {d['metadata']['name']}")

        # The ledger's DSN points at all of the above.
        for d in ledger_deployments:
            ref = secret_ref(d["spec"]["template"]["spec"]["containers"][0], self.dsn_env) or {}
            self.check(ref.get("name") in secret_names,
                       f"{d['metadata']['name']}: {self.dsn_env} from the Secret the database is created "
                       f"from ({sorted(secret_names)}), got {ref.get('name')!r}")
        dsns = {ref_name: secret_values(self.secrets[ref_name]).get(DSN_KEY)
                for ref_name in secret_names if ref_name in self.secrets}
        for secret_name, dsn in dsns.items():
            self.dsn_matches(f"Secret {secret_name} key {DSN_KEY}", dsn, service, listen_port, created)

    def dsn_matches(self, what, dsn, service, listen_port, created):
        check = self.check
        if not check(dsn, f"{what}: present"):
            return
        url = urlsplit(dsn)
        if not check(url.scheme in ("postgresql", "postgres"), f"{what}: a postgresql:// URI"):
            return
        svc, namespace = service["metadata"]["name"], service["metadata"].get("namespace", "default")
        hosts = {svc, f"{svc}.{namespace}", f"{svc}.{namespace}.svc", f"{svc}.{namespace}.svc.cluster.local"}
        check(url.hostname in hosts, f"{what}: host {url.hostname!r} is the Service {svc} ({sorted(hosts)})")
        # A headless Service's name resolves to the pod: the DSN's port is the
        # one PostgreSQL listens on. Through a ClusterIP, the Service's port
        # that leads there.
        if service["spec"].get("clusterIP") == "None":
            wanted = {listen_port}
        else:
            wanted = {p["port"] for p in service["spec"]["ports"]
                      if p.get("targetPort") in ("postgresql", listen_port)}
        check((url.port or DEFAULT_PORT) in wanted,
              f"{what}: port {url.port or DEFAULT_PORT} reaches PostgreSQL through {svc} ({sorted(wanted)})")
        service_ports = {p["port"] for p in service["spec"].get("ports", [])}
        check(listen_port in service_ports or service["spec"].get("clusterIP") != "None",
              f"Service {svc}: declares port {listen_port}")
        for part, meaning in ((url.username, "role"), (url.password, "password"),
                              (url.path.lstrip("/"), "database")):
            if meaning in created:
                shown = "" if meaning == "password" else f" {created[meaning]!r}"
                check(unquote(part or "") == created[meaning],
                      f"{what}: the {meaning} is the one PostgreSQL is created with{shown} "
                      "(the Secret's keys behind POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB)")
        check("sslmode=" in (url.query or ""), f"{what}: says its sslmode")
