#include "http/static_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <memory>

#include "core/byte_range.hpp"
#include "core/content_type.hpp"
#include "core/http_date.hpp"
#include "core/limits.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

class FileHandle {
 public:
  explicit FileHandle(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

template <typename Stream>
asio::awaitable<bool> serve_static_file(Stream& stream, const RequestHead& request,
                                        const std::string& absolute_path,
                                        const std::string& log_context, ServerState& state) {
  const metrics::SessionMeter meter(SessionKind::static_file);
  FileHandle file(absolute_path);
  struct stat info {};
  http::response<http::empty_body> response;
  response.version(request.version());
  add_plain_response_headers(response, state.config, state.server_software);
  bool keep_alive = request.keep_alive();

  std::uint64_t first = 0;
  std::uint64_t length = 0;
  if (file.get() < 0 || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    // Gone or unreadable between the lookup and now.
    response.result(http::status::not_found);
  } else {
    const auto size = static_cast<std::uint64_t>(info.st_size);
    const std::int64_t modified = info.st_mtim.tv_sec;
    response.set(http::field::last_modified, format_http_date(modified));
    response.set(http::field::accept_ranges, "bytes");
    // A date in the future is not a validator (RFC 7232 section 3.3).
    const auto since = find_header(request, http::field::if_modified_since);
    const auto since_time = since ? parse_http_date(*since) : std::nullopt;
    const bool since_is_past = since_time && *since_time <= std::time(nullptr);
    if (since_is_past && not_modified_since(since, modified)) {
      response.result(http::status::not_modified);
    } else {
      const RangeRequest range = interpret_range(request.method() == http::verb::get
                                                     ? find_header(request, http::field::range)
                                                     : std::nullopt,
                                                 size);
      response.set(http::field::content_type, content_type_for(absolute_path));
      switch (range.kind) {
        case RangeRequest::Kind::whole:
          response.result(http::status::ok);
          length = size;
          break;
        case RangeRequest::Kind::partial:
          response.result(http::status::partial_content);
          first = range.range.first;
          length = range.range.last - range.range.first + 1;
          response.set(http::field::content_range, content_range(range.range, size));
          break;
        case RangeRequest::Kind::unsatisfiable:
          response.result(http::status::range_not_satisfiable);
          response.set(http::field::content_range, unsatisfied_content_range(size));
          break;
      }
    }
  }
  const bool has_body =
      response.result() == http::status::ok || response.result() == http::status::partial_content;
  if (response.result() != http::status::not_modified) {
    response.set(http::field::content_length, std::to_string(length));
  }
  response.keep_alive(keep_alive);

  std::string context = log_context;
  log::add_to_context(context, "status", std::to_string(response.result_int()));
  log::write(LogLevel::access, "http", context,
             response.result() == http::status::not_found ? "NOT FOUND" : "STATIC");
  metrics::responded(response.result_int());

  error_code ec;
  http::response_serializer<http::empty_body> serializer{response};
  beast::get_lowest_layer(stream).expires_after(limits::kFileWriteTimeout);
  co_await http::async_write_header(stream, serializer,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return false;
  if (!has_body || request.method() == http::verb::head) co_return keep_alive;

  // Allocated per transfer, not per connection: idle keep-alive connections
  // hold no file buffer.
  auto chunk = std::make_unique<char[]>(limits::kFileChunkBytes);
  std::uint64_t sent = 0;
  while (sent < length) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(limits::kFileChunkBytes, length - sent));
    const ssize_t n = ::pread(file.get(), chunk.get(), want, static_cast<off_t>(first + sent));
    if (n <= 0) co_return false;  // the file shrank: the promised length cannot be kept
    beast::get_lowest_layer(stream).expires_after(limits::kFileWriteTimeout);
    co_await asio::async_write(stream, asio::buffer(chunk.get(), static_cast<std::size_t>(n)),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    sent += static_cast<std::uint64_t>(n);
  }
  co_return keep_alive;
}

template asio::awaitable<bool> serve_static_file(PlainStream&, const RequestHead&,
                                                 const std::string&, const std::string&,
                                                 ServerState&);
template asio::awaitable<bool> serve_static_file(TlsStream&, const RequestHead&, const std::string&,
                                                 const std::string&, ServerState&);
template asio::awaitable<bool> serve_static_file(UnixStream&, const RequestHead&,
                                                 const std::string&, const std::string&,
                                                 ServerState&);

}  // namespace wsexec
