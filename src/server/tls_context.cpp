#include "server/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <cstring>

namespace wsexec {
namespace {

// TLS 1.2 suites: ephemeral key exchange and AEAD only (TLS 1.3's are all
// modern and stay at OpenSSL's defaults).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The first error queued is the specific one ("no start line"); later ones
// only say where it surfaced ("PEM lib").
std::string openssl_reason() {
  const unsigned long code = ERR_peek_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "error " + std::to_string(code);
}

std::string file_problem(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return std::strerror(errno);
  std::fclose(file);
  return {};
}

void require_readable(const std::string& option, const std::string& path) {
  const std::string problem = file_problem(path);
  if (!problem.empty()) throw TlsSetupError(option + " " + path + ": " + problem);
}

// The one protocol we speak; a client offering only others (h2) gets none
// selected rather than a failed handshake.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_length,
                  const unsigned char* offered, unsigned int offered_length, void*) {
  static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  unsigned char selected_length = 0;
  if (SSL_select_next_proto(&selected, &selected_length, http11, sizeof http11, offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  *out_length = selected_length;
  return SSL_TLSEXT_ERR_OK;
}

std::string validity_warning(SSL_CTX* context, const std::string& path) {
  X509* leaf = SSL_CTX_get0_certificate(context);
  if (leaf == nullptr) return {};
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
    return "the certificate in " + path + " has expired; clients will refuse it";
  }
  if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
    return "the certificate in " + path + " is not valid yet; clients will refuse it";
  }
  return {};
}

void load_client_ca(SSL_CTX* context, const std::string& path) {
  require_readable("--sslca", path);
  if (SSL_CTX_load_verify_locations(context, path.c_str(), nullptr) != 1) {
    throw TlsSetupError("--sslca " + path + " is not a PEM CA certificate: " + openssl_reason());
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(path.c_str());
  if (names == nullptr) {
    throw TlsSetupError("--sslca " + path + " holds no CA certificate");
  }
  SSL_CTX_set_client_CA_list(context, names);  // takes ownership
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
}

}  // namespace

TlsContextPtr make_tls_context(const TlsFiles& files, std::string& warning) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();

  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_cipher_list(native, kTls12Ciphers);
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);
  // Resumption: a server-side session cache plus tickets (OpenSSL's default),
  // so a returning browser skips the full handshake.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  static const unsigned char session_id_context[] = "wsexec";
  SSL_CTX_set_session_id_context(native, session_id_context, sizeof session_id_context - 1);

  require_readable("--sslcert", files.certificate_chain);
  if (SSL_CTX_use_certificate_chain_file(native, files.certificate_chain.c_str()) != 1) {
    throw TlsSetupError("--sslcert " + files.certificate_chain +
                        " is not a PEM certificate chain: " + openssl_reason());
  }
  require_readable("--sslkey", files.private_key);
  // Loading the key also checks it against the certificate, so a mismatch
  // surfaces here as X509_R_KEY_VALUES_MISMATCH.
  const bool key_loaded =
      SSL_CTX_use_PrivateKey_file(native, files.private_key.c_str(), SSL_FILETYPE_PEM) == 1;
  const bool mismatch =
      !key_loaded && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
  if (!key_loaded && !mismatch) {
    throw TlsSetupError("--sslkey " + files.private_key +
                        " is not a PEM private key: " + openssl_reason());
  }
  if (mismatch || SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    throw TlsSetupError("--sslkey " + files.private_key + " does not match the certificate in " +
                        files.certificate_chain);
  }
  if (!files.client_ca.empty()) load_client_ca(native, files.client_ca);
  warning = validity_warning(native, files.certificate_chain);
  return context;
}

void TlsContextStore::reload(std::string& warning) {
  TlsContextPtr fresh = make_tls_context(files_, warning);  // throws: the old one stays
  std::lock_guard lock(mutex_);
  current_ = std::move(fresh);
}

std::string peer_certificate_subject(ssl_st* connection) {
  X509* certificate = SSL_get0_peer_certificate(connection);
  if (certificate == nullptr) return {};
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return {};
  X509_NAME_print_ex(out, X509_get_subject_name(certificate), 0,
                     XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string subject(data, static_cast<std::size_t>(length));
  BIO_free(out);
  return subject;
}

}  // namespace wsexec
