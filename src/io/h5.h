// h5.h: the one layer over the HDF5 C API, for checkpoints, shards and mean
// images alike: the process-wide lock, an owning handle, checked calls whose
// errors name the failing call, the file, file:line, host and rank, and the
// file, dataset and attribute helpers the formats are written with.
//
// Lock discipline. Debian's HDF5 is built without thread safety, so two
// threads must never be inside the library at once. Every function here takes
// h5_mutex() itself (it is recursive, so a caller may hold it around a
// sequence of calls, and must hold it around any HDF5 call of its own). The
// loader's worker threads only touch memory.
//
// Strings. Everything written is variable-length UTF-8 (h5py reads str, not
// bytes); readers also accept fixed-length strings, as older checkpoints
// hold them.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace xfer {

// The one process-wide HDF5 lock (see above).
std::recursive_mutex& h5_mutex();
using H5Lock = std::lock_guard<std::recursive_mutex>;

// Turns off HDF5's automatic error printing; errors are reported by throwing.
void h5_silence_errors();

// Throws xfer::Error("<context>: <what> (<innermost HDF5 message>)") with
// `file`:`line` of the failing call, host and rank (core/check.h).
[[noreturn]] void h5_fail(const std::string& what, const std::string& context, const char* file,
                          int line);
#define XFER_H5_FAIL(what, context) ::xfer::h5_fail(what, context, __FILE__, __LINE__)

// Checks the return of an HDF5 call (negative = failure) and names the call.
#define XFER_H5_CHECK(call, context)                                          \
  do {                                                                        \
    if ((call) < 0) XFER_H5_FAIL("HDF5 call failed: " #call, context);        \
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

// Wraps the result of an HDF5 call that returns an identifier, failing (as
// XFER_H5_CHECK does) when it is negative.
H5Id h5_checked(hid_t id, H5Id::Kind kind, const char* call, const std::string& context,
                const char* file, int line);
#define XFER_H5_OPEN(call, kind, context) \
  ::xfer::h5_checked((call), ::xfer::H5Id::Kind::kind, #call, context, __FILE__, __LINE__)

// ---------------------------------------------------------------------------
// Files

// Opens `path` read-only; a missing, unreadable, truncated or non-HDF5 file
// is one message naming it.
H5Id h5_open_read(const std::string& path);
// A file built in memory only (HDF5's core driver, growing by `increment`
// bytes): no disk I/O happens, so the caller writes h5_file_image() with its
// own checked writes (io/atomic_file.h) and a full disk is an error message
// with errno, never a half-closed HDF5 file. `path` names it in messages.
H5Id h5_create_in_memory(const std::string& path, size_t increment);
// Opens the bytes of a whole file, read-only, from memory (the bytes must
// outlive the handle); `path` names it in messages.
H5Id h5_open_image(const std::string& path, std::vector<char>& bytes);
// The bytes of the whole file as it would be on disk (flushes first).
std::vector<char> h5_file_image(hid_t file, const std::string& context);

// Whether `object` ("/a/b/c") exists below `loc`, checked link by link.
bool h5_exists(hid_t loc, const std::string& object);

// ---------------------------------------------------------------------------
// Datasets

// The dimensions of a dataset.
std::vector<hsize_t> h5_dims(hid_t dset, const std::string& context);
// The same, refused (naming `context`) when the shape asks for more bytes,
// at `element_bytes` each, than the file stores for the dataset: a header
// forged to claim billions of rows is caught before anything is allocated.
// Our datasets are never compressed, so what a shape needs is on disk.
std::vector<hsize_t> h5_dims_stored(hid_t dset, size_t element_bytes, const std::string& context);
// Opens dataset `name` of `loc`; "has no dataset <name>" when it is missing.
H5Id h5_open_dataset(hid_t loc, const std::string& name, const std::string& context);
// A float32 dataset of shape `dims`, its intermediate groups created on demand.
void h5_write_floats(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims,
                     const float* data, const std::string& context);
// Reads a float dataset whose shape must be `dims` (the message names both).
void h5_read_floats(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims,
                    float* data, const std::string& context);
// "[3x8x8]", for messages.
std::string h5_dims_text(const std::vector<hsize_t>& dims);

// ---------------------------------------------------------------------------
// Attributes on a file, group or dataset. Writers replace an attribute that
// exists; readers throw when it is missing or has the wrong type, naming
// `context`.

void h5_write_attr_int(hid_t obj, const char* name, int64_t v, const std::string& context);
void h5_write_attr_str(hid_t obj, const char* name, const std::string& v,
                       const std::string& context);
void h5_write_attr_ints(hid_t obj, const char* name, const std::vector<int32_t>& v,
                        const std::string& context);
void h5_write_attr_u64s(hid_t obj, const char* name, const std::vector<uint64_t>& v,
                        const std::string& context);
void h5_write_attr_strs(hid_t obj, const char* name, const std::vector<std::string>& v,
                        const std::string& context);
bool h5_has_attr(hid_t obj, const char* name);
int64_t h5_read_attr_int(hid_t obj, const char* name, const std::string& context);
std::string h5_read_attr_str(hid_t obj, const char* name, const std::string& context);
std::vector<int32_t> h5_read_attr_ints(hid_t obj, const char* name, const std::string& context);
std::vector<uint64_t> h5_read_attr_u64s(hid_t obj, const char* name, const std::string& context);
std::vector<std::string> h5_read_attr_strs(hid_t obj, const char* name,
                                           const std::string& context);

// The variable-length UTF-8 string type every string is written with.
H5Id h5_string_type(const std::string& context);

// {("HDF5", "1.10.8")}: the library's version, for --version and the
// provenance of results (as backend_library_versions() and
// comm_library_versions() give theirs).
std::vector<std::pair<std::string, std::string>> h5_library_versions();

}  // namespace xfer
