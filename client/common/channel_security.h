// How a client reaches the server: over TLS or in plaintext, with or without
// a client certificate (mutual TLS) and a bearer token; and OpenChannel, the
// one place both clients make channels, so every call of every client carries
// the same credentials without any call site having to remember them.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

namespace ledger {

struct ChannelSecurity {
  // PEM contents, read once at start-up (client/common/connection_flags.h):
  // a client run is short, so a certificate rotated on disk meanwhile is the
  // next run's.
  std::string ca_pem;       // the CA the server's certificate must chain to; empty: plaintext
  std::string cert_pem;     // with key_pem, the client certificate of mutual TLS; empty: none
  std::string key_pem;      //
  std::string server_name;  // the name the server's certificate must carry; empty: the target's
  // The bearer token, sent as "authorization: Bearer <token>" on every call;
  // empty: none. A secret: never print, log or report it (Describe() does not).
  std::string token;

  bool tls() const { return !ca_pem.empty(); }
  bool mutual_tls() const { return !cert_pem.empty(); }
  bool has_token() const { return !token.empty(); }

  // What a log line or a report says about it, e.g. "TLS, client certificate,
  // bearer token" or "plaintext": never the token itself.
  std::string Describe() const;
};

// A channel to `target` with `security`: over TLS (the server's certificate
// checked against ca_pem, for server_name if set) with the client certificate
// if there is one, or in plaintext; and the token, if there is one, on every
// call. Over TLS the token is gRPC's access-token call credential, which gRPC
// refuses to send over anything less. In plaintext (for a server on this
// machine, in tests) gRPC 1.51 cannot attach call credentials to the channel,
// so an interceptor adds the same header to each call.
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target,
                                           const ChannelSecurity& security,
                                           grpc::ChannelArguments arguments = {});

}  // namespace ledger
