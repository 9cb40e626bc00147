#include "service/security/server_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/security/file_contents.h"

namespace ledger::security {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::optional<std::string> contents = FileContents(path);
  if (!contents)
    return absl::InvalidArgumentError(absl::StrCat(flag, "=", path, ": cannot read it"));
  return *std::move(contents);
}

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

absl::StatusOr<Certificate> FirstCertificate(const std::string& flag, const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(flag, path);
  if (!pem.ok()) return pem.status();
  Bio bio = MemoryBio(*pem);
  Certificate certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!certificate) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "=", path, ": holds no PEM certificate (BEGIN CERTIFICATE)"));
  }
  return certificate;
}

absl::Status CheckFiles(const TlsFiles& files) {
  if (files.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file needs --tls_key_file, its private key");
  }
  absl::StatusOr<Certificate> certificate = FirstCertificate("--tls_cert_file", files.cert_file);
  if (!certificate.ok()) return certificate.status();
  absl::StatusOr<std::string> key_pem = ReadFile("--tls_key_file", files.key_file);
  if (!key_pem.ok()) return key_pem.status();
  Bio bio = MemoryBio(*key_pem);
  PrivateKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key_file=", files.key_file, ": holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(certificate->get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file=", files.key_file, " is not the key of --tls_cert_file=", files.cert_file));
  }
  if (files.mutual()) {
    absl::StatusOr<Certificate> ca = FirstCertificate("--tls_client_ca_file", files.client_ca_file);
    if (!ca.ok()) return ca.status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  if (!files.tls()) {
    if (!files.key_file.empty() || files.mutual()) {
      return absl::InvalidArgumentError(
          "--tls_key_file and --tls_client_ca_file need --tls_cert_file");
    }
    return grpc::InsecureServerCredentials();
  }
  if (absl::Status checked = CheckFiles(files); !checked.ok()) return checked;
  const auto seconds =
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(files.reload_interval)));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.client_ca_file, seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (files.mutual()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace ledger::security
