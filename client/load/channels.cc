#include "client/load/channels.h"

#include <grpc/impl/codegen/grpc_types.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ledger::load {
namespace {
// Our own channel argument: gRPC ignores it, but it makes each channel's
// arguments unique, so no two channels can share a connection.
constexpr char kChannelIndexArg[] = "ledger_load.channel_index";
}  // namespace

Channels::Channels(std::string target, int count) : target_(std::move(target)) {
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(kChannelIndexArg, i);
    channels_.push_back(
        grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(v1::Ledger::NewStub(channels_.back()));
  }
}

absl::Status Channels::Connect(absl::Duration timeout) {
  const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (!channels_[i]->WaitForConnected(deadline)) {
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to ", target_, " (connection ", i + 1, " of ", channels_.size(),
          ") within ", absl::FormatDuration(timeout), "; is ledger-server running there?"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ledger::load
