// The flags that say how both clients reach the server (TLS, mutual TLS, a
// bearer token, and how calls spread over the servers a target names), defined
// once, in connection_flags.cc, for `ledger` and `ledger-load` alike. A
// client parses and lists only the flags of the files it names
// (command_line.h), so each names kConnectionFlagsFile beside its own.
#pragma once

#include <grpcpp/support/channel_arguments.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/common/channel_security.h"
#include "client/common/command_line.h"

namespace ledger {

inline constexpr absl::string_view kConnectionFlagsFile = "client/common/connection_flags.cc";

// The environment variable the token comes from when --token is not given:
// unlike a command line, the environment is not visible to other users (ps).
inline constexpr char kTokenEnvironmentVariable[] = "LEDGER_TOKEN";

// Reads the flags, after ParseCommandLine, into a ChannelSecurity: the PEM
// files' contents, read now and once, and the token from --token or else
// $LEDGER_TOKEN. A file that cannot be read or holds no PEM, a combination
// that cannot work (a client certificate without its key, or without TLS) or
// a token a header cannot carry is an InvalidArgument that names the flag and
// the file and says why: a usage error. No message ever holds the token.
absl::StatusOr<ChannelSecurity> ChannelSecurityFromFlags(const CommandLine& command_line);

// The default service config that makes a channel balance with `policy`
// (--load_balancing's values: pick_first, round_robin), or an InvalidArgument
// naming the flag and the policies it accepts.
absl::StatusOr<std::string> LoadBalancingServiceConfig(absl::string_view policy);

// Sets --load_balancing's policy as the default service config of channels
// made with `arguments`; an unknown policy is a usage error
// (LoadBalancingServiceConfig's).
absl::Status ApplyLoadBalancingFlag(grpc::ChannelArguments& arguments);

}  // namespace ledger
