#include "client/load/channels.h"

#include <grpc/impl/codegen/grpc_types.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/channel_arguments.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ledger::load {
namespace {
// Our own channel argument: gRPC ignores it, but it makes each channel's
// arguments unique, so no two channels can share a connection.
constexpr char kChannelIndexArg[] = "ledger_load.channel_index";

// Why a channel does not connect, which its state cannot say: a call that
// does not wait for the connection fails at once with gRPC's last error
// ("Connection refused", "certificate verify failed", ...).
std::string LastConnectError(v1::Ledger::Stub& stub) {
  grpc::ClientContext context;
  context.set_wait_for_ready(false);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  v1::Account account;
  const grpc::Status status = stub.GetAccount(&context, v1::GetAccountRequest(), &account);
  return status.error_message().empty() ? "no reason given" : status.error_message();
}
}  // namespace

Channels::Channels(std::string target, int count, const ChannelSecurity& security,
                   const grpc::ChannelArguments& arguments)
    : target_(std::move(target)), security_(security.Describe()), tls_(security.tls()) {
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args = arguments;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(kChannelIndexArg, i);
    channels_.push_back(OpenChannel(target_, security, args));
    stubs_.push_back(v1::Ledger::NewStub(channels_.back()));
  }
}

absl::Status Channels::Connect(absl::Duration timeout) {
  const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (!channels_[i]->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to ", target_, " (connection ", i + 1, " of ", channels_.size(), ", ",
          security_, ") within ", absl::FormatDuration(timeout), ": ", LastConnectError(*stubs_[i]),
          "; is ledger-server running there, ",
          tls_ ? "with a certificate the CA of --tls_ca_file signed?"
               : "in plaintext (a server with TLS needs --tls_ca_file)?"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ledger::load
