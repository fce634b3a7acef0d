// The server's TLS settings (`gpufleet serve --tls-cert F --tls-key F`): a PEM certificate chain
// and its private key read into an Asio SSL context that speaks TLS 1.2 or later, so that a
// server that cannot serve what it was given refuses to start rather than failing each client.
#pragma once

#include <memory>
#include <string>

#include "util/result.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace gpufleet {

// `cert_file`: the server's certificate, then any intermediates (PEM); `key_file`: its private
// key (PEM, unencrypted: a server starting unattended has no one to type a passphrase). An error
// names the file and the flag it came from: missing or unreadable, not PEM, or a key that is not
// the certificate's.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsServerContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace gpufleet
