// How a Node.js program calls the ledger, as the README's Python example
// does: the proto loaded at run time by @grpc/proto-loader (no generated
// code), TLS trusting the CA that signed the server, and a bearer token sent
// with every call. The tests use nothing else to reach the server.
"use strict";
const fs = require("node:fs");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

// int64 and uint64 arrive as decimal strings: a JS number is exact only up to
// 2^53, and a balance may be 2^63 - 1. keepCase keeps the proto's field names
// (from_id, not fromId); defaults fills unset fields, as C++ and Python read them.
const LOAD_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true };

// The ledger.v1.Ledger and grpc.health.v1.Health client constructors: the
// first from the repository's proto/ folder, the second from where Debian's
// grpc-proto puts gRPC's own protos (the driver names it).
function loadServices(protoRoot, grpcProtoRoot) {
  const load = (file, root) =>
    grpc.loadPackageDefinition(
      protoLoader.loadSync(file, { ...LOAD_OPTIONS, includeDirs: [root] }));
  return {
    Ledger: load("ledger/v1/ledger.proto", protoRoot).ledger.v1.Ledger,
    Health: load("grpc/health/v1/health.proto", grpcProtoRoot).grpc.health.v1.Health,
  };
}

// TLS trusting `caFile`, plus `authorization: Bearer <token>` on every call
// when a token is given (grpc-js only sends call credentials over TLS).
function channelCredentials(caFile, token) {
  const tls = grpc.credentials.createSsl(fs.readFileSync(caFile));
  if (token === undefined) return tls;
  const bearer = grpc.credentials.createFromMetadataGenerator((_call, callback) => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    callback(null, metadata);
  });
  return grpc.credentials.combineChannelCredentials(tls, bearer);
}

// Every call gets a deadline, so a server that hangs fails the test rather
// than stalling it; generous, since a busy machine may be slow.
const DEFAULT_DEADLINE_MS = 10_000;
const deadline = (ms = DEFAULT_DEADLINE_MS) => ({ deadline: Date.now() + ms });

// A unary call as a promise: resolves to the response, rejects with the
// grpc-js error (err.code, err.details).
function unary(client, method, request, { deadlineMs } = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, deadline(deadlineMs), (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

// Every message of a server stream (ListTransfers), or the stream's error.
async function readAll(call) {
  const messages = [];
  for await (const message of call) messages.push(message);
  return messages;
}

// A client stream (ImportTransfers): writes `requests`, half-closes, and
// resolves to the one response.
function clientStream(client, method, requests) {
  return new Promise((resolve, reject) => {
    const call = client[method](deadline(), (error, response) =>
      error ? reject(error) : resolve(response));
    for (const request of requests) call.write(request);
    call.end();
  });
}

// A bidirectional stream (TransferStream) written whole, then read to its end.
function bidiStream(client, method, requests) {
  const call = client[method](deadline());
  for (const request of requests) call.write(request);
  call.end();
  return readAll(call);
}

module.exports = {
  grpc, loadServices, channelCredentials, deadline, unary, readAll, clientStream, bidiStream,
};
