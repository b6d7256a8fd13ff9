// h5.h: a thin RAII layer over the HDF5 C API for checkpoints: files,
// groups, float datasets with shapes, and scalar/string attributes. Every
// failure names the file and the object.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace xfer {

// The one process-wide HDF5 lock. Debian's HDF5 is built without thread
// safety, so every HDF5 call in the process (the loader's reader thread,
// checkpoints, shard writers) is made while holding it (recursive: helpers nest).
std::recursive_mutex& h5_mutex();
using H5Lock = std::lock_guard<std::recursive_mutex>;

}  // namespace xfer

namespace xfer::h5 {

// Owns one HDF5 identifier and closes it with the right call.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

class File {
 public:
  static File create(const std::string& path);  // truncates
  // A file built in memory only (HDF5's core driver): no disk I/O happens
  // until image() is written out by the caller, so a full disk is a write
  // error of ours with errno, never a half-closed HDF5 file.
  static File create_in_memory(const std::string& name);
  static File open_read(const std::string& path);
  const std::string& path() const { return path_; }
  hid_t id() const { return h_.get(); }

  bool exists(const std::string& object) const;
  void write_floats(const std::string& name, const std::vector<hsize_t>& dims, const float* data);
  // Reads a float dataset; its shape must equal `dims` (the message names both).
  void read_floats(const std::string& name, const std::vector<hsize_t>& dims, float* data) const;
  std::vector<hsize_t> dims(const std::string& name) const;
  // The bytes of the whole file as it would be on disk (flushes first).
  std::vector<char> image();

  void set_attr(const std::string& name, int64_t v);
  void set_attr(const std::string& name, const std::string& v);
  void set_attr(const std::string& name, const std::vector<uint64_t>& v);
  int64_t attr_int(const std::string& name) const;
  std::string attr_string(const std::string& name) const;
  std::vector<uint64_t> attr_u64s(const std::string& name) const;
  bool has_attr(const std::string& name) const;

 private:
  std::string path_;
  Handle h_;
};

// Silences HDF5's own error stack printing; our messages replace it.
void quiet_errors();

}  // namespace xfer::h5
