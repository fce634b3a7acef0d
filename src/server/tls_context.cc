#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <utility>

#include "util/input_file.h"

namespace gpufleet {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's reason for the last failure ("no start line", "key values mismatch"): the first on
// its queue, the cause, which says more than Asio's error_code or the layers above it ("PEM
// lib"); the queue is emptied so that the next failure starts clean.
std::string OpenSslReason(const std::string& otherwise) {
  std::string reason;
  while (const unsigned long e = ERR_get_error()) {
    const char* text = ERR_reason_error_string(e);
    if (text != nullptr && reason.empty()) reason = text;  // the first: the cause
  }
  return reason.empty() ? otherwise : reason;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsServerContext(const std::string& cert_file,
                                                           const std::string& key_file) {
  // A file that cannot be opened (missing, a folder, no permission) is said so before OpenSSL is
  // asked, whose "system lib" would not say which.
  for (const auto& [flag, path] : {std::pair{"--tls-cert", &cert_file}, {"--tls-key", &key_file}}) {
    Result<std::ifstream> in = OpenInputFile(*path);
    if (!in.ok()) return Error{std::string(flag) + " " + in.message(), in.code()};
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); every libcurl the clients use speaks 1.2.
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  ERR_clear_error();
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec)
    return Error{"--tls-cert " + cert_file + ": not a PEM certificate chain (BEGIN CERTIFICATE): " +
                 OpenSslReason(ec.message())};
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec)
    return Error{"--tls-key " + key_file + ": not the PEM private key of --tls-cert " + cert_file +
                 ": " + OpenSslReason(ec.message())};
  if (SSL_CTX_check_private_key(context->native_handle()) != 1)
    return Error{"--tls-key " + key_file + ": not the PEM private key of --tls-cert " + cert_file +
                 ": " + OpenSslReason("key values mismatch")};
  return context;
}

}  // namespace gpufleet
