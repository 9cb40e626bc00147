// Every error of the README's rules table, from Node, in each mode: the gRPC
// code and what its message says, and that a refused call moved nothing.
"use strict";
const assert = require("node:assert/strict");
const { before, describe, it } = require("node:test");
const { deadline, unary, readAll, clientStream, bidiStream } = require("./ledger_client");
const { MODES, ledger, newId, transferRequest: transfer, assertStatus } = require("./world");

// One call of each RPC, as `caller` makes it, on accounts that exist: what
// a credential check must refuse whatever the call asks.
function everyRpc(client, account, payee) {
  return {
    OpenAccount: () => unary(client, "OpenAccount", { id: newId("new") }),
    GetAccount: () => unary(client, "GetAccount", { id: account }),
    Transfer: () => unary(client, "Transfer", transfer(account, payee, 1)),
    ListTransfers: () => readAll(client.ListTransfers({ account_id: account }, deadline())),
    ImportTransfers: () => clientStream(client, "ImportTransfers", [transfer(account, payee, 1)]),
    TransferStream: () => bidiStream(client, "TransferStream", [transfer(account, payee, 1)]),
    Audit: () => unary(client, "Audit", { account_id: account }),
  };
}

for (const mode of MODES) {
  describe(`errors, ${mode} mode`, () => {
    const admin = ledger(mode, "admin");
    const alice = ledger(mode, "alice");
    // alice's account with 10 and bob's with 0, which every refusal below leaves so.
    const [hers, his, ghost] = [newId("alice"), newId("bob"), newId("ghost")];
    before(async () => {
      await unary(alice, "OpenAccount", { id: hers });
      await unary(ledger(mode, "bob"), "OpenAccount", { id: his });
      const mint = newId("mint");
      await unary(admin, "OpenAccount", { id: mint, initial_balance: "10" });
      await unary(admin, "Transfer", transfer(mint, hers, 10));
    });
    // What every refusal must leave as it was.
    async function assertUntouched() {
      assert.deepEqual(await unary(admin, "GetAccount", { id: hers }),
                       { id: hers, balance: "10", version: "2", owner: "alice" });
      assert.deepEqual(await unary(admin, "GetAccount", { id: his }),
                       { id: his, balance: "0", version: "1", owner: "bob" });
    }

    it("INVALID_ARGUMENT: a malformed id, balance, request_id or amount", async () => {
      await assertStatus(unary(alice, "OpenAccount", { id: "bad id" }), "INVALID_ARGUMENT",
                         "account id may only contain letters, digits, '_', '.' and '-'");
      await assertStatus(unary(alice, "OpenAccount", { id: "x".repeat(65) }), "INVALID_ARGUMENT",
                         "account id must be 1 to 64 characters, got 65");
      await assertStatus(unary(alice, "GetAccount", { id: "" }), "INVALID_ARGUMENT",
                         "account id must be 1 to 64 characters, got 0");
      await assertStatus(unary(admin, "OpenAccount", { id: newId("neg"), initial_balance: "-1" }),
                         "INVALID_ARGUMENT", "initial_balance must be >= 0, got -1");
      await assertStatus(unary(alice, "Transfer", transfer(hers, his, 1, "")), "INVALID_ARGUMENT",
                         "request_id must be 1 to 128 characters, got 0");
      await assertStatus(unary(alice, "Transfer", transfer(hers, his, 1, "r".repeat(129))),
                         "INVALID_ARGUMENT", "request_id must be 1 to 128 characters, got 129");
      await assertStatus(unary(alice, "Transfer", transfer(hers, "bad/id", 1)), "INVALID_ARGUMENT",
                         "to_id: account id may only contain");
      await assertStatus(unary(alice, "Transfer", transfer(hers, hers, 1)), "INVALID_ARGUMENT",
                         "from_id and to_id must differ");
      await assertStatus(unary(alice, "Transfer", transfer(hers, his, 0)), "INVALID_ARGUMENT",
                         "amount must be > 0, got 0");
      await assertStatus(unary(alice, "Transfer", transfer(hers, his, -5)), "INVALID_ARGUMENT",
                         "amount must be > 0, got -5");
      await assertStatus(readAll(alice.ListTransfers({ account_id: "a b" }, deadline())),
                         "INVALID_ARGUMENT", "account id may only contain");
      await assertStatus(unary(alice, "Audit", { account_id: "" }), "INVALID_ARGUMENT",
                         "account id must be 1 to 64 characters");
      await assertUntouched();
    });

    it("NOT_FOUND: an account that does not exist", async () => {
      const missing = `account ${ghost} not found`;
      await assertStatus(unary(alice, "GetAccount", { id: ghost }), "NOT_FOUND", missing);
      await assertStatus(unary(alice, "Transfer", transfer(hers, ghost, 1)), "NOT_FOUND", missing);
      await assertStatus(unary(alice, "Transfer", transfer(ghost, hers, 1)), "NOT_FOUND", missing);
      await assertStatus(readAll(alice.ListTransfers({ account_id: ghost }, deadline())),
                         "NOT_FOUND", missing);
      await assertStatus(unary(alice, "Audit", { account_id: ghost }), "NOT_FOUND", missing);
      await assertUntouched();
    });

    it("ALREADY_EXISTS: a taken id, a request_id reused for another transfer", async () => {
      await assertStatus(unary(alice, "OpenAccount", { id: his }), "ALREADY_EXISTS",
                         `account ${his} already exists`);
      const [payer, payee] = [newId("payer"), newId("payee")];
      await unary(admin, "OpenAccount", { id: payer, initial_balance: "5" });
      await unary(admin, "OpenAccount", { id: payee });
      const once = transfer(payer, payee, 1);
      await unary(admin, "Transfer", once);
      // Another amount, then another payee, under the same request_id.
      await assertStatus(unary(admin, "Transfer", { ...once, amount: "2" }), "ALREADY_EXISTS",
                         `request_id ${once.request_id} was already used for a different transfer`);
      await assertStatus(unary(admin, "Transfer", { ...once, to_id: his }), "ALREADY_EXISTS",
                         "was already used for a different transfer");
      assert.equal((await unary(admin, "GetAccount", { id: payer })).balance, "4");
      await assertUntouched();
    });

    it("FAILED_PRECONDITION: insufficient funds, a payee's balance that would overflow",
       async () => {
         await assertStatus(unary(alice, "Transfer", transfer(hers, his, 11)),
                            "FAILED_PRECONDITION", "insufficient funds: balance 10, amount 11");
         const full = newId("full");
         await unary(admin, "OpenAccount", { id: full, initial_balance: "9223372036854775807" });
         await assertStatus(unary(alice, "Transfer", transfer(hers, full, 1)),
                            "FAILED_PRECONDITION", "the payee's balance would overflow");
         assert.deepEqual(await unary(admin, "GetAccount", { id: full }), {
           id: full, balance: "9223372036854775807", version: "1", owner: "ops" });
         await assertUntouched();
       });

    it("PERMISSION_DENIED: another principal's account, money made without admin", async () => {
      const bobs = `only the account's owner or the admin role may`;
      await assertStatus(unary(alice, "GetAccount", { id: his }), "PERMISSION_DENIED",
                         `${bobs} read account ${his}`);
      await assertStatus(unary(alice, "Transfer", transfer(his, hers, 1)), "PERMISSION_DENIED",
                         `${bobs} debit account ${his}`);
      await assertStatus(readAll(alice.ListTransfers({ account_id: his }, deadline())),
                         "PERMISSION_DENIED", `${bobs} read account ${his}`);
      await assertStatus(unary(alice, "Audit", { account_id: his }), "PERMISSION_DENIED",
                         `${bobs} read account ${his}`);
      const minted = newId("minted");
      await assertStatus(unary(alice, "OpenAccount", { id: minted, initial_balance: "1" }),
                         "PERMISSION_DENIED", "only the admin role may open an account with "
                         + "initial_balance > 0");
      await assertStatus(unary(admin, "GetAccount", { id: minted }), "NOT_FOUND",
                         `account ${minted} not found`);
      await assertUntouched();
    });

    for (const [caller, message] of [
      ["anonymous", "this server requires a bearer token"],
      ["unknown", "unknown bearer token"]]) {
      it(`UNAUTHENTICATED: every RPC with ${caller === "anonymous" ? "no" : "an unknown"} token`,
         async () => {
           const calls = everyRpc(ledger(mode, caller), hers, his);
           for (const [rpc, call] of Object.entries(calls)) {
             await assertStatus(call(), "UNAUTHENTICATED", message).catch((error) => {
               error.message = `${rpc}: ${error.message}`;
               throw error;
             });
           }
           await assertUntouched();
         });
    }
  });
}
