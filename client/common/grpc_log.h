// gRPC's own log lines ("E1202 06:16:59.676 ssl_transport_security.cc:1501]
// Handshake failed ...") are written for gRPC's developers. The clients report
// every failed call themselves, with the status gRPC gives them, which names
// the same failure (a certificate the CA did not sign, say): so those lines
// stay out of the clients' stderr, where a script reads "ledger: CODE: ...".
#pragma once

namespace ledger {

// Drops gRPC's log lines from here on, unless the environment variable
// GRPC_VERBOSITY asks for them (GRPC_VERBOSITY=ERROR ledger ...), as gRPC's
// own switch does. Call it first thing in main.
void QuietGrpcLog();

}  // namespace ledger
