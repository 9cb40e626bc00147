#!/usr/bin/python3
"""deploy/grafana/ledger.json as Grafana and an operator would use it.

  structure  the JSON is a dashboard Grafana loads: the datasource, namespace and
             method variables; every panel with a unique id, a gridPos inside 24
             columns and not overlapping another, the $datasource variable, targets
             with an expr filtered by $namespace (and $method for the gRPC metrics),
             rates over $__rate_interval; rows expanded, full width; the panels of
             the PostgreSQL row select only series that --store=postgres exports,
             and say that the embedded store has none.
  queries    every panel's PromQL, with the template variables substituted as
             Grafana would, against a real Prometheus that scraped real
             ledger-servers under load: each returns a series with a finite value,
             and a panel split by mode returns both modes. Two deployments at once,
             each on the store it runs on for real: namespace "test", one server per
             mode as Kubernetes runs them in prod (labels namespace, pod, job as a
             ServiceMonitor sets them), on PostgreSQL (the CTest fixture's cluster,
             LEDGER_TEST_POSTGRES_DSN) with a pool of 2 connections per pod, which
             ledger-load at 16 calls in flight keeps waiting; and namespace "local",
             one server serving both modes on the embedded store as `make run`
             does, scraped with deploy/prometheus/prometheus.yml's own job (1 s
             apart instead of 5 s). Where only the embedded store is selected, the
             PostgreSQL panels return no series at all (no data, not a misleading
             zero); where PostgreSQL is, both modes' operations waited for a
             connection. Then every alert of deploy/k8s's PrometheusRule, without its
             threshold, on the same data: each returns series, both modes where
             it keeps the mode.

Run by CTest; by hand:
  /usr/bin/python3 tests/deploy/dashboard/dashboard_test.py structure \\
      --dashboard deploy/grafana/ledger.json
  /usr/bin/python3 tests/deploy/dashboard/dashboard_test.py queries \\
      --dashboard deploy/grafana/ledger.json --config deploy/prometheus/prometheus.yml \\
      --server build/service/ledger-server --load build/client/load/ledger-load \\
      --proto_root proto --rules deploy/k8s/components/monitoring/prometheusrule.yaml \\
      --postgres_dsn "host=/tmp/ledger-pg-... port=5432 dbname=ledger user=postgres"
  (a PostgreSQL from `make postgres`; the DSN defaults to LEDGER_TEST_POSTGRES_DSN)
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from ledger_server import MODES, LedgerServer, generate_stubs  # noqa: E402
from prometheus_server import Prometheus, generate_load, wait_for  # noqa: E402

DATASOURCE = "${datasource}"
# Grafana's $__rate_interval is max($__interval + scrape interval, 4 x scrape
# interval); with the 1 s scrape below, 10 s stands for what a short time range gives.
RATE_INTERVAL = "10s"
LOAD_SECONDS = 6
# What $namespace and $method become, as Grafana would substitute them: one
# deployment at a time, then All (allValue .*) with one method.
VARIABLE_CASES = (
    {"namespace": "test", "method": ".*"},
    {"namespace": "local", "method": ".*"},
    {"namespace": ".*", "method": "Transfer"},
)
# The store each deployment runs on.
NAMESPACE_STORES = {"test": "postgres", "local": "memory"}
# Its pods' pool, and ledger-load's calls in flight against each: eight times
# the connections, so that operations wait for one.
POSTGRES_POOL_SIZE = 2
POSTGRES_LOAD_CONCURRENCY = 16
# A wait longer than this (a bucket bound of every histogram) was a wait for
# another operation to give a connection back, not the taking of a free one.
WAITED_BOUND = "0.0001"
LABEL_VALUES = re.compile(r"^label_values\((.*),\s*(\w+)\)$")
RANGE = re.compile(r"\[([^\]]*)\]")
SELECTED_METRIC = re.compile(r"\b(grpc_server_\w+|ledger_\w+)(\{[^}]*\})?")

dashboard = None


def targets(board):
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield panel, target


def rows(board):
    return [panel for panel in board["panels"] if panel.get("type") == "row"]


def row_of(board, panel):
    """The title of the row that `panel` sits under, or None above the first."""
    above = [row for row in rows(board) if row["gridPos"]["y"] < panel["gridPos"]["y"]]
    return max(above, key=lambda row: row["gridPos"]["y"])["title"] if above else None


def postgres_only(expr):
    """True if every series expr selects exists only with --store=postgres: the
    pool's, or the store's with store="postgres"."""
    selected = SELECTED_METRIC.findall(expr)
    return bool(selected) and all(
        metric.startswith("ledger_postgres_") or 'store="postgres"' in selector
        for metric, selector in selected)


def substitute(text, variables):
    for name, value in variables.items():
        text = text.replace("${" + name + "}", value).replace("$" + name, value)
    return text


def split_by_mode(target):
    return "{{mode}}" in target.get("legendFormat", "")


class DashboardStructureTest(unittest.TestCase):
    def test_top_level(self):
        self.assertIsInstance(dashboard["schemaVersion"], int)
        self.assertGreaterEqual(dashboard["schemaVersion"], 36)
        for key in ("uid", "title"):
            self.assertTrue(dashboard.get(key), key)
        self.assertTrue(dashboard["panels"])

    def test_variables(self):
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        self.assertEqual(set(variables), {"datasource", "namespace", "method"})
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        for name, label in (("namespace", "namespace"), ("method", "grpc_method")):
            variable = variables[name]
            self.assertEqual(variable["type"], "query", name)
            self.assertEqual(variable["datasource"], {"type": "prometheus", "uid": DATASOURCE})
            match = LABEL_VALUES.match(variable["query"])
            self.assertTrue(match, variable["query"])
            self.assertEqual(match.group(2), label)
            # All matches everything, series without the label included (make monitor's).
            self.assertTrue(variable["includeAll"], name)
            self.assertEqual(variable["allValue"], ".*", name)

    def test_panels(self):
        ids = [panel.get("id") for panel in dashboard["panels"]]
        self.assertTrue(all(isinstance(i, int) for i in ids), ids)
        self.assertEqual(len(ids), len(set(ids)), f"duplicate panel ids: {ids}")
        cells = {}
        for panel in dashboard["panels"]:
            name = f'panel {panel["id"]} ({panel.get("title")})'
            self.assertTrue(panel.get("title"), name)
            grid = panel.get("gridPos", {})
            self.assertEqual(set(grid), {"x", "y", "w", "h"}, name)
            self.assertTrue(all(isinstance(v, int) and v >= 0 for v in grid.values()), name)
            self.assertTrue(grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, name)
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    if (x, y) in cells:
                        self.fail(f"{name} overlaps {cells[(x, y)]} at x={x}, y={y}")
                    cells[(x, y)] = name
            if panel.get("type") == "row":
                # Expanded: a collapsed row keeps its panels inside it, where
                # neither this test nor a reader scrolling past would see them.
                self.assertEqual((grid["x"], grid["w"], grid["h"]), (0, 24, 1), name)
                self.assertIs(panel.get("collapsed"), False, name)
                self.assertEqual(panel.get("panels"), [], name)
                self.assertNotIn("targets", panel, name)
                continue
            self.assertEqual(panel.get("datasource"), {"type": "prometheus", "uid": DATASOURCE},
                             name)
            self.assertTrue(panel.get("targets"), name)
            ref_ids = [t.get("refId") for t in panel["targets"]]
            self.assertEqual(len(ref_ids), len(set(ref_ids)), name)
            for target in panel["targets"]:
                self.assertTrue(target.get("refId"), name)
                self.assertTrue(target.get("expr", "").strip(), name)
                self.assertIn("legendFormat", target, name)
                self.assertEqual(target.get("datasource"),
                                 {"type": "prometheus", "uid": DATASOURCE}, name)
                # The dashboard compares the modes: every line says which it is.
                self.assertTrue(split_by_mode(target), f"{name}: {target['legendFormat']}")

    def test_postgres_row(self):
        # It shows only what --store=postgres exports, so on the embedded store
        # its panels are empty, and each one says so.
        self.assertIn("PostgreSQL", [row["title"] for row in rows(dashboard)])
        panels = [p for p in dashboard["panels"]
                  if p.get("type") != "row" and row_of(dashboard, p) == "PostgreSQL"]
        self.assertTrue(panels)
        for panel in panels:
            for target in panel["targets"]:
                self.assertTrue(postgres_only(target["expr"]),
                                f'{panel["title"]}: {target["expr"]}')
            self.assertIn("embedded store", panel.get("description", ""), panel["title"])

    def test_expressions_use_the_variables(self):
        for panel, target in targets(dashboard):
            expr = target["expr"]
            for window in RANGE.findall(expr):
                self.assertEqual(window, "$__rate_interval", f'{panel["title"]}: {expr}')
            for metric, selector in SELECTED_METRIC.findall(expr):
                self.assertIn('namespace=~"$namespace"', selector, f"{metric} in {expr}")
                if metric.startswith("grpc_server_"):
                    self.assertIn('grpc_method=~"$method"', selector, f"{metric} in {expr}")
                    self.assertIn('grpc_service="ledger.v1.Ledger"', selector, expr)


class SingleModeServer(LedgerServer):
    """ledger-server serving one mode, as each Kubernetes Deployment runs it (the
    last --mode on the command line wins)."""

    def __init__(self, binary, mode, extra_flags=()):
        self.mode = mode
        super().__init__(binary, extra_flags=[*extra_flags, f"--mode={mode}"])

    def _started(self):
        return self.mode in self.ports and self.metrics_port is not None


def scrape_config(local_config, local_target, pods):
    """deploy/prometheus/prometheus.yml scraping local_target every second, plus
    a job per Kubernetes-like pod ({mode: metrics target}) labelled as a
    ServiceMonitor labels it."""
    import yaml
    with open(local_config) as config_file:
        config = yaml.safe_load(config_file)
    config["global"].update(scrape_interval="1s", scrape_timeout="1s")
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "ledger"]
    (static,) = job["static_configs"]
    assert static["targets"] == ["localhost:9464"], static
    assert static["labels"]["namespace"] == "local", static
    static["targets"] = [local_target]
    for mode, target in pods.items():
        config["scrape_configs"].append({
            "job_name": f"ledger-{mode}",  # A ServiceMonitor's job is the Service's name.
            "static_configs": [{"targets": [target], "labels": {
                "namespace": "test", "pod": f"ledger-{mode}-6d4f8b7c9-x2x7q",
                "service": f"ledger-{mode}", "container": "ledger-server"}}],
        })
    return yaml.safe_dump(config, sort_keys=False)


def start_ledger_load(binary, target, seconds):
    """ledger-load against target for `seconds`, at POSTGRES_LOAD_CONCURRENCY calls
    in flight, in the background: its whole mix, ListTransfers and TransferStream
    included, on accounts of its own."""
    return subprocess.Popen(
        [binary, f"--target={target}", f"--concurrency={POSTGRES_LOAD_CONCURRENCY}",
         "--connections=2", "--accounts=20", "--warmup=0s", f"--duration={seconds}s"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


class DashboardQueriesTest(unittest.TestCase):
    prometheus = None
    load_targets = None
    load_binary = None
    postgres_targets = None  # gRPC targets of the servers on PostgreSQL

    @classmethod
    def setUpClass(cls):
        up = wait_for(lambda: len(cls.prometheus.query('up{job=~"ledger.*"} == 1')) == 3, 10,
                      "Prometheus's first scrape of all three ledger-servers")
        assert up, cls.prometheus.target_errors()
        pool_loads = {target: start_ledger_load(cls.load_binary, target, LOAD_SECONDS)
                      for target in cls.postgres_targets}
        calls, errors = generate_load(cls.load_targets, LOAD_SECONDS, threads_per_target=2,
                                      not_found_every=5)
        for target, load in pool_loads.items():
            output, _ = load.communicate(timeout=LOAD_SECONDS + 60)
            sys.stderr.write("".join(f"[ledger-load {target}] {line}\n"
                                     for line in output.splitlines()))
            if load.returncode != 0:
                errors.append(f"ledger-load against {target} exited with {load.returncode}")
        load_ended = time.time()
        assert errors == [], errors
        assert all(calls[mode] > 0 for mode in MODES), calls
        cls.prometheus.wait_for_scrape_after(load_ended, '{job=~"ledger.*"}')

    def test_variables_list_values(self):
        expected = {"namespace": {"test", "local"}, "method": {"Transfer", "GetAccount"}}
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            metric, label = LABEL_VALUES.match(variable["query"]).groups()
            promql = substitute(f"count by ({label}) ({metric})",
                                {"namespace": ".*", "method": ".*"})
            values = {s["metric"].get(label) for s in self.prometheus.query(promql)}
            self.assertLessEqual(expected[variable["name"]], values, promql)

    def test_every_panel_returns_series(self):
        checked = 0
        for variables in VARIABLE_CASES:
            on_postgres = any(re.fullmatch(variables["namespace"], namespace)
                              for namespace, store in NAMESPACE_STORES.items()
                              if store == "postgres")
            for panel, target in targets(dashboard):
                with self.subTest(panel=panel["title"], ref=target["refId"], **variables):
                    promql = substitute(target["expr"],
                                        {"__rate_interval": RATE_INTERVAL, **variables})
                    self.assertNotIn("$", promql)
                    result = self.prometheus.query(promql)
                    if postgres_only(target["expr"]) and not on_postgres:
                        self.assertEqual(result, [], f"the embedded store has data: {promql}")
                        checked += 1
                        continue
                    self.assertTrue(result, f"no series: {promql}")
                    finite = [s for s in result if math.isfinite(float(s["value"][1]))]
                    self.assertTrue(finite, f"no finite value: {promql}\n{result}")
                    if split_by_mode(target):
                        modes = {s["metric"].get("mode") for s in finite}
                        self.assertEqual(modes, set(MODES),
                                         f"modes with a finite value: {promql}\n{result}")
                    checked += 1
        print(f"{checked} queries checked", file=sys.stderr)

    def test_postgres_operations_waited_for_a_connection(self):
        # The load kept every pool busy, so the pool wait panels show waits,
        # not only the taking of a free connection.
        selector = '{namespace="test"}'
        waited = self.prometheus.query(
            f"sum by (mode) (ledger_postgres_pool_wait_seconds_count{selector}) - "
            f'sum by (mode) (ledger_postgres_pool_wait_seconds_bucket{{namespace="test", '
            f'le="{WAITED_BOUND}"}})')
        self.assertEqual({s["metric"]["mode"] for s in waited if float(s["value"][1]) > 0},
                         set(MODES), waited)


def alert_rules(path):
    """The alerting rules of the PrometheusRule at `path`: (name, expr) pairs."""
    import yaml
    with open(path) as rule_file:
        rule = yaml.safe_load(rule_file)
    return [(r["alert"], r["expr"]) for group in rule["spec"]["groups"]
            for r in group["rules"] if "alert" in r]


# An alert's condition ends in a comparison with its threshold; what it
# compares is what must have data.
THRESHOLD = re.compile(r"\s*(>|<|>=|<=|==|!=)\s*[0-9.*\s]+$")


class AlertQueriesTest(unittest.TestCase):
    """Every alert's expression, without its threshold, returns series from
    the servers under load; those kept by mode return both modes."""
    rules = None

    def test_every_alert_measures_something(self):
        checked = 0
        for name, expr in self.rules:
            with self.subTest(alert=name):
                measured = THRESHOLD.sub("", expr.strip())
                self.assertNotEqual(measured, expr.strip(), f"{name}: no threshold found")
                result = DashboardQueriesTest.prometheus.query(measured)
                self.assertTrue(result, f"no series: {measured}")
                if "mode" in measured:
                    modes = {series["metric"].get("mode") for series in result}
                    self.assertEqual(modes, set(MODES), f"{name}: {measured}\n{result}")
                checked += 1
        self.assertEqual(checked, len(self.rules))


def run(test_case):
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(test_case)
    return unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=("structure", "queries"))
    parser.add_argument("--dashboard", required=True, help="deploy/grafana/ledger.json")
    parser.add_argument("--config", help="deploy/prometheus/prometheus.yml (queries)")
    parser.add_argument("--server", help="path of ledger-server (queries)")
    parser.add_argument("--load", help="path of ledger-load (queries)")
    parser.add_argument("--postgres_dsn", default=os.environ.get("LEDGER_TEST_POSTGRES_DSN"),
                        help="libpq DSN of an empty or ledger PostgreSQL (queries); default: "
                             "LEDGER_TEST_POSTGRES_DSN")
    parser.add_argument("--proto_root", help="the repository's proto/ folder (queries)")
    parser.add_argument("--rules", help="the PrometheusRule of deploy/k8s (queries)")
    parser.add_argument("--prometheus", default="/usr/bin/prometheus", help="path of prometheus")
    args = parser.parse_args()
    global dashboard
    with open(args.dashboard) as board:
        dashboard = json.load(board)
    if args.check == "structure":
        return 0 if run(DashboardStructureTest) else 1
    if not (args.config and args.server and args.load and args.proto_root and args.rules
            and args.postgres_dsn):
        parser.error("queries needs --config, --server, --load, --proto_root, --rules and "
                     "--postgres_dsn (or LEDGER_TEST_POSTGRES_DSN)")

    with tempfile.TemporaryDirectory(prefix="ledger-dashboard-test-") as work_dir:
        stubs = os.path.join(work_dir, "stubs")
        os.mkdir(stubs)
        generate_stubs(args.proto_root, stubs)
        servers, passed = [], False
        try:
            both = LedgerServer(args.server)
            servers.append(both)
            pods = {}
            for mode in MODES:
                servers.append(SingleModeServer(
                    args.server, mode,
                    ["--store=postgres", f"--postgres_dsn={args.postgres_dsn}",
                     f"--postgres_pool_size={POSTGRES_POOL_SIZE}"]))
                pods[mode] = servers[-1]
            config = scrape_config(args.config, f"127.0.0.1:{both.metrics_port}",
                                   {mode: f"127.0.0.1:{pod.metrics_port}"
                                    for mode, pod in pods.items()})
            prometheus = Prometheus(args.prometheus, config, work_dir)
            try:
                DashboardQueriesTest.prometheus = prometheus
                DashboardQueriesTest.load_targets = {
                    **{f"127.0.0.1:{both.ports[mode]}": mode for mode in MODES},
                    **{f"127.0.0.1:{pod.ports[mode]}": mode for mode, pod in pods.items()}}
                DashboardQueriesTest.load_binary = args.load
                DashboardQueriesTest.postgres_targets = [
                    f"127.0.0.1:{pod.ports[mode]}" for mode, pod in pods.items()]
                AlertQueriesTest.rules = alert_rules(args.rules)
                # The alerts are checked on the data the dashboard's load made.
                passed = run(DashboardQueriesTest) and run(AlertQueriesTest)
            finally:
                prometheus.stop()
                if not passed:
                    prometheus.print_log()
        finally:
            stopped_cleanly = all([server.stop() for server in servers])
    return 0 if passed and stopped_cleanly else 1


if __name__ == "__main__":
    sys.exit(main())
