// Certificates for the TLS tests, made when a test runs with libcrypto (already a dependency of
// the server's tokens): no private key is ever committed, no `openssl` command is needed, and a
// P-256 key takes microseconds where an RSA one takes a noticeable fraction of a second.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "temp_dir.h"

namespace gpufleet::testing {

// PEM files in a test's folder.
struct TestCerts {
  std::string cert;       // self-signed (its own CA) for 127.0.0.1 and localhost: --cacert takes it
  std::string key;        // its private key
  std::string other_key;  // a key that is not the certificate's
};

namespace certs_detail {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

inline Key NewKey() { return Key(EVP_EC_gen("P-256"), &EVP_PKEY_free); }

inline bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Valid from an hour ago for a day; a CA of its own, as `openssl req -x509` makes.
inline Cert SelfSigned(EVP_PKEY* key) {
  Cert cert(X509_new(), &X509_free);
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("gpufleet test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  if (!AddExtension(x, NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") ||
      X509_sign(x, key, EVP_sha256()) == 0)
    return Cert(nullptr, &X509_free);
  return cert;
}

inline bool WriteKey(const std::string& path, EVP_PKEY* key) {
  BIO* out = BIO_new_file(path.c_str(), "w");
  if (out == nullptr) return false;
  const bool ok = PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  BIO_free(out);
  return ok;
}

inline bool WriteCert(const std::string& path, X509* cert) {
  BIO* out = BIO_new_file(path.c_str(), "w");
  if (out == nullptr) return false;
  const bool ok = PEM_write_bio_X509(out, cert) == 1;
  BIO_free(out);
  return ok;
}

}  // namespace certs_detail

// Writes cert.pem, key.pem and other-key.pem into `dir`; fails the test if libcrypto cannot.
inline TestCerts MakeTestCerts(const ScratchDir& dir) {
  using namespace certs_detail;
  TestCerts out{dir.Path("cert.pem"), dir.Path("key.pem"), dir.Path("other-key.pem")};
  const Key key = NewKey(), other = NewKey();
  const Cert cert = key ? SelfSigned(key.get()) : Cert(nullptr, &X509_free);
  const bool ok = key && other && cert && WriteCert(out.cert, cert.get()) &&
                  WriteKey(out.key, key.get()) && WriteKey(out.other_key, other.get());
  EXPECT_TRUE(ok) << "libcrypto could not make the test certificates";
  return out;
}

}  // namespace gpufleet::testing
