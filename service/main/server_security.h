// ledger-server's security, as its flags (server_security.cc) set it up: the
// credentials both gRPC ports listen with, and who the callers are.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "logging/log.h"
#include "service/security/authenticator.h"
#include "service/security/tokens_file_watch.h"

namespace ledger {

struct ServerSecurity {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::unique_ptr<security::Authenticator> authenticator;
  std::unique_ptr<security::TokensFileWatch> tokens_watch;  // with --auth_tokens_file
  // What the start-up log says about it, one line each, at its level: a
  // warning names what is left open.
  struct Line {
    logging::Level level;
    std::string text;
  };
  std::vector<Line> description;
};

// Complains (through `complain`) of each security flag that is wrong.
void CheckSecurityFlags(const std::function<void(const std::string&)>& complain);

// Reads the TLS files and the tokens file; INVALID_ARGUMENT says which file
// and what is wrong. `log` hears of later reloads of the tokens file.
absl::StatusOr<ServerSecurity> SetUpSecurity(std::function<void(const std::string&)> log);

}  // namespace ledger
