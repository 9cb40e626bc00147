// Calls that end early, from Node, in each mode: a deadline that passes
// while the store waits, and streams the client cancels midway. The client
// sees DEADLINE_EXCEEDED or CANCELLED, nothing is half-applied, and the
// server serves the next call.
"use strict";
const assert = require("node:assert/strict");
const { describe, it } = require("node:test");
const { deadline, unary, readAll, clientStream, bidiStream } = require("./ledger_client");
const { config, MODES, ledger, health, newId, transferRequest: transfer, assertStatus } = require("./world");

// Reads a server or bidi stream into `messages`, calling `afterEach` after
// each one arrives (to cancel the call).
async function readInto(call, messages, afterEach) {
  for await (const message of call) {
    messages.push(message);
    afterEach(messages.length);
  }
}

// grpc-js's words when its own timer ends the call ("Deadline exceeded after
// 0.1s"), or the server's, should its status arrive first.
const DEADLINE_MESSAGE = /deadline exceeded/i;

async function assertServing(mode) {
  assert.equal((await unary(health(mode), "Check", { service: "" })).status, "SERVING");
}

for (const mode of MODES) {
  describe(`deadlines and cancellation, ${mode} mode`, () => {
    const admin = ledger(mode, "admin");
    // The slow server's store waits this long before every call, so a call
    // given half of it cannot finish in time, however fast the machine.
    const slow = ledger(mode, "admin", "slow");
    const tooShortMs = config.slow_store_latency_ms / 2;

    it("DEADLINE_EXCEEDED when the deadline passes during a store call", async () => {
      const account = newId("slow");
      await unary(slow, "OpenAccount", { id: account, initial_balance: "100" });
      await assertStatus(unary(slow, "GetAccount", { id: account }, { deadlineMs: tooShortMs }),
                         "DEADLINE_EXCEEDED", DEADLINE_MESSAGE);
      // The server serves on: the same call with time enough.
      assert.equal((await unary(slow, "GetAccount", { id: account })).balance, "100");
    });

    it("a transfer cut short by its deadline lands once when retried", async () => {
      const [payer, payee] = [newId("payer"), newId("payee")];
      await unary(slow, "OpenAccount", { id: payer, initial_balance: "100" });
      await unary(slow, "OpenAccount", { id: payee });
      // Transfer makes one store call, which waits the latency.
      const request = transfer(payer, payee, 30);
      await assertStatus(unary(slow, "Transfer", request, { deadlineMs: tooShortMs }),
                         "DEADLINE_EXCEEDED", DEADLINE_MESSAGE);
      // Committed or not, a retry by request_id moves the money exactly once.
      const receipt = await unary(slow, "Transfer", request);
      assert.deepEqual([receipt.request_id, receipt.from_balance, receipt.to_balance],
                       [request.request_id, "70", "30"]);
      assert.deepEqual(await unary(slow, "GetAccount", { id: payer }),
                       { id: payer, balance: "70", version: "2", owner: "ops" });
      assert.deepEqual(await readAll(slow.ListTransfers({ account_id: payer }, deadline())),
                       [receipt]);
    });

    it("CANCELLED when the client cancels ListTransfers midway", async () => {
      const [payer, payee] = [newId("payer"), newId("payee")];
      const transfers = 300;  // more than one page of the server's (256)
      await unary(admin, "OpenAccount", { id: payer, initial_balance: String(transfers) });
      await unary(admin, "OpenAccount", { id: payee });
      const requests = Array.from({ length: transfers }, () => transfer(payer, payee, 1));
      assert.deepEqual(await clientStream(admin, "ImportTransfers", requests),
                       { applied: transfers, rejected: 0 });

      const call = admin.ListTransfers({ account_id: payee }, deadline());
      const read = [];
      await assertStatus(readInto(call, read, () => call.cancel()), "CANCELLED",
                         "Cancelled on client");
      assert.ok(read.length >= 1 && read.length < transfers, `read ${read.length} of ${transfers}`);

      // The server serves on: the whole journal, then health.
      const journal = await readAll(admin.ListTransfers({ account_id: payee }, deadline()));
      assert.equal(journal.length, transfers);
      await assertServing(mode);
    });

    it("CANCELLED when the client cancels TransferStream with requests in flight", async () => {
      const [payer, payee] = [newId("payer"), newId("payee")];
      await unary(admin, "OpenAccount", { id: payer, initial_balance: "100" });
      await unary(admin, "OpenAccount", { id: payee });
      const call = admin.TransferStream(deadline());
      for (let i = 0; i < 20; i++) call.write(transfer(payer, payee, 1));
      // Cancelled at the first result, the stream still open for writing.
      const results = [];
      await assertStatus(readInto(call, results, () => call.cancel()), "CANCELLED",
                         "Cancelled on client");
      assert.equal(results[0].code, 0, results[0].message);

      // Each transfer landed whole or not at all: between 1 and 20 of them,
      // read in one call, so balance and version agree whatever lands later.
      const account = await unary(admin, "GetAccount", { id: payer });
      const landed = 100 - Number(account.balance);
      assert.ok(landed >= 1 && landed <= 20, `landed ${landed}`);
      assert.equal(account.version, String(1 + landed));
      // The server serves on: another stream on the same channel, then health.
      const [result] = await bidiStream(admin, "TransferStream", [transfer(payee, payer, 1)]);
      assert.equal(result.code, 0, result.message);
      await assertServing(mode);
    });

    it("CANCELLED when the client cancels TransferStream between requests", async () => {
      const [payer, payee] = [newId("payer"), newId("payee")];
      await unary(admin, "OpenAccount", { id: payer, initial_balance: "100" });
      await unary(admin, "OpenAccount", { id: payee });
      const call = admin.TransferStream(deadline());
      const requests = [transfer(payer, payee, 1), transfer(payer, payee, 2),
                        transfer(payer, payee, 3)];
      requests.forEach((request) => call.write(request));
      // Every result in, the server waiting for a fourth request: cancel.
      const results = [];
      await assertStatus(
        readInto(call, results, (seen) => seen === requests.length && call.cancel()),
        "CANCELLED", "Cancelled on client");
      assert.deepEqual(results.map((result) => result.code), [0, 0, 0]);
      // Nothing in flight when cancelled, so the state is exact.
      assert.deepEqual(await unary(admin, "GetAccount", { id: payer }),
                       { id: payer, balance: "94", version: "4", owner: "ops" });
      await assertServing(mode);
    });
  });
}
