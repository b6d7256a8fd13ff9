// h5.h: small RAII wrappers over the HDF5 C API for the data shards, and the
// one process-wide lock that every HDF5 call in src/data/ is made under.
// Debian's HDF5 is built without thread safety, so two threads must never be
// inside the library at once; the loader's worker threads only touch memory.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "io/h5.h"  // h5_mutex(), H5Lock: the one process-wide HDF5 lock

namespace xfer {

// Turns off HDF5's automatic error printing; errors are reported by throwing.
void h5_silence_errors();

// Throws std::runtime_error("<context>: <what> (<innermost HDF5 message>)
// [source:line]"); `where` is the source location of the failing call.
[[noreturn]] void h5_fail(const std::string& what, const std::string& context,
                          const char* where = nullptr);

#define XFER_H5_STR2(x) #x
#define XFER_H5_STR(x) XFER_H5_STR2(x)
#define XFER_H5_WHERE __FILE__ ":" XFER_H5_STR(__LINE__)

// Checks the return of an HDF5 call (negative = failure) and names the call.
#define XFER_H5_CHECK(call, context)                                                    \
  do {                                                                                  \
    if ((call) < 0) ::xfer::h5_fail("HDF5 call failed: " #call, context, XFER_H5_WHERE); \
  } while (0)

// An owned hid_t of one HDF5 object kind; closes under the lock.
class H5Id {
 public:
  enum class Kind { File, Dataset, Dataspace, Datatype, Attribute, Plist, Group };
  H5Id() = default;
  H5Id(hid_t id, Kind kind) : id_(id), kind_(kind) {}
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  H5Id(H5Id&& o) noexcept : id_(o.id_), kind_(o.kind_) { o.id_ = H5I_INVALID_HID; }
  H5Id& operator=(H5Id&& o) noexcept;
  ~H5Id() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();
  // Closes now and returns HDF5's status (reset() ignores it): a file's close
  // writes its caches, so a writer must know whether that worked.
  herr_t close();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Kind kind_ = Kind::File;
};

// Checked constructors: `context` (usually the file name) goes into errors.
H5Id h5_checked(hid_t id, H5Id::Kind kind, const char* call, const std::string& context,
                const char* where = nullptr);
#define XFER_H5_OPEN(call, kind, context) \
  ::xfer::h5_checked((call), ::xfer::H5Id::Kind::kind, #call, context, XFER_H5_WHERE)

// Attributes on a file, group or dataset. Readers throw when the attribute is
// missing or has the wrong type, naming `context`.
void h5_write_attr_int(hid_t obj, const char* name, int64_t v, const std::string& context);
void h5_write_attr_str(hid_t obj, const char* name, const std::string& v,
                       const std::string& context);
void h5_write_attr_ints(hid_t obj, const char* name, const std::vector<int32_t>& v,
                        const std::string& context);
void h5_write_attr_strs(hid_t obj, const char* name, const std::vector<std::string>& v,
                        const std::string& context);
bool h5_has_attr(hid_t obj, const char* name);
int64_t h5_read_attr_int(hid_t obj, const char* name, const std::string& context);
std::string h5_read_attr_str(hid_t obj, const char* name, const std::string& context);
std::vector<int32_t> h5_read_attr_ints(hid_t obj, const char* name, const std::string& context);
std::vector<std::string> h5_read_attr_strs(hid_t obj, const char* name,
                                           const std::string& context);

// The dimensions of a dataset.
std::vector<hsize_t> h5_dims(hid_t dset, const std::string& context);

}  // namespace xfer
