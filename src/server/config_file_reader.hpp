#pragma once
// Reads the file --config names, for the pure parser (core/config_file).
#include <string>

namespace wsexec {

// The file's whole text. Throws ConfigError (exit 1) naming the file and the
// system's reason when it cannot be read (missing, a directory, no
// permission), or when it is larger than limits::kMaxConfigFileBytes.
std::string read_config_file(const std::string& path);

}  // namespace wsexec
