#include "test_pki.hpp"

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "server_process.hpp"

namespace wsexec_test {

namespace {

// Generation is quick (EC keys), but the machine may be loaded.
constexpr Millis kScriptTimeout = 60000ms;

// `pki.sh all` makes the whole set; `pki.sh server NAME CN SERIAL` issues
// one more server certificate from the intermediate. Works in its own
// directory.
constexpr const char* kScript = R"SH(
set -euo pipefail
cd "$(dirname "$0")"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

server_extensions() {
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' > server.ext
}

# server NAME CN SERIAL: NAME-fullchain.pem (leaf + intermediate), NAME-privkey.pem
server() {
  server_extensions
  key "$1-privkey.pem"
  openssl req -new -key "$1-privkey.pem" -subj "/O=wsexec test/CN=$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA intermediate.pem -CAkey intermediate.key \
    -set_serial "$3" -days 2 -extfile server.ext -out "$1-cert.pem"
  cat "$1-cert.pem" intermediate.pem > "$1-fullchain.pem"
}

# ca NAME CN: a self-signed root
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.pem" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
}

# client NAME SUBJECT CA SERIAL
client() {
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth' > client.ext
  key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "$4" -days 2 \
    -extfile client.ext -out "$1-cert.pem"
}

all() {
  ca ca 'wsexec test root CA'
  key intermediate.key
  openssl req -new -key intermediate.key -subj '/CN=wsexec test intermediate CA' \
    -out intermediate.csr
  printf '%s\n' 'basicConstraints=critical,CA:TRUE,pathlen:0' \
    'keyUsage=critical,keyCertSign,cRLSign' > intermediate.ext
  openssl x509 -req -in intermediate.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 \
    -extfile intermediate.ext -out intermediate.pem

  server server localhost 1000
  client client '/O=Example/CN=alice' ca 3000
  ca other-ca 'wsexec test other CA'
  client other-client '/O=Elsewhere/CN=mallory' other-ca 4000

  # `openssl x509` (3.0) cannot backdate a certificate; `openssl ca` can.
  mkdir -p expired-ca
  : > expired-ca/index.txt
  echo 2000 > expired-ca/serial
  cat > expired-ca/ca.cnf <<'CNF'
[ ca ]
default_ca = expired_ca
[ expired_ca ]
database = expired-ca/index.txt
new_certs_dir = expired-ca
serial = expired-ca/serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
[ any_name ]
commonName = supplied
organizationName = optional
[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
CNF
  key expired-privkey.pem
  openssl req -new -key expired-privkey.pem -subj '/O=wsexec test/CN=localhost' -out expired.csr
  openssl ca -batch -notext -config expired-ca/ca.cnf -cert intermediate.pem \
    -keyfile intermediate.key -in expired.csr -out expired-cert.pem \
    -startdate 20200101000000Z -enddate 20200102000000Z -extensions server_ext
  cat expired-cert.pem intermediate.pem > expired-fullchain.pem

  key unrelated-key.pem
  printf '%s\n' '-----BEGIN CERTIFICATE-----' 'bm90IGEgY2VydGlmaWNhdGUsIGp1c3QgZ2FyYmFnZQ==' \
    '-----END CERTIFICATE-----' > garbage.pem
}

"$@"
)SH";

}  // namespace

TestPki::TestPki() {
  script_ = dir_.write_script("pki.sh", kScript);
  run_script({"all"});
  ca_certificate = dir_.file("ca.pem");
  intermediate_certificate = dir_.file("intermediate.pem");
  server = {dir_.file("server-fullchain.pem"), dir_.file("server-privkey.pem")};
  client = {dir_.file("client-cert.pem"), dir_.file("client-key.pem")};
  other_ca_certificate = dir_.file("other-ca.pem");
  other_client = {dir_.file("other-client-cert.pem"), dir_.file("other-client-key.pem")};
  expired_server = {dir_.file("expired-fullchain.pem"), dir_.file("expired-privkey.pem")};
  unrelated_key = dir_.file("unrelated-key.pem");
  garbage_pem = dir_.file("garbage.pem");
}

void TestPki::run_script(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {script_};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult result = run_program("/bin/bash", argv, kScriptTimeout);
  if (!result.status || !result.status->exited || result.status->code != 0) {
    throw std::runtime_error("generating the test PKI failed (" +
                             (result.status ? describe(*result.status) : "timed out") + "):\n" +
                             result.out + result.err);
  }
}

CertificateFiles TestPki::issue_server_certificate(const std::string& common_name) {
  const std::string name = "issued" + std::to_string(++issued_);
  run_script({"server", name, common_name, std::to_string(5000 + issued_)});
  return {dir_.file(name + "-fullchain.pem"), dir_.file(name + "-privkey.pem")};
}

TestPki& shared_pki() {
  static const std::unique_ptr<TestPki> pki = std::make_unique<TestPki>();
  return *pki;
}

std::string copy_file_atomically(const std::string& from, const std::string& to) {
  const std::string partial = to + ".partial";
  std::filesystem::copy_file(from, partial, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::rename(partial, to);
  return to;
}

}  // namespace wsexec_test
