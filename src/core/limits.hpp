#pragma once
// Every internal limit and timeout of the server, with the reason for its
// value. The I/O code names these instead of writing numbers; a reader who
// wants to know "how long does X get?" or "how much can Y hold?" looks here.
// (Limits a user sets are options: Config.)
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace wsexec::limits {

using std::chrono::milliseconds;
using std::chrono::seconds;

// ---- The HTTP side -------------------------------------------------------

// A client has this long to finish the TLS handshake and then to send a
// complete request head: slow clients are dropped instead of holding a
// connection (and a descriptor) forever.
inline constexpr seconds kRequestHeadTimeout{10};
// Larger request heads get 431. Browsers send well under 8 KiB; twice that
// leaves room for large cookies without letting a client make us buffer much.
inline constexpr std::uint32_t kMaxRequestHeadBytes = 16 * 1024;
// Time allowed to write one response of our own (errors, redirects, the dev
// console): a client that does not read it is dropped.
inline constexpr seconds kResponseTimeout{10};
// The HTTP version of an answer to a request whose head could not be parsed
// (there is no version to echo): 1.1, as Beast encodes it.
inline constexpr unsigned kFallbackHttpVersion = 11;
// Before closing a connection whose request body we did not read, what is
// still arriving is read and dropped for this long, up to this much, so the
// client's bytes do not turn into a reset that destroys our response
// ("lingering close", as Apache and nginx do).
inline constexpr milliseconds kLingerTime{1000};
inline constexpr std::size_t kMaxLingerBytes = 1 << 20;
inline constexpr std::size_t kLingerReadBytes = 4096;
// The TLS close_notify exchange at the end of a connection: a client that
// does not answer within this time is closed anyway.
inline constexpr seconds kTlsShutdownTimeout{1};

// ---- Static files ----------------------------------------------------------

// Files are sent in pieces of this size: large enough for few system calls,
// small enough that a connection sending a large file holds little memory.
inline constexpr std::size_t kFileChunkBytes = 64 * 1024;
// The client has this long to take each piece of a file.
inline constexpr seconds kFileWriteTimeout{30};

// ---- CGI -------------------------------------------------------------------

// The largest request body a script is given; larger ones get 413. Uploads
// to a CGI script bigger than this belong on a real upload service.
inline constexpr std::uint64_t kMaxCgiBodyBytes = 64ull << 20;
// A script has this long to print its header block; then it is ended and the
// client gets 504 (nginx's fastcgi_read_timeout default is the same minute).
inline constexpr seconds kCgiHeaderTimeout{60};
// The client has this long to take each piece of a CGI response.
inline constexpr seconds kCgiWriteTimeout{30};
// The script's output and the request body move in pieces of this size.
inline constexpr std::size_t kCgiChunkBytes = 64 * 1024;
// After its headers, a script whose whole output arrives within this moment
// (and within one piece) is answered in one write with a Content-Length, as
// a short page should be; anything longer or slower is streamed. Short
// enough that a streaming script's first line is not noticeably held back.
inline constexpr milliseconds kCgiWholeResponseWait{10};
// A CGI script's local redirect may lead to another; this many at most,
// then 508, so two scripts redirecting to each other cannot loop.
inline constexpr int kMaxLocalRedirects = 4;

// ---- WebSocket ---------------------------------------------------------------

// The opening handshake (our 101) and the closing one must each finish in
// this time, or the client is dropped. Generous for a round trip, short
// enough that abandoned handshakes do not pile up.
inline constexpr milliseconds kHandshakeTimeout{1500};
// Reads from a child's stdout go through one buffer of this size per
// thread: an idle connection then holds no read buffer at all, only what a
// line in progress needs. 64 KiB is a pipe's default capacity.
inline constexpr std::size_t kChildReadChunkBytes = 64 * 1024;
// A child's stdin or stdout pipe that carries a bulk stream (a read that
// fills kChildReadChunkBytes, a write of a default pipe's capacity) is grown
// to this many bytes, once: a quarter of the round trips between the server
// and the program per MiB (binary 1 MiB messages +26 %, 64 KiB +21 %: see
// docs/performance.md, "Pipes that grow for a bulk stream"). Light
// connections keep the default 64 KiB, which is what the kernel charges
// against the user's pipe budget (/proc/sys/fs/pipe-user-pages-soft).
inline constexpr std::size_t kBulkPipeBytes = 256 * 1024;
// At most this many pipes are grown at a time in the whole server
// (process/pipe_capacity.hpp): 64 x 48 extra pages of the user's 16,384.
inline constexpr std::size_t kMaxGrownPipes = 64;
// What an idle connection sets aside for the client's next message; a longer
// message is read to its end once it is arriving.
inline constexpr std::size_t kWaitingReadBytes = 256;
// Lines from one read of the child's output are held and sent together, up
// to this many bytes at a time (one TCP write instead of one per line).
inline constexpr std::size_t kCorkedBytesLimit = 64 * 1024;
// Client messages queued for a child's stdin: past this many bytes the
// client is no longer read (back-pressure). A pipe's capacity.
inline constexpr std::size_t kStdinQueueHighWater = 64 * 1024;
// When a program's stdin is to be closed (the ladder's first step) while it
// still has bytes to read in the pipe, the pipe is looked at this often, and
// closed (its EOF) once empty (process/stdin_feeder.cpp): the ladder waits
// while the program reads. Its last read sees the EOF this much later at
// most; a program that had read everything gets it at once.
inline constexpr milliseconds kStdinDrainCheck{5};
// Read ahead from a client's socket when a read fills what Beast asked for
// (src/websocket/read_ahead.hpp): a pipelined batch of small messages then
// comes in with one recvmsg instead of one per message and a half. Held only
// until Beast takes it; while reads are paused (the stdin queue is full) a
// connection holds at most this much beyond the queue.
inline constexpr std::size_t kReadAheadBytes = 64 * 1024;

// Once a session is ending (the client's close frame read, its reads ended,
// or our close on its way), a write of ours that the client takes nothing
// of for this long closes its socket (websocket/ending_write_watch.hpp): a
// client that sends its close, or half-closes, and then reads nothing would
// otherwise keep the session, its program's exit unreaped and a --maxforks
// slot for as long as it stayed connected. A client that takes even a
// little in each check is never cut off, however long its output takes.
// Checked every kEndingWriteCheck, so the socket closes between the stall
// and one check later.
inline constexpr milliseconds kEndingWriteStall{5000};
inline constexpr milliseconds kEndingWriteCheck{1000};

// After a closing handshake the client began, Beast half-closes our side and
// waits for the client's FIN (over TLS, its close_notify) with no limit (one
// we began is bounded by its handshake timeout): a client that
// keeps its end open would keep its session and its program's zombie. Each
// worker's TeardownSweep (server/teardown_sweep.hpp) ticks every
// kTeardownSweepPeriod and closes the sockets that have waited through two
// ticks: a client has one to two periods to end TCP, a real one takes a
// round trip.
inline constexpr milliseconds kTeardownSweepPeriod{1000};

// ---- Shared programs (--shared) ----------------------------------------------

// A shared program's stdin is written in turns, one whole message per client
// per round, up to this many bytes per write: a pipe's capacity, so one
// write rarely blocks, and a round spans many clients when they are busy.
inline constexpr std::size_t kSharedInputTurnBytes = 64 * 1024;
// A client of a shared program is not read while this many of its bytes
// wait for the program's stdin (back-pressure per client, as
// kStdinQueueHighWater is per connection): the program's memory for its
// clients' input stays bounded, and a flooding client pauses alone.
inline constexpr std::size_t kSharedClientInputBytes = 64 * 1024;
// While a client's reads are paused (its program's stdin is full), it is
// pinged after this long, then at twice the wait each time up to the
// second value (websocket/paused_client_probe.hpp): a client that has left
// is let go within about a second of a short pause, and a client paused
// for long gets a 2-byte ping (and sends a 6-byte pong) twice a minute.
inline constexpr milliseconds kPausedClientCheck{1000};
inline constexpr milliseconds kPausedClientCheckMax{30000};

// A client closed for falling behind (--sendqueue) gets this long to take
// our close frame; then its socket is closed under it, so a client that
// reads nothing at all cannot hold its connection open.
inline constexpr milliseconds kSlowClientCloseGrace{1000};

// ---- Ending a program ------------------------------------------------------

// The termination ladder (core/termination_ladder.cpp): each step is taken
// only if the program is still running, then waits this long (plus
// --closems) for it to exit. The steps are websocketd's; the waits are ours:
// a line-oriented program sees EOF and exits within a few milliseconds, so
// 100 ms is ample before SIGINT; SIGINT and SIGTERM get longer for programs
// that clean up; after SIGKILL the wait only decides when "did not exit" is
// logged (a process in uninterruptible sleep cannot die sooner). The wait
// after closing stdin goes on, a window of its length at a time, while the
// program is still reading what it was sent (ChildSupervisor), so a slow
// reader is not signalled with the client's last messages unread.
inline constexpr milliseconds kLadderAfterCloseStdin{100};
// ... but at most this long in all: a program that takes a little of its
// input in every window cannot keep its --maxforks slot for ever after
// its client has gone.
inline constexpr milliseconds kLadderWhileReadingMax{30000};
inline constexpr milliseconds kLadderAfterSigint{250};
inline constexpr milliseconds kLadderAfterSigterm{500};
inline constexpr milliseconds kLadderAfterSigkill{1000};

// ---- The server --------------------------------------------------------------

// On SIGINT/SIGTERM, the time connections get to close (1001) and their
// programs to end through the ladder (about 1 s) before the server exits.
inline constexpr milliseconds kStopDeadline{2500};
// After accept() fails (EMFILE, ENFILE, ENOMEM) the acceptor waits this long
// before trying again: short enough to resume promptly when descriptors
// free up, long enough not to spin a core on a full descriptor table.
inline constexpr milliseconds kAcceptRetryPause{50};
// Under systemd (Type=notify), how often STATUS= may report the live
// connection count, and only when it changed: `systemctl status` is read by
// people, for whom a second is current, while a message per connection
// would cost a datagram and a wake-up of PID 1 each.
inline constexpr milliseconds kNotifyStatusInterval{1000};

// ---- Compression (--compress, permessage-deflate) ----------------------------

// Beast keeps a compressor and a decompressor per compressed connection, for
// the connection's whole life: their size is what an idle compressed
// connection costs, so the windows are small. Beast 1.74 compresses each
// message on its own (it empties the dictionary after every message, see
// websocket/negotiation.cpp), so the window only serves within a message:
// 2^11 = 2 KiB (zlib's default is 32 KiB) loses little there (64 KiB chunks
// of JSON lines: 82.7 % saved against 84.0 % with zlib's defaults; a line
// shorter than the window: no difference), and the compressor's buffers
// (window, match chains, hash heads, pending literals) take 12 KiB instead
// of 256 KiB. docs/performance.md, "Compression", has the measured figures.
inline constexpr int kDeflateServerWindowBits = 11;
// zlib's memLevel: 3 gives a 1,024-entry hash and 512-symbol blocks (the
// default, 8, takes 240 KiB more with the window above for 1.3 points).
inline constexpr int kDeflateMemoryLevel = 3;
// zlib's default trade of time for size (Beast's default, 8, is slower for
// little gain on text).
inline constexpr int kDeflateLevel = 6;
// The window we ask a client to compress with, when its offer lets us choose
// (it names client_max_window_bits): our decompressor then keeps 2 KiB, not
// 32 KiB. A client whose offer does not name it (RFC 7692 7.1.2.2: it then
// uses 32 KiB) is still accepted, with the 32 KiB window.
inline constexpr int kDeflateClientWindowBits = 11;
// ---- Terminals (--pty) -----------------------------------------------------

// A terminal's size when the URL does not give one: the VT100's, which is
// what programs assume of a terminal that says nothing.
inline constexpr unsigned kDefaultTerminalColumns = 80;
inline constexpr unsigned kDefaultTerminalRows = 24;
// The largest side a client may ask for (URL or resize message); larger
// values are cut to it. The kernel stores sides as 16-bit numbers, and a
// program that allocates a screen buffer of cols x rows must not be led
// into gigabytes by one message: 1000 x 1000 cells is beyond any real
// screen and a few MiB at most for a full-screen program.
inline constexpr unsigned kMaxTerminalSide = 1000;

}  // namespace wsexec::limits

// ---- The metrics listener (--metrics) ----------------------------------------

namespace wsexec::limits {

// A scrape is one small request and one answer; a scraper that takes longer
// than this is dropped rather than holding a descriptor. Prometheus's own
// default scrape timeout is 10 s.
inline constexpr seconds kMetricsExchangeTimeout{10};
// Scrapes are GETs without bodies; a request head larger than this is not
// a scraper's.
inline constexpr std::uint32_t kMaxMetricsRequestHeadBytes = 8 * 1024;
// Open scrape connections at once; more are closed at accept. A few
// Prometheus servers and a health checker need a handful.
inline constexpr std::size_t kMaxMetricsConnections = 32;

// ---- The spawn helpers (spawn_helpers.hpp) ------------------------------------

// The most a spawn request (executable, argv, environment) may carry to a
// helper. Linux refuses more than 32 pages per string and, by default, a
// quarter of the stack limit (2 MiB) for all of them at exec: 4 MiB is
// beyond anything exec would take, so only a request exec would refuse
// anyway (with the same E2BIG) is refused here.
inline constexpr std::size_t kMaxSpawnRequestBytes = 4 << 20;
// A helper answers within the time its child takes to exec (under a
// millisecond; a large program on a slow disk, a few). One silent for this
// long is taken for stuck, killed and replaced, so a spawner thread (and
// the sessions behind it) never waits for it forever.
inline constexpr seconds kSpawnHelperAnswerTimeout{10};

// ---- Start-up ----------------------------------------------------------------

// A --config file larger than this is refused: real ones are a few hundred
// bytes, and the cap keeps --config=/dev/zero (or a log file named by
// mistake) from filling memory before anything is checked.
inline constexpr std::size_t kMaxConfigFileBytes = 1 << 20;

// ---- The HTTP fallback transport (--sse) -------------------------------------

// With --pingms=0 an idle event stream still gets a comment this often:
// proxies close a response that says nothing for a minute or so (nginx's
// proxy_read_timeout default is 60 s), and EventSource would reconnect.
inline constexpr seconds kSseDefaultKeepAlive{15};
// While a client is attached, the program is not read once this many bytes
// of events wait to be written to it: the same back-pressure a WebSocket
// client's slow reading applies (a few pipe reads' worth).
inline constexpr std::size_t kSseUnsentHighWater = 256 * 1024;
// The client has this long to take each write of its event stream.
inline constexpr seconds kSseWriteTimeout{30};

// ---- Resume for WebSocket clients (wsexec.v1) ------------------------------

// A resumable WebSocket's reader, waiting for the program's input to have
// room for its message, looks this often whether its stream has ended
// meanwhile (the answer that wakes it may never come once a newer stream
// of the session took the input's one waiting place).
inline constexpr milliseconds kWsResumeInputRecheck{1000};

}  // namespace wsexec::limits
