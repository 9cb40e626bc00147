#!/usr/bin/python3
"""deploy/grafana/ledger.json as Grafana and an operator would use it.

  structure  the JSON is a dashboard Grafana loads: the datasource, namespace, job,
             instance (pod) and method variables, each chained to those before it,
             and the hidden constant $server_codes; every panel with a unique id, a
             gridPos inside 24 columns and not overlapping another, the $datasource
             variable, targets with an expr filtered by $namespace, $job and
             $instance (and $method for the gRPC metrics), rates over
             $__rate_interval; rows expanded, full width; a Summary row of stat
             panels on top (calls/s, server-error ratio, p99); latency of unary
             calls only, except in the Streams row (messages both ways, stream
             durations), which shows only streams; error codes split into
             $server_codes and the rest, $server_codes being exactly the codes of
             the LedgerErrorRatioHigh alert and each a grpc_code the server
             exports (contract/metric_names.h); the panels of the PostgreSQL row
             select only series that --store=postgres exports, and say that the
             embedded store has none.
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
             apart instead of 5 s), under ledger-load's streaming calls
             (ListTransfers, TransferStream) besides the unary ones. Every
             deployment also gets calls the caller causes to fail (NotFound, and
             FailedPrecondition for a transfer without money): on the embedded
             store, which never fails on its own, the server-error ratio (panels
             and alert) is exactly 0 in both modes while the client-caused codes
             panel shows both codes. Variables are set as Grafana would set them:
             one namespace, a multi-value method, one job, one pod (instance);
             a panel split by mode then has a value for each mode selected, and
             nothing but 0 for the others. Where only
             the embedded store is selected, the
             PostgreSQL panels return no series at all (no data, not a misleading
             zero); where PostgreSQL is, both modes' operations waited for a
             connection. Then every alert of deploy/k8s's PrometheusRule, without its
             threshold, on the same data: each returns series, both modes where
             it keeps the mode.

Run by CTest; by hand:
  /usr/bin/python3 tests/deploy/dashboard/dashboard_test.py structure \\
      --dashboard deploy/grafana/ledger.json \\
      --rules deploy/k8s/components/monitoring/prometheusrule.yaml \\
      --metric_names contract/metric_names.h
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
# The query variables, in the order each narrows the next; All is .* (allValue).
QUERY_VARIABLES = {"namespace": "namespace", "job": "job", "instance": "instance",
                   "method": "grpc_method"}
SCOPE_VARIABLES = ("namespace", "job", "instance")  # every metric of the dashboard has them
ALL = {name: ".*" for name in QUERY_VARIABLES}


def variable_cases(pod_instances):
    """What the variables become, as Grafana would substitute them, and the modes
    a panel split by mode must then show: one deployment at a time; two methods
    picked (a multi-value selection: one unary, one streaming, so that every
    panel has one of its kind); one mode's job; one pod, by its instance
    (pod_instances: {mode: instance of the Kubernetes-like pod})."""
    return (
        ({**ALL, "namespace": "test"}, MODES),
        ({**ALL, "namespace": "local"}, MODES),
        ({**ALL, "method": "(Transfer|TransferStream)"}, MODES),
        ({**ALL, "job": "ledger-thread"}, ("thread",)),
        ({**ALL, "instance": pod_instances["coroutine"]}, ("coroutine",)),
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
SERVER_CODES = 'grpc_code=~"$server_codes"'
CLIENT_CODES = 'grpc_code!~"OK|$server_codes"'
# Calls ledger-load keeps in flight against each mode of the embedded-store
# server, streams only (generate_load makes the unary calls there).
STREAM_LOAD_CONCURRENCY = 2

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
    """text with the variables replaced, the dashboard's constants included."""
    constants = {v["name"]: v["query"] for v in dashboard["templating"]["list"]
                 if v["type"] == "constant"}
    for name, value in sorted({**constants, **variables}.items(),
                              key=lambda item: -len(item[0])):
        text = text.replace("${" + name + "}", value).replace("$" + name, value)
    return text


def split_by_mode(target):
    return "{{mode}}" in target.get("legendFormat", "")


class DashboardStructureTest(unittest.TestCase):
    rules = None  # the PrometheusRule's path
    metric_names = None  # contract/metric_names.h
    def test_top_level(self):
        self.assertIsInstance(dashboard["schemaVersion"], int)
        self.assertGreaterEqual(dashboard["schemaVersion"], 36)
        for key in ("uid", "title"):
            self.assertTrue(dashboard.get(key), key)
        self.assertTrue(dashboard["panels"])

    def test_variables(self):
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        self.assertEqual(list(variables),
                         ["datasource", *QUERY_VARIABLES, "server_codes"])
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        for position, (name, label) in enumerate(QUERY_VARIABLES.items()):
            variable = variables[name]
            self.assertEqual(variable["type"], "query", name)
            self.assertEqual(variable["datasource"], {"type": "prometheus", "uid": DATASOURCE})
            match = LABEL_VALUES.match(variable["query"])
            self.assertTrue(match, variable["query"])
            self.assertEqual(match.group(2), label)
            # Each lists only the values the variables before it leave.
            for before in list(QUERY_VARIABLES)[:position]:
                self.assertIn(f'{before}=~"${before}"', match.group(1), name)
            # All matches everything, series without the label included (make monitor's).
            self.assertTrue(variable["includeAll"], name)
            self.assertEqual(variable["allValue"], ".*", name)
        # A constant, not a choice: hidden, and kept out of the URL.
        codes = variables["server_codes"]
        self.assertEqual((codes["type"], codes["hide"], codes["skipUrlSync"]),
                         ("constant", 2, True))

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
                for name in SCOPE_VARIABLES:
                    self.assertIn(f'{name}=~"${name}"', selector, f"{metric} in {expr}")
                if metric.startswith("grpc_server_"):
                    self.assertIn('grpc_method=~"$method"', selector, f"{metric} in {expr}")
                    self.assertIn('grpc_service="ledger.v1.Ledger"', selector, expr)

    def test_summary_row_on_top(self):
        # The first thing one sees: per mode, calls/s, the server-error ratio
        # and the p99 of unary calls, as single stats.
        top = min(dashboard["panels"], key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"]))
        self.assertEqual((top.get("type"), top["title"]), ("row", "Summary"))
        stats = [p for p in dashboard["panels"]
                 if p.get("type") != "row" and row_of(dashboard, p) == "Summary"]
        self.assertEqual({p["type"] for p in stats}, {"stat"})
        exprs = [t["expr"] for p in stats for t in p["targets"]]
        self.assertTrue(any(e.startswith("sum by (mode) (rate(grpc_server_handled_total{")
                            and "grpc_code" not in e for e in exprs), exprs)
        self.assertTrue(any(SERVER_CODES in e for e in exprs), exprs)
        self.assertTrue(any(e.startswith("histogram_quantile(0.99, sum by (le, mode) (")
                            for e in exprs), exprs)

    def test_latency_of_unary_calls_and_streams_apart(self):
        # A stream lasts as long as its client keeps it open: its handling
        # time is no call latency. Only the Streams row shows streams, and
        # only streams.
        streams_row = []
        for panel, target in targets(dashboard):
            in_streams = row_of(dashboard, panel) == "Streams"
            if in_streams:
                streams_row.append(target["expr"])
            for metric, selector in SELECTED_METRIC.findall(target["expr"]):
                where = f'{panel["title"]}: {metric}{selector}'
                if in_streams:
                    self.assertIn('grpc_type!="unary"', selector, where)
                elif metric.startswith("grpc_server_handling_seconds"):
                    self.assertIn('grpc_type="unary"', selector, where)
        for metric in ("grpc_server_msg_received_total", "grpc_server_msg_sent_total",
                       "grpc_server_handling_seconds_bucket"):
            self.assertTrue(any(metric in e for e in streams_row), metric)

    def test_server_errors_and_client_codes_apart(self):
        # A grpc_code is either a server error ($server_codes) or the caller's
        # doing (any other but OK); no panel mixes the two.
        by_kind = {SERVER_CODES: 0, CLIENT_CODES: 0}
        for panel, target in targets(dashboard):
            for selector in re.findall(r"\{[^}]*\}", target["expr"]):
                matchers = re.findall(r'grpc_code\s*(?:=~|!~|!=|=)\s*"[^"]*"', selector)
                self.assertLessEqual(set(matchers), set(by_kind), f'{panel["title"]}: {selector}')
                for matcher in matchers:
                    by_kind[matcher] += 1
        self.assertTrue(all(by_kind.values()), by_kind)
        codes = server_codes(dashboard)
        # The alert counts the same codes, and each is spelled as the server exports it.
        (alert_expr,) = [expr for name, expr in alert_rules(self.rules)
                         if name == "LedgerErrorRatioHigh"]
        alert_codes = re.search(r'grpc_code=~"([^"]*)"', alert_expr)
        self.assertTrue(alert_codes, f"LedgerErrorRatioHigh selects no list of codes: {alert_expr}")
        self.assertEqual(codes, alert_codes.group(1).split("|"))
        with open(self.metric_names) as header:
            names = re.search(r"kGoCodeNames = \{([^}]*)\}", header.read()).group(1)
        exported = re.findall(r'"(\w+)"', names)
        self.assertEqual(len(exported), 17, names)
        self.assertLessEqual(set(codes), set(exported) - {"OK"})
        # A refusal of the caller's request is not a server error.
        self.assertFalse({"NotFound", "FailedPrecondition", "InvalidArgument", "AlreadyExists",
                          "PermissionDenied"} & set(codes), codes)


def server_codes(board):
    """The grpc_code values the dashboard counts as server errors."""
    (codes,) = [v["query"] for v in board["templating"]["list"] if v["name"] == "server_codes"]
    return codes.split("|")


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


def start_ledger_load(binary, target, seconds, concurrency, mix=None):
    """ledger-load against target for `seconds`, at `concurrency` calls in flight,
    in the background, on accounts of its own: its whole mix (ListTransfers and
    TransferStream included), or `mix`."""
    return subprocess.Popen(
        [binary, f"--target={target}", f"--concurrency={concurrency}",
         "--connections=2", "--accounts=20", "--warmup=0s", f"--duration={seconds}s",
         *([f"--mix={mix}"] if mix else [])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


class DashboardQueriesTest(unittest.TestCase):
    prometheus = None
    load_targets = None
    load_binary = None
    postgres_targets = None  # gRPC targets of the servers on PostgreSQL
    local_targets = None  # gRPC targets of the modes of the embedded-store server
    variable_cases = None  # variable_cases() of the pods
    instances = None  # the instance label of every server

    @classmethod
    def setUpClass(cls):
        up = wait_for(lambda: len(cls.prometheus.query('up{job=~"ledger.*"} == 1')) == 3, 10,
                      "Prometheus's first scrape of all three ledger-servers")
        assert up, cls.prometheus.target_errors()
        loads = {target: start_ledger_load(cls.load_binary, target, LOAD_SECONDS,
                                           POSTGRES_LOAD_CONCURRENCY)
                 for target in cls.postgres_targets}
        loads.update({target: start_ledger_load(cls.load_binary, target, LOAD_SECONDS,
                                                STREAM_LOAD_CONCURRENCY, mix="list:1,stream:1")
                      for target in cls.local_targets})
        calls, errors = generate_load(cls.load_targets, LOAD_SECONDS, threads_per_target=2,
                                      not_found_every=5, refused_every=5)
        for target, load in loads.items():
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
        expected = {"namespace": {"test", "local"},
                    "job": {"ledger", "ledger-coroutine", "ledger-thread"},
                    "instance": set(self.instances),
                    "method": {"Transfer", "GetAccount", "ListTransfers", "TransferStream"}}
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            metric, label = LABEL_VALUES.match(variable["query"]).groups()
            promql = substitute(f"count by ({label}) ({metric})", ALL)
            values = {s["metric"].get(label) for s in self.prometheus.query(promql)}
            self.assertLessEqual(expected[variable["name"]], values, promql)

    def test_server_errors_exclude_client_codes(self):
        # On the embedded store, which never fails on its own, every call that
        # failed was the caller's doing: NotFound and FailedPrecondition.
        local = {**ALL, "namespace": "local", "__rate_interval": RATE_INTERVAL}
        failed = self.prometheus.query(substitute(
            'sum by (mode, grpc_code) (rate(grpc_server_handled_total{namespace=~"$namespace", '
            'grpc_code!="OK"}[$__rate_interval]))', local))
        self.assertEqual({(s["metric"]["mode"], s["metric"]["grpc_code"]) for s in failed
                          if float(s["value"][1]) > 0},
                         {(mode, code) for mode in MODES
                          for code in ("NotFound", "FailedPrecondition")}, failed)
        server, client = [], []
        for panel, target in targets(dashboard):
            if SERVER_CODES in target["expr"]:
                server.append(target)
            if CLIENT_CODES in target["expr"]:
                client.append(target)
        self.assertTrue(server and client)
        for target in server:
            result = self.prometheus.query(substitute(target["expr"], local))
            self.assertEqual({s["metric"]["mode"]: float(s["value"][1]) for s in result},
                             {mode: 0.0 for mode in MODES}, target["expr"])
        for target in client:
            result = self.prometheus.query(substitute(target["expr"], local))
            self.assertEqual({(s["metric"]["mode"], s["metric"]["grpc_code"]) for s in result
                              if float(s["value"][1]) > 0},
                             {(mode, code) for mode in MODES
                              for code in ("NotFound", "FailedPrecondition")}, target["expr"])

    def test_every_panel_returns_series(self):
        checked = 0
        for variables, modes_selected in self.variable_cases:
            on_postgres = any(re.fullmatch(variables["namespace"], namespace)
                              for namespace, store in NAMESPACE_STORES.items()
                              if store == "postgres")
            for panel, target in targets(dashboard):
                with self.subTest(panel=panel["title"], ref=target["refId"],
                                  **{k: v for k, v in variables.items() if v != ".*"}):
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
                        self.assertLessEqual(set(modes_selected), modes,
                                             f"modes with a finite value: {promql}\n{result}")
                        # A process on PostgreSQL exports its pool series for
                        # both modes, the one it does not serve at 0; what is
                        # not 0 is the selected modes' alone.
                        busy = {s["metric"].get("mode") for s in finite
                                if float(s["value"][1]) != 0}
                        self.assertLessEqual(busy, set(modes_selected),
                                             f"modes not selected: {promql}\n{result}")
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

    def test_error_ratio_alert_ignores_client_codes(self):
        # The load's NotFound and FailedPrecondition calls leave it at 0 where
        # the server failed nothing: on the embedded store.
        (expr,) = [expr for name, expr in self.rules if name == "LedgerErrorRatioHigh"]
        result = DashboardQueriesTest.prometheus.query(THRESHOLD.sub("", expr.strip()))
        local = {s["metric"]["mode"]: float(s["value"][1]) for s in result
                 if s["metric"].get("namespace") == "local"}
        self.assertEqual(local, {mode: 0.0 for mode in MODES}, result)


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
    parser.add_argument("--rules", required=True, help="the PrometheusRule of deploy/k8s")
    parser.add_argument("--metric_names", help="contract/metric_names.h (structure)")
    parser.add_argument("--prometheus", default="/usr/bin/prometheus", help="path of prometheus")
    args = parser.parse_args()
    global dashboard
    with open(args.dashboard) as board:
        dashboard = json.load(board)
    if args.check == "structure":
        if not args.metric_names:
            parser.error("structure needs --metric_names")
        DashboardStructureTest.rules = args.rules
        DashboardStructureTest.metric_names = args.metric_names
        return 0 if run(DashboardStructureTest) else 1
    if not (args.config and args.server and args.load and args.proto_root
            and args.postgres_dsn):
        parser.error("queries needs --config, --server, --load, --proto_root and "
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
            pod_instances = {mode: f"127.0.0.1:{pod.metrics_port}" for mode, pod in pods.items()}
            config = scrape_config(args.config, f"127.0.0.1:{both.metrics_port}", pod_instances)
            prometheus = Prometheus(args.prometheus, config, work_dir)
            try:
                DashboardQueriesTest.prometheus = prometheus
                DashboardQueriesTest.load_targets = {
                    **{f"127.0.0.1:{both.ports[mode]}": mode for mode in MODES},
                    **{f"127.0.0.1:{pod.ports[mode]}": mode for mode, pod in pods.items()}}
                DashboardQueriesTest.load_binary = args.load
                DashboardQueriesTest.postgres_targets = [
                    f"127.0.0.1:{pod.ports[mode]}" for mode, pod in pods.items()]
                DashboardQueriesTest.local_targets = [f"127.0.0.1:{both.ports[mode]}"
                                                      for mode in MODES]
                DashboardQueriesTest.variable_cases = variable_cases(pod_instances)
                DashboardQueriesTest.instances = [f"127.0.0.1:{both.metrics_port}",
                                                  *pod_instances.values()]
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
