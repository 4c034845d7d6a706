#pragma once
// A shared program's output encoded once as WebSocket frames, for all its
// clients: each client's write then copies bytes instead of running a
// Beast write per message per client (the cost that bounded the fan-out,
// docs/performance.md "Shared programs").
#include <string>
#include <vector>

namespace wsexec {

// Each message as one unmasked, final, uncompressed server frame (text or
// binary), back to back. The headers come from Beast's own frame writer.
std::string encode_frames(const std::vector<std::string>& messages, bool binary);

}  // namespace wsexec
