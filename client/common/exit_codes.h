// The exit codes of both clients, defined once: the classes a script can act
// on, the gRPC codes that fall in each (`ledger`), and the table --help prints
// from them. ledger-load uses the first three: done, failed, bad flags.
// UNAUTHENTICATED and PERMISSION_DENIED have a class each, since they call for
// different fixes: another credential, or another caller.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ledger {

enum class ExitCode : int {
  kSuccess = 0,
  kFailure = 1,           // anything not below: a script should not retry blindly
  kUsage = 2,             // fix the command line or the input, then run again
  kNotFound = 3,          // an account does not exist
  kPrecondition = 4,      // the ledger's state refuses it (funds, duplicate id)
  kUnavailable = 5,       // try again later; a transfer may be retried with its request_id
  kUnauthenticated = 6,   // no credential, or one the server does not know: fix --token or
                          // the client certificate
  kPermissionDenied = 7,  // the caller is known but may not do this (not the owner, not admin)
};

inline constexpr ExitCode kAllExitCodes[] = {
    ExitCode::kSuccess,         ExitCode::kFailure,          ExitCode::kUsage,
    ExitCode::kNotFound,        ExitCode::kPrecondition,     ExitCode::kUnavailable,
    ExitCode::kUnauthenticated, ExitCode::kPermissionDenied,
};

inline constexpr int ToInt(ExitCode code) { return static_cast<int>(code); }

// The one mapping from a gRPC status code to the exit code.
constexpr ExitCode ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return ExitCode::kSuccess;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return ExitCode::kUsage;
    case grpc::StatusCode::NOT_FOUND:
      return ExitCode::kNotFound;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
      return ExitCode::kPrecondition;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return ExitCode::kUnavailable;
    case grpc::StatusCode::UNAUTHENTICATED:
      return ExitCode::kUnauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED:
      return ExitCode::kPermissionDenied;
    default:
      return ExitCode::kFailure;
  }
}

// TransferResult carries its code as a plain int; one outside gRPC's range is
// a failure we cannot classify.
constexpr ExitCode ExitCodeFor(int code) {
  if (code < 0 || code > grpc::StatusCode::UNAUTHENTICATED) return ExitCode::kFailure;
  return ExitCodeFor(static_cast<grpc::StatusCode>(code));
}

// "NOT_FOUND", as gRPC spells it everywhere. absl::StatusCode shares gRPC's
// numbering (both are google.rpc.Code), so Abseil's names are gRPC's names.
inline std::string StatusCodeName(int code) {
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrCat("CODE_", code) : name;
}

inline const char* Describe(ExitCode code) {
  switch (code) {
    case ExitCode::kSuccess:
      return "success";
    case ExitCode::kFailure:
      return "any other failure";
    case ExitCode::kUsage:
      return "usage: bad command line, unreadable or malformed input file, or";
    case ExitCode::kNotFound:
      return "not found:";
    case ExitCode::kPrecondition:
      return "precondition failed:";
    case ExitCode::kUnavailable:
      return "unavailable, retry later:";
    case ExitCode::kUnauthenticated:
      return "unauthenticated, no token or certificate the server knows:";
    case ExitCode::kPermissionDenied:
      return "permission denied, neither the account's owner nor an admin:";
  }
  return "";
}

// The table for --help, built from ExitCodeFor so the two cannot disagree.
inline std::string ExitCodesHelp() {
  std::string help = "Exit codes:\n";
  for (ExitCode exit_code : kAllExitCodes) {
    std::vector<std::string> grpc_codes;
    if (exit_code != ExitCode::kSuccess && exit_code != ExitCode::kFailure) {
      for (int code = 0; code <= grpc::StatusCode::UNAUTHENTICATED; ++code) {
        if (ExitCodeFor(code) == exit_code) grpc_codes.push_back(StatusCodeName(code));
      }
    }
    absl::StrAppend(&help, "  ", ToInt(exit_code), "  ", Describe(exit_code),
                    grpc_codes.empty() ? "" : " ", absl::StrJoin(grpc_codes, ", "), "\n");
  }
  return help;
}

}  // namespace ledger
