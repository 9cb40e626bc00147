#include "client/common/channel_security.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ledger {
namespace {

using grpc::experimental::ClientInterceptorFactoryInterface;
using grpc::experimental::ClientRpcInfo;
using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::Interceptor;
using grpc::experimental::InterceptorBatchMethods;

// Plaintext only: gRPC 1.51 composes call credentials with TLS channel
// credentials alone (CompositeChannelCredentials returns null for insecure
// ones), so the header goes on each call's initial metadata here instead.
class BearerTokenInterceptor final : public Interceptor {
 public:
  explicit BearerTokenInterceptor(std::string header) : header_(std::move(header)) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", header_});
    }
    methods->Proceed();
  }

 private:
  const std::string header_;  // a copy: a call must not depend on its channel's lifetime
};

class BearerTokenInterceptorFactory final : public ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenInterceptorFactory(const std::string& token)
      : header_(absl::StrCat("Bearer ", token)) {}

  Interceptor* CreateClientInterceptor(ClientRpcInfo*) override {
    return new BearerTokenInterceptor(header_);
  }

 private:
  const std::string header_;
};

std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const ChannelSecurity& security) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = security.ca_pem;
  options.pem_cert_chain = security.cert_pem;
  options.pem_private_key = security.key_pem;
  std::shared_ptr<grpc::ChannelCredentials> tls = grpc::SslCredentials(options);
  if (!security.has_token()) return tls;
  return grpc::CompositeChannelCredentials(tls, grpc::AccessTokenCredentials(security.token));
}

}  // namespace

std::string ChannelSecurity::Describe() const {
  std::vector<std::string> parts = {tls() ? "TLS" : "plaintext"};
  if (mutual_tls()) parts.push_back("client certificate");
  if (has_token()) parts.push_back("bearer token");
  return absl::StrJoin(parts, ", ");
}

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target,
                                           const ChannelSecurity& security,
                                           grpc::ChannelArguments arguments) {
  if (security.tls()) {
    if (!security.server_name.empty()) arguments.SetSslTargetNameOverride(security.server_name);
    return grpc::CreateCustomChannel(target, TlsCredentials(security), arguments);
  }
  if (!security.has_token()) {
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
  }
  std::vector<std::unique_ptr<ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<BearerTokenInterceptorFactory>(security.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, grpc::InsecureChannelCredentials(), arguments, std::move(interceptors));
}

}  // namespace ledger
