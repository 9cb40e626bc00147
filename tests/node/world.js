// What the Node tests share: the servers, CA and tokens that the driver
// (node_client_test.py) made for this run, read from the JSON file it names
// in LEDGER_NODE_TEST_CONFIG; clients built from them; fresh ids; and the
// check of a failed call's status.
"use strict";
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const { after } = require("node:test");
const { grpc, loadServices, channelCredentials } = require("./ledger_client");

const config = JSON.parse(fs.readFileSync(process.env.LEDGER_NODE_TEST_CONFIG, "utf8"));
const services = loadServices(config.proto_root, config.grpc_proto_root);
const MODES = ["coroutine", "thread"];
// The principal each token of the tokens file names: OpenAccount makes it the owner.
const PRINCIPALS = config.principals;

// One client (one channel) per server, mode and caller, closed when the file's tests end.
const clients = new Map();
after(() => clients.forEach((client) => client.close()));

// "admin", "alice" and "bob" carry their tokens; "anonymous" carries none;
// "unknown" carries a well-formed token the server was never given.
const UNKNOWN_TOKEN = crypto.randomBytes(32).toString("hex");
function tokenOf(caller) {
  if (caller === "anonymous") return undefined;
  if (caller === "unknown") return UNKNOWN_TOKEN;
  return config.tokens[caller];
}

// The servers listen on 127.0.0.1, and their certificate names both it and
// localhost. grpc-js would send the IP as the TLS server name (SNI), which
// Node deprecates with a warning (DEP0123); the name avoids that.
const CHANNEL_OPTIONS = { "grpc.ssl_target_name_override": "localhost" };

function client(Service, server, mode, caller) {
  const key = [Service.serviceName, server, mode, caller].join("/");
  if (!clients.has(key)) {
    const credentials = channelCredentials(config.ca_file, tokenOf(caller));
    clients.set(key, new Service(config.servers[server][mode], credentials, CHANNEL_OPTIONS));
  }
  return clients.get(key);
}

// `server` is "ledger" (the default store latency) or "slow" (a store that
// waits config.slow_store_latency_ms before every call).
const ledger = (mode, caller, server = "ledger") => client(services.Ledger, server, mode, caller);
// Health is open to anyone: no token.
const health = (mode, server = "ledger") => client(services.Health, server, mode, "anonymous");

// Account ids are unique per call; the tests of each file share one server.
const newId = (stem) => `${stem}-${crypto.randomBytes(6).toString("hex")}`;
const newRequestId = () => crypto.randomUUID();
// A TransferRequest under a fresh request_id (int64 amounts as strings, as they read back).
const transferRequest = (from_id, to_id, amount, request_id = newRequestId()) =>
  ({ request_id, from_id, to_id, amount: String(amount) });

// Awaits `call` (a promise) to fail with the gRPC code named `codeName`
// (e.g. "NOT_FOUND") and a message containing `fragment` (a string, or a
// RegExp it matches).
async function assertStatus(call, codeName, fragment) {
  await assert.rejects(call, (error) => {
    assert.equal(grpc.status[error.code], codeName, `status: ${error.code} ${error.details}`);
    const found = fragment instanceof RegExp ? fragment.test(error.details)
                                             : error.details.includes(fragment);
    assert.ok(found, `the message "${error.details}" should contain ${fragment}`);
    return true;
  });
}

module.exports = {
  config, CHANNEL_OPTIONS, MODES, PRINCIPALS, ledger, health, newId, newRequestId, transferRequest,
  assertStatus,
};
