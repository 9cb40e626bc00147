// Channels: --connections gRPC channels to one target, each its own HTTP/2
// connection, with calls spread over them round-robin.
//
// gRPC shares subchannels (and so TCP connections) between channels whose
// arguments are equal, through a process-wide pool. Each channel here gets a
// local subchannel pool and an argument no other channel has (its index), so
// N channels really are N connections, as N separate clients would make.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/common/channel_security.h"
#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger::load {

class Channels {
 public:
  // Every channel with the same `security` (TLS, certificate, token), from
  // `arguments` (the load-balancing policy).
  Channels(std::string target, int count, const ChannelSecurity& security,
           const grpc::ChannelArguments& arguments);

  // Connects every channel, so that the first measured calls do not pay for
  // the TCP, TLS and HTTP/2 handshakes; UNAVAILABLE naming the target, and
  // gRPC's reason (a refused connection, a certificate the CA did not sign),
  // if one does not connect within `timeout`. Blocks: call it before the load
  // starts.
  absl::Status Connect(absl::Duration timeout);

  // The stub of the next channel in turn. Not thread-safe: one client thread.
  v1::Ledger::Stub& Next() {
    v1::Ledger::Stub& stub = *stubs_[next_];
    next_ = (next_ + 1) % stubs_.size();
    return stub;
  }

  const std::string& target() const { return target_; }
  const std::string& security() const { return security_; }  // as ChannelSecurity::Describe
  int size() const { return static_cast<int>(stubs_.size()); }

 private:
  std::string target_;
  std::string security_;
  bool tls_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<v1::Ledger::Stub>> stubs_;
  size_t next_ = 0;
};

}  // namespace ledger::load
