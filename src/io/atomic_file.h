// atomic_file.h: every file the project writes (results, checkpoints,
// manifests, shards, means) goes to a temporary name in the same folder and is
// renamed into place only after it was written, flushed, fsynced and closed
// without error. So a reader (or a killed writer) never sees half a file, an
// older complete file is never lost, and a full disk is an error message, not
// a damaged file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace xfer {

// "<path>.tmp.<host>.<pid>": unique per writer, in the same folder (same file
// system, so the rename is atomic).
std::string temp_path_for(const std::string& path);

// Writes `size` bytes to `fd` (named `path` in messages), retrying short
// writes; throws write_failure_message() on error.
void write_all(int fd, const void* data, size_t size, const std::string& path);
// fsync(fd), checked.
void fsync_checked(int fd, const std::string& path);

// fsyncs `tmp`, renames it onto `path` and fsyncs the folder. On any failure
// `tmp` is removed, `path` is untouched, and it throws.
void commit_file(const std::string& tmp, const std::string& path);
// Writes `size` bytes to the new file `tmp` and fsyncs and closes it, all
// checked; on failure removes `tmp` and throws, naming `path` (the file the
// user knows) and the room it needed.
void write_file_checked(const std::string& tmp, const void* data, size_t size,
                        const std::string& path);
// The whole temp-write-fsync-close-rename sequence for bytes in memory.
void write_file_atomic(const std::string& path, const void* data, size_t size);
void write_file_atomic(const std::string& path, const std::string& content);
// The same, with `check(tmp)` run on the whole, fsynced temporary file before
// the rename (a writer that reads its file back): when it throws, `tmp` is
// removed, `path` is untouched, and the exception goes on.
void write_file_atomic(const std::string& path, const void* data, size_t size,
                       const std::function<void(const std::string& tmp)>& check);

// Bytes an unprivileged writer may still use in the folder of `path`
// (statvfs f_bavail; UINT64_MAX when unknown).
uint64_t free_bytes(const std::string& path);

// One line for a failed write of `path`: with ENOSPC or EDQUOT (or when the
// folder has less room than `bytes_needed`) "no space left on device writing
// PATH (about N MB needed, M MB free)", else "cannot write PATH: <strerror>".
std::string write_failure_message(const std::string& path, int err, uint64_t bytes_needed = 0);

// Removes the temporary files of `path` ("<path>.tmp*") that writers other
// than this process left behind. Call it only while holding the lock that
// serialises writers of `path`: every other temp is then a dead writer's.
// Returns how many were removed.
int remove_stale_temps(const std::string& path);

}  // namespace xfer
