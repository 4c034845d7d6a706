#include "process/stderr_to_log.hpp"

#include "process/child_supervisor.hpp"
#include "process/output_pump.hpp"
#include "server/log.hpp"

namespace wsexec {
namespace {

// A pump whose sink is the log: each line at error level, at once.
class StderrToLog : public OutputSink, public std::enable_shared_from_this<StderrToLog> {
 public:
  StderrToLog(std::shared_ptr<ChildSupervisor> supervisor, std::string context)
      : supervisor_(std::move(supervisor)),
        context_(std::move(context)),
        pump_(supervisor_->child().stderr_pipe(), OutputStream::stderr_stream,
              OutputPump::Framing::lines, *this) {}

  void start() { pump_.start(); }

  void on_output(OutputPump& pump) override {
    while (auto line = pump.next_piece()) log_line(*line);
    pump.resume();
  }
  void on_output_end(OutputPump& pump) override {
    while (auto line = pump.last_piece()) log_line(*line);
  }
  std::shared_ptr<void> keep_alive() override { return shared_from_this(); }

 private:
  void log_line(std::string_view line) { log::write(LogLevel::error, "stderr", context_, line); }

  std::shared_ptr<ChildSupervisor> supervisor_;  // keeps the pipe open while we read it
  std::string context_;
  OutputPump pump_;
};

}  // namespace

void relay_stderr_to_log(std::shared_ptr<ChildSupervisor> supervisor, std::string log_context) {
  std::make_shared<StderrToLog>(std::move(supervisor), std::move(log_context))->start();
}

}  // namespace wsexec
