// A private temporary directory per test, for throwaway child scripts and
// the files they write (pids, markers). Removed with everything in it when
// the object goes out of scope.
#pragma once

#include <string>
#include <string_view>

namespace wsexec_test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of an entry inside the directory (which need not exist yet).
  std::string file(std::string_view name) const;
  // Writes a file (replacing any old one) and returns its path.
  std::string write_file(std::string_view name, std::string_view content, unsigned mode = 0644);
  // Writes an executable bash script: "#!/bin/bash" followed by body.
  std::string write_script(std::string_view name, std::string_view body);

 private:
  std::string path_;
};

}  // namespace wsexec_test
