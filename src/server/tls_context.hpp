#pragma once
// The server's TLS settings: an OpenSSL context built from --sslcert,
// --sslkey and --sslca, checked at start-up, and swapped whole on SIGHUP so
// new connections get new certificates while open ones keep theirs.
//
// Only the context's name is declared here: the files that merely hand a
// context on (the server, the listeners) do not compile OpenSSL's and Asio's
// SSL headers. Those that build a stream on it (connection_streams.hpp) get
// the whole type from there.
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

struct ssl_st;

namespace boost::asio::ssl {
class context;
}

namespace wsexec {

struct TlsFiles {
  std::string certificate_chain;  // PEM: leaf first, then intermediates
  std::string private_key;        // PEM
  std::string client_ca;          // PEM; empty: no client certificates asked for
};

// A TLS file that cannot be used: one sentence naming the file and why.
class TlsSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

// Builds a server context: TLS 1.2 and 1.3 only, forward-secret AEAD cipher
// suites, ALPN http/1.1, session resumption, and with a client CA the
// requirement of a client certificate signed by it. Throws TlsSetupError.
// `warning` is set (not thrown) for an expired or not yet valid certificate.
TlsContextPtr make_tls_context(const TlsFiles& files, std::string& warning);

// The context for new connections. A reload never disturbs an open
// connection: its SSL object holds its own reference to the SSL_CTX it was
// made from (OpenSSL counts them), so the old context lives as long as any
// connection uses it. That stays true only while no Asio callback (verify,
// password) is installed on the context: Asio frees those with the object.
class TlsContextStore {
 public:
  TlsContextStore(TlsFiles files, TlsContextPtr initial)
      : files_(std::move(files)), current_(std::move(initial)) {}

  TlsContextPtr current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

  // Re-reads the files. On failure the old context stays and the error is
  // thrown (TlsSetupError); `warning` as for make_tls_context.
  void reload(std::string& warning);

 private:
  const TlsFiles files_;
  mutable std::mutex mutex_;
  TlsContextPtr current_;
};

// The client certificate's subject, RFC 2253 style ("CN=alice,O=Example"),
// or empty when the client sent none.
std::string peer_certificate_subject(ssl_st* connection);

}  // namespace wsexec
