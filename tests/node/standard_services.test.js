// What generic tools rely on, from Node: the standard health service and
// server reflection, on both ledger ports, open to a caller with no token.
"use strict";
const assert = require("node:assert/strict");
const { describe, it } = require("node:test");
// A reflection client from the registry, as a user of a generic tool would
// have one: it asks grpc.reflection.v1alpha by default, the version Debian's
// gRPC 1.51 serves.
const { GrpcReflection } = require("grpc-js-reflection-client");
const { channelCredentials, unary, deadline } = require("./ledger_client");
const { config, CHANNEL_OPTIONS, MODES, health } = require("./world");

for (const mode of MODES) {
  describe(`health and reflection, ${mode} mode`, () => {
    it("is SERVING by grpc.health.v1.Health/Check on the whole server", async () => {
      const response = await unary(health(mode), "Check", { service: "" });
      assert.equal(response.status, "SERVING");
    });

    it("lists ledger.v1.Ledger and grpc.health.v1.Health by reflection", async (t) => {
      const reflection = new GrpcReflection(
        config.servers.ledger[mode], channelCredentials(config.ca_file), CHANNEL_OPTIONS);
      t.after(() => reflection.client.close());
      const services = await reflection.listServices("*", undefined, deadline());
      assert.ok(services.includes("ledger.v1.Ledger"), `listed: ${services}`);
      assert.ok(services.includes("grpc.health.v1.Health"), `listed: ${services}`);
      // The descriptors come with it, so a tool can call the seven methods untold.
      const methods = await reflection.listMethods("ledger.v1.Ledger", undefined, deadline());
      assert.deepEqual(methods.map((method) => method.name).sort(), [
        "Audit", "GetAccount", "ImportTransfers", "ListTransfers", "OpenAccount", "Transfer",
        "TransferStream"]);
      // Each with its real kind and types, the two that both modes serve as
      // raw bytes (their requests parsed by the handlers) included.
      const kinds = Object.fromEntries(methods.map(({ name, definition }) => [name, [
        definition.requestStream, definition.responseStream,
        definition.requestType.type.name, definition.responseType.type.name]]));
      assert.deepEqual(kinds.ImportTransfers, [true, false, "TransferRequest", "ImportSummary"]);
      assert.deepEqual(kinds.TransferStream, [true, true, "TransferRequest", "TransferResult"]);
      assert.deepEqual(kinds.Transfer, [false, false, "TransferRequest", "TransferReceipt"]);
    });
  });
}
