#pragma once
// A line per trial with index/total, elapsed time and ETA, on stderr. On a terminal, a live
// line shows the running trial's time, updated twice a second.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace qharness {

class Progress {
 public:
  explicit Progress(std::size_t total);
  ~Progress();
  void start_trial(std::size_t position, const std::string& label);   // position is 1-based
  void finish_trial(const std::string& status, double wall_s, const std::string& detail);

 private:
  void tick_loop();
  std::string eta_text() const;

  const std::size_t total_;
  const bool live_;
  const std::chrono::steady_clock::time_point begin_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point trial_begin_;
  std::size_t position_ = 0, finished_ = 0;
  double finished_wall_s_ = 0.0;
  std::string label_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool running_ = false, stop_ = false;
  std::thread ticker_;
};

}  // namespace qharness
