// A throwaway public key infrastructure for the TLS tests, made at run time
// with the openssl command in a private temporary directory (no private key
// is ever committed): a root CA and an intermediate, server certificates in
// Let's Encrypt's fullchain.pem/privkey.pem form, client certificates for
// mutual TLS, and the broken files that start-up must refuse.
#pragma once

#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace wsexec_test {

// Paths of a certificate (chain) file and its private key.
struct CertificateFiles {
  std::string certificate;
  std::string key;
};

class TestPki {
 public:
  // Generates everything; throws std::runtime_error with openssl's output
  // if that fails.
  TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_.path(); }

  // The root CA: what clients trust, and what --sslca names for mutual TLS.
  std::string ca_certificate;
  // The intermediate CA that signs server certificates (its certificate is
  // the second one in every fullchain).
  std::string intermediate_certificate;
  // For DNS:localhost, IP:127.0.0.1 and IP:::1, subject
  // "CN=localhost,O=wsexec test"; the chain holds the leaf, then the
  // intermediate.
  CertificateFiles server;
  // Subject "CN=alice,O=Example", signed by the root CA.
  CertificateFiles client;
  // An unrelated CA, and a client certificate it signed
  // ("CN=mallory,O=Elsewhere").
  std::string other_ca_certificate;
  CertificateFiles other_client;
  // A server certificate (with chain) valid only on 1-2 January 2020.
  CertificateFiles expired_server;
  // A private key that belongs to no certificate here.
  std::string unrelated_key;
  // PEM armour around bytes that are no certificate, key or anything else.
  std::string garbage_pem;

  // Issues another server certificate (fullchain, same intermediate, same
  // names) with subject "CN=<common_name>,O=wsexec test" and a new serial.
  CertificateFiles issue_server_certificate(const std::string& common_name);

 private:
  void run_script(const std::vector<std::string>& args);

  TempDir dir_;
  std::string script_;
  int issued_ = 0;
};

// One PKI for the whole test program (generation takes a moment); tests
// that change files copy them into their own directory first.
TestPki& shared_pki();

// Copies a file, replacing the target through a rename so that a reader
// never sees half of it, and returns the target path.
std::string copy_file_atomically(const std::string& from, const std::string& to);

}  // namespace wsexec_test
