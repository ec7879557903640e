#pragma once
// A lock on an experiment's results folder, so that two `qharness run`s of one experiment do
// not both run every trial, and `merge` does not rewrite the experiment file under a run.
//
// The lock is a file, results/<name>/locks/<scope>.lock, that names its holder (host, pid,
// the process's start, since when). It is created with link(2), which is atomic and fails
// when the file exists on local file systems and on NFS and Lustre alike, where HDF5's own
// file locks (and often fcntl's) are turned off. Scopes: "all" (a whole run, a merge) and
// "shard-I-of-N"; shards of one N run side by side, any other pair of scopes excludes each
// other (shards of different N share trials).
//
// A lock whose holder is gone is stale and taken over with a note: on the same host the
// holder is gone when no process has its pid and start time (or the host rebooted); on
// another host, when its heartbeat stopped: the holder touches its lock file every
// `heartbeat` and a lock untouched for `stale_after` (measured against the file server's
// clock) is stale. Two conflicting runs that start at the same moment both see each other;
// the later (by start time, then host and pid) gives way.
#include <boost/filesystem.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace qharness {

// Which trials a process works on.
struct LockScope {
  int shard_index = 0;
  int shard_count = 1;   // 1 = every trial
  std::string name() const;                      // "all" | "shard-I-of-N"
  bool excludes(const LockScope& other) const;   // both may touch one trial
  static LockScope parse(const std::string& name);   // throws std::invalid_argument
};

// What a lock file says about its holder.
struct LockHolder {
  std::string host;
  long pid = 0;
  std::string boot_id;          // /proc/sys/kernel/random/boot_id of the holder's host
  long long process_start = 0;  // field 22 of /proc/<pid>/stat: clock ticks after boot
  std::string since;            // ISO 8601, UTC
  long long since_ns = 0;       // the same, in ns since the epoch (the tie-break)
  std::string scope;
  std::string command;          // "run" | "merge"
  std::string file;             // the lock file it was read from

  std::string describe() const;   // "qharness run (shard 1/4) by pid 12 on host h since ..."
  bool is_this_process() const;
};

class RunLock {
 public:
  struct Options {
    // How often the holder touches its lock file, and after how long without a touch a lock
    // of another host counts as stale.
    std::chrono::milliseconds heartbeat{std::chrono::seconds(30)};
    std::chrono::milliseconds stale_after{std::chrono::minutes(10)};
  };

  // Takes the lock of `scope` in `locks_dir` (created if missing) for `command`. Throws
  // LockHeld (a ConfigError: exit 2) naming the holder when a live process holds an
  // excluding scope. Stale locks are removed; `notes` gets one line for each.
  RunLock(const boost::filesystem::path& locks_dir, const LockScope& scope, const std::string& command,
          std::vector<std::string>& notes, Options options);
  RunLock(const boost::filesystem::path& locks_dir, const LockScope& scope, const std::string& command,
          std::vector<std::string>& notes)
      : RunLock(locks_dir, scope, command, notes, Options{}) {}
  ~RunLock();   // stops the heartbeat and removes the lock file
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const boost::filesystem::path& file() const { return file_; }

  // The holders of the live locks in `locks_dir` (stale ones are left out, not removed).
  static std::vector<LockHolder> live_holders(const boost::filesystem::path& locks_dir, Options options);
  static std::vector<LockHolder> live_holders(const boost::filesystem::path& locks_dir) {
    return live_holders(locks_dir, Options{});
  }

 private:
  void heartbeat_loop();

  boost::filesystem::path file_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace qharness
