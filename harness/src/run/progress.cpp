#include "run/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace qharness {
namespace {

std::string seconds_text(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, int(s) % 3600 / 60);
  return buf;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Progress::Progress(std::size_t total) : total_(total), live_(isatty(STDERR_FILENO)) {
  if (live_) ticker_ = std::thread([this] { tick_loop(); });
}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::string Progress::eta_text() const {
  double elapsed = since(begin_);
  std::string s = "elapsed " + seconds_text(elapsed);
  if (finished_ > 0 && finished_ < total_)
    s += ", ETA " + seconds_text(finished_wall_s_ / double(finished_) * double(total_ - finished_));
  return s;
}

void Progress::start_trial(std::size_t position, const std::string& label) {
  std::lock_guard<std::mutex> lock(mutex_);
  position_ = position;
  label_ = label;
  trial_begin_ = std::chrono::steady_clock::now();
  running_ = true;
  wake_.notify_all();
}

void Progress::finish_trial(const std::string& status, double wall_s, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
  ++finished_;
  finished_wall_s_ += wall_s;
  const int width = int(std::to_string(total_).size());
  if (live_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "[%*zu/%zu] %-6s %7s  %s  (%s)%s%s\n", width, position_, total_, status.c_str(),
               seconds_text(wall_s).c_str(), label_.c_str(), eta_text().c_str(), detail.empty() ? "" : ": ",
               detail.c_str());
  std::fflush(stderr);
}

void Progress::tick_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500));
    if (stop_ || !running_) continue;
    const int width = int(std::to_string(total_).size());
    std::fprintf(stderr, "\r\033[K[%*zu/%zu] running %7s  %s  (%s)", width, position_, total_,
                 seconds_text(since(trial_begin_)).c_str(), label_.c_str(), eta_text().c_str());
    std::fflush(stderr);
  }
}

}  // namespace qharness
