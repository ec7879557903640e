#include "run/run_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "config/config_error.hpp"
#include "util/host.hpp"
#include "util/text.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string boot_id() { return trim(read_first_line("/proc/sys/kernel/random/boot_id")); }

// Field 22 of /proc/<pid>/stat (the process's start, in clock ticks after boot), or -1 when
// there is no such process. The command name (field 2) may hold spaces: fields are counted
// after its closing parenthesis.
long long process_start(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (text.empty() || close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i)
    if (i == 22) return std::stoll(field);
  return -1;
}

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string holder_text(const LockHolder& h) {
  std::ostringstream out;
  out << "host=" << h.host << "\npid=" << h.pid << "\nboot_id=" << h.boot_id << "\nprocess_start=" << h.process_start
      << "\nsince=" << h.since << "\nsince_ns=" << h.since_ns << "\nscope=" << h.scope << "\ncommand=" << h.command
      << "\n";
  return out.str();
}

// nullopt-like: a holder with pid 0 when the file is unreadable or incomplete.
LockHolder read_holder(const fs::path& file) {
  LockHolder h;
  h.file = file.string();
  std::ifstream in(file.string());
  std::map<std::string, std::string> kv;
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  h.host = kv["host"];
  h.boot_id = kv["boot_id"];
  h.since = kv["since"];
  h.scope = kv["scope"];
  h.command = kv["command"];
  h.pid = static_cast<long>(parse_whole_number(kv["pid"]).value_or(0));
  h.process_start = parse_whole_number(kv["process_start"]).value_or(0);
  h.since_ns = parse_whole_number(kv["since_ns"]).value_or(0);
  return h;
}

LockHolder this_process(const LockScope& scope, const std::string& command) {
  LockHolder h;
  h.host = this_host();
  h.pid = static_cast<long>(::getpid());
  h.boot_id = boot_id();
  h.process_start = process_start(h.pid);
  h.since = utc_now_iso8601();
  h.since_ns = now_ns();
  h.scope = scope.name();
  h.command = command;
  return h;
}

// The file server's "now": the modification time of a file touched just now in `dir`.
std::time_t server_now(const fs::path& dir) {
  const fs::path probe = dir / (".clock-" + this_host() + "-" + std::to_string(::getpid()));
  { std::ofstream touch(probe.string()); }
  boost::system::error_code ec;
  const std::time_t t = fs::last_write_time(probe, ec);
  fs::remove(probe, ec);
  return t;
}

// Why the holder's lock is stale ("" = it is live).
std::string staleness(const LockHolder& h, const fs::path& lock_file, std::chrono::milliseconds stale_after,
                      std::time_t now) {
  if (h.pid <= 0 || h.host.empty()) return "its lock file is incomplete";
  if (h.host == this_host()) {
    if (h.boot_id != boot_id()) return "its host has rebooted since";
    if (process_start(h.pid) != h.process_start) return "its process is gone";
    return "";
  }
  boost::system::error_code ec;
  const std::time_t touched = fs::last_write_time(lock_file, ec);
  if (ec) return "";  // vanished meanwhile: its holder finished
  const auto age = std::chrono::seconds(now - touched);
  if (age > stale_after)
    return "its heartbeat stopped " + std::to_string(age.count()) + " s ago (another host: its process cannot be checked)";
  return "";
}

// The order in which two conflicting runs that started together are served.
bool earlier(const LockHolder& a, const LockHolder& b) {
  return std::tie(a.since_ns, a.host, a.pid) < std::tie(b.since_ns, b.host, b.pid);
}

// link(2) `from` to `to`, atomically failing when `to` exists. Over NFS a link whose reply was
// lost reports an error although it was made: the link count of `from` tells.
bool link_exclusive(const fs::path& from, const fs::path& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return true;
  const int error = errno;
  if (error == EEXIST) return false;
  struct stat st {};
  if (::stat(from.c_str(), &st) == 0 && st.st_nlink == 2) return true;
  throw std::runtime_error("cannot create the lock '" + to.string() + "': " + std::strerror(error));
}

// Moves a stale lock away, checking that it is still the one judged stale (another newcomer
// may have replaced it meanwhile; then it is put back).
bool remove_stale(const fs::path& lock, const LockHolder& judged) {
  const fs::path moved = lock.string() + ".stale-" + this_host() + "-" + std::to_string(::getpid());
  if (::rename(lock.c_str(), moved.c_str()) != 0) return false;  // gone already
  const LockHolder now = read_holder(moved);
  if (now.pid == judged.pid && now.host == judged.host && now.since_ns == judged.since_ns) {
    fs::remove(moved);
    return true;
  }
  link_exclusive(moved, lock);
  fs::remove(moved);
  return false;
}

class LockHeld : public ConfigError {
 public:
  LockHeld(const fs::path& dir, const LockHolder& holder)
      : ConfigError(dir.parent_path().string() + "/ is in use by " + holder.describe() + " (lock " + holder.file +
                    "); wait for it to finish" +
                    (holder.host == this_host() ? "" : ", or remove the lock file if that process is gone")) {}
};

}  // namespace

std::string LockScope::name() const {
  if (shard_count <= 1) return "all";
  return "shard-" + std::to_string(shard_index) + "-of-" + std::to_string(shard_count);
}

bool LockScope::excludes(const LockScope& other) const {
  if (shard_count <= 1 || other.shard_count <= 1) return true;
  if (shard_count != other.shard_count) return true;  // 0/2 and 0/3 share trial 0
  return shard_index == other.shard_index;
}

LockScope LockScope::parse(const std::string& name) {
  if (name == "all") return {};
  int index = -1, count = -1;
  char tail = 0;
  if (std::sscanf(name.c_str(), "shard-%d-of-%d%c", &index, &count, &tail) == 2 && index >= 0 && count > index)
    return {index, count};
  throw std::invalid_argument("not a lock scope: '" + name + "'");
}

std::string LockHolder::describe() const {
  std::string what = "qharness " + (command.empty() ? std::string("run") : command);
  if (scope != "all" && !scope.empty()) what += " (" + scope + ")";
  return what + " by pid " + std::to_string(pid) + " on host " + host + " since " + since;
}

bool LockHolder::is_this_process() const {
  return host == this_host() && pid == static_cast<long>(::getpid());
}

RunLock::RunLock(const fs::path& locks_dir, const LockScope& scope, const std::string& command,
                 std::vector<std::string>& notes, Options options)
    : file_(locks_dir / (scope.name() + ".lock")), options_(options) {
  fs::create_directories(locks_dir);
  const LockHolder me = this_process(scope, command);
  // The complete file first, then its link under the lock's name: readers never see half.
  const fs::path draft = locks_dir / ("." + scope.name() + "." + me.host + "." + std::to_string(me.pid) + ".draft");
  {
    std::ofstream out(draft.string(), std::ios::trunc);
    out << holder_text(me);
    if (!out.flush()) throw std::runtime_error("cannot write the lock '" + draft.string() + "': " + std::strerror(errno));
  }
  auto conflict = [&](const LockHolder& h) {
    fs::remove(draft);
    throw LockHeld(locks_dir, h);
  };
  bool taken = false;
  for (int attempt = 0; attempt < 8 && !taken; ++attempt) {
    taken = link_exclusive(draft, file_);
    if (taken) break;
    const LockHolder holder = read_holder(file_);
    const std::string why = staleness(holder, file_, options_.stale_after, server_now(locks_dir));
    if (why.empty()) conflict(holder);
    if (remove_stale(file_, holder)) notes.push_back("took over the stale lock of " + holder.describe() + ": " + why);
  }
  fs::remove(draft);
  if (!taken) throw std::runtime_error("cannot take the lock '" + file_.string() + "': it keeps changing hands");

  // Other scopes that exclude this one: the live ones win, unless they started later than
  // this run (then they give way, seeing this lock).
  try {
    const std::time_t now = server_now(locks_dir);
    for (const auto& entry : fs::directory_iterator(locks_dir)) {
      const fs::path f = entry.path();
      if (f.extension() != ".lock" || f == file_) continue;
      LockScope other;
      try {
        other = LockScope::parse(f.stem().string());
      } catch (const std::invalid_argument&) {
        continue;
      }
      if (!scope.excludes(other)) continue;
      const LockHolder holder = read_holder(f);
      if (const std::string why = staleness(holder, f, options_.stale_after, now); !why.empty()) {
        if (remove_stale(f, holder)) notes.push_back("took over the stale lock of " + holder.describe() + ": " + why);
        continue;
      }
      if (earlier(holder, me)) throw LockHeld(locks_dir, holder);
    }
  } catch (...) {
    fs::remove(file_);
    throw;
  }
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

RunLock::~RunLock() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  boost::system::error_code ec;
  fs::remove(file_, ec);
}

void RunLock::heartbeat_loop() {
  std::unique_lock<std::mutex> guard(mutex_);
  while (!stop_.wait_for(guard, options_.heartbeat, [this] { return stopping_; }))
    ::utimensat(AT_FDCWD, file_.c_str(), nullptr, 0);  // the server's "now" on NFS
}

std::vector<LockHolder> RunLock::live_holders(const fs::path& locks_dir, Options options) {
  std::vector<LockHolder> out;
  if (!fs::is_directory(locks_dir)) return out;
  const std::time_t now = server_now(locks_dir);
  for (const auto& entry : fs::directory_iterator(locks_dir)) {
    if (entry.path().extension() != ".lock") continue;
    LockHolder h = read_holder(entry.path());
    if (staleness(h, entry.path(), options.stale_after, now).empty()) out.push_back(std::move(h));
  }
  return out;
}

}  // namespace qharness
