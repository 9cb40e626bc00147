// The seven RPCs of ledger.v1.Ledger from Node, in each mode, with the
// results the README's rules make exact: balances, versions, owners,
// receipts, the import's counts, and Audit's digest recomputed here.
"use strict";
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { describe, it } = require("node:test");
const { deadline, unary, readAll, clientStream, bidiStream } = require("./ledger_client");
const { MODES, PRINCIPALS, ledger, newId, transferRequest: transfer } = require("./world");

// Audit's digest as the README defines it: h0 = SHA-256(account id), then
// h = SHA-256(h || "<sequence>:<from_id>:<to_id>:<amount>") per transfer.
function auditDigest(accountId, journal) {
  let h = crypto.createHash("sha256").update(accountId).digest();
  for (const { sequence, from_id, to_id, amount } of journal) {
    h = crypto.createHash("sha256").update(h).update(`${sequence}:${from_id}:${to_id}:${amount}`)
      .digest();
  }
  return h.toString("hex");
}

for (const mode of MODES) {
  describe(`the seven RPCs, ${mode} mode`, () => {
    const admin = ledger(mode, "admin");
    const alice = ledger(mode, "alice");
    const bob = ledger(mode, "bob");

    // One story, each RPC a step on the accounts the steps before left.
    it("runs every RPC with exact results", async (t) => {
      const [mint, a, b] = [newId("mint"), newId("alice"), newId("bob")];
      let first, second;

      await t.test("OpenAccount: version 1, owned by the caller's principal", async () => {
        assert.deepEqual(await unary(admin, "OpenAccount", { id: mint, initial_balance: "10000" }),
                         { id: mint, balance: "10000", version: "1", owner: PRINCIPALS.admin });
        assert.deepEqual(await unary(alice, "OpenAccount", { id: a }),
                         { id: a, balance: "0", version: "1", owner: PRINCIPALS.alice });
        await unary(bob, "OpenAccount", { id: b });
      });

      await t.test("Transfer: the receipt carries both balances right after it", async () => {
        const funding = transfer(mint, a, 2500);
        first = await unary(admin, "Transfer", funding);
        const { sequence, committed_at, ...fields } = first;
        assert.deepEqual(fields, { ...funding, from_balance: "7500", to_balance: "2500" });
        assert.ok(BigInt(sequence) > 0n);
        assert.ok(Number(committed_at.seconds) > 0);
        // A retry of the same request_id returns the original receipt and moves nothing.
        assert.deepEqual(await unary(admin, "Transfer", funding), first);
        second = await unary(alice, "Transfer", transfer(a, b, 1000));
        assert.deepEqual([second.from_balance, second.to_balance], ["1500", "1000"]);
        assert.ok(BigInt(second.sequence) > BigInt(first.sequence));
      });

      await t.test("GetAccount: the version grows by one per transfer", async () => {
        assert.deepEqual(await unary(alice, "GetAccount", { id: a }),
                         { id: a, balance: "1500", version: "3", owner: PRINCIPALS.alice });
        assert.deepEqual(await unary(bob, "GetAccount", { id: b }),
                         { id: b, balance: "1000", version: "2", owner: PRINCIPALS.bob });
      });

      await t.test("ListTransfers: the very receipts, oldest first", async () => {
        assert.deepEqual(await readAll(alice.ListTransfers({ account_id: a }, deadline())),
                         [first, second]);
        assert.deepEqual(
          await readAll(alice.ListTransfers({ account_id: a, limit: 1 }, deadline())), [first]);
      });

      await t.test("ImportTransfers: each request by the rules, past refusals", async () => {
        const payment = transfer(a, b, 100);
        const summary = await clientStream(alice, "ImportTransfers", [
          payment,
          transfer(a, b, 0),               // INVALID_ARGUMENT
          transfer(a, mint, 50),           // any account may be credited
          transfer(b, a, 10),              // PERMISSION_DENIED: bob's account
          transfer(a, newId("ghost"), 5),  // NOT_FOUND
          payment,                         // a retry: applied, moves nothing
        ]);
        assert.deepEqual(summary, { applied: 3, rejected: 3 });
        assert.deepEqual(await unary(alice, "GetAccount", { id: a }),
                         { id: a, balance: "1350", version: "5", owner: PRINCIPALS.alice });
      });

      await t.test("TransferStream: one result per request, by request_id", async () => {
        const requests = [transfer(a, b, 200), transfer(a, b, 300), transfer(a, b, 999999),
                          transfer(b, a, 1)];
        const results = await bidiStream(alice, "TransferStream", requests);
        if (mode === "thread") {  // one at a time, results in request order
          assert.deepEqual(results.map((r) => r.request_id), requests.map((r) => r.request_id));
        }
        const byId = new Map(results.map((result) => [result.request_id, result]));
        assert.equal(byId.size, requests.length);
        const [ok200, ok300, tooMuch, notHers] = requests.map((r) => byId.get(r.request_id));
        for (const [result, request] of [[ok200, requests[0]], [ok300, requests[1]]]) {
          assert.equal(result.code, 0, result.message);
          assert.deepEqual([result.receipt.request_id, result.receipt.amount],
                           [request.request_id, request.amount]);
        }
        // Coroutine mode may commit the two in either order; the later one
        // leaves the final balances.
        const [earlier, later] = [ok200, ok300].sort(
          (x, y) => (BigInt(x.receipt.sequence) < BigInt(y.receipt.sequence) ? -1 : 1));
        assert.equal(earlier.receipt.from_balance, String(1350 - Number(earlier.receipt.amount)));
        assert.deepEqual([later.receipt.from_balance, later.receipt.to_balance], ["850", "1600"]);
        assert.equal(tooMuch.code, 9);  // FAILED_PRECONDITION
        assert.match(tooMuch.message, /insufficient funds/);
        assert.deepEqual([notHers.code, notHers.receipt], [7, null]);  // PERMISSION_DENIED
        assert.match(notHers.message, /may debit account/);
      });

      await t.test("Audit: every transfer touching the account, hashed in order", async () => {
        const journal = await readAll(alice.ListTransfers({ account_id: a }, deadline()));
        const amounts = journal.map((r) => r.amount);
        assert.deepEqual(amounts.slice(0, 4), ["2500", "1000", "100", "50"]);
        assert.deepEqual(amounts.slice(4).sort(), ["200", "300"]);
        assert.deepEqual(await unary(alice, "Audit", { account_id: a }), {
          account_id: a, entries: "6", balance: "850", digest: auditDigest(a, journal),
          consistent: true });
        assert.equal((await unary(alice, "GetAccount", { id: a })).version, "7");
      });
    });

    it("audits an account with no transfers as the hash of its id alone", async () => {
      const empty = newId("empty");
      await unary(admin, "OpenAccount", { id: empty, initial_balance: "7" });
      assert.deepEqual(await unary(admin, "Audit", { account_id: empty }), {
        account_id: empty, entries: "0", balance: "7", digest: auditDigest(empty, []),
        consistent: true });
    });

    it("keeps int64 balances exact up to 2^63 - 1", async () => {
      const rich = newId("rich");
      const max = "9223372036854775807";
      await unary(admin, "OpenAccount", { id: rich, initial_balance: max });
      assert.equal((await unary(admin, "GetAccount", { id: rich })).balance, max);
    });
  });
}
