// h5.cpp: the HDF5 layer of h5.h: the lock, errors, handles, files, float
// datasets and attributes.
#include "io/h5.h"

#include <algorithm>

#include <unistd.h>

#include "core/check.h"

namespace xfer {

std::recursive_mutex& h5_mutex() {
  static std::recursive_mutex m;
  return m;
}

void h5_silence_errors() {
  H5Lock lock(h5_mutex());
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

std::vector<std::pair<std::string, std::string>> h5_library_versions() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return {{"HDF5", std::to_string(major) + "." + std::to_string(minor) + "." +
                       std::to_string(release)}};
}

// ---------------------------------------------------------------------------
// Errors and handles

namespace {

// Collects the innermost (most specific) message of HDF5's error stack.
herr_t walk_innermost(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err->desc) *out = err->desc;
  return 0;
}

}  // namespace

void h5_fail(const std::string& what, const std::string& context, const char* file, int line) {
  std::string detail;
  {
    H5Lock lock(h5_mutex());
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_innermost, &detail);
    H5Eclear2(H5E_DEFAULT);
  }
  std::string msg = context + ": " + what;
  if (!detail.empty()) msg += " (" + detail + ")";
  throw_error(file, line, msg);
}

H5Id& H5Id::operator=(H5Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    kind_ = o.kind_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void H5Id::reset() { close(); }

herr_t H5Id::close() {
  if (id_ < 0) return 0;
  H5Lock lock(h5_mutex());
  herr_t r = 0;
  switch (kind_) {
    case Kind::File: r = H5Fclose(id_); break;
    case Kind::Dataset: r = H5Dclose(id_); break;
    case Kind::Dataspace: r = H5Sclose(id_); break;
    case Kind::Datatype: r = H5Tclose(id_); break;
    case Kind::Attribute: r = H5Aclose(id_); break;
    case Kind::Plist: r = H5Pclose(id_); break;
    case Kind::Group: r = H5Gclose(id_); break;
  }
  id_ = H5I_INVALID_HID;
  return r;
}

H5Id h5_checked(hid_t id, H5Id::Kind kind, const char* call, const std::string& context,
                const char* file, int line) {
  if (id < 0) h5_fail(std::string("HDF5 call failed: ") + call, context, file, line);
  return H5Id(id, kind);
}

// ---------------------------------------------------------------------------
// Files

namespace {

// HDF5's core driver still wants a file name, one that no file on disk has
// (opening an image under an existing file's name is refused).
std::string in_memory_name(const std::string& path) { return path + ".in-memory"; }

H5Id core_fapl(size_t increment, const std::string& path) {
  H5Id fapl = XFER_H5_OPEN(H5Pcreate(H5P_FILE_ACCESS), Plist, path);
  XFER_H5_CHECK(H5Pset_fapl_core(fapl, increment, /*backing_store=*/false), path);
  return fapl;
}

}  // namespace

H5Id h5_open_read(const std::string& path) {
  h5_silence_errors();
  XFER_CHECK(::access(path.c_str(), R_OK) == 0, path << ": missing or unreadable");
  H5Lock lock(h5_mutex());
  XFER_CHECK(H5Fis_hdf5(path.c_str()) > 0, path << ": not an HDF5 file (truncated or damaged?)");
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) XFER_H5_FAIL("cannot open as HDF5 (truncated or damaged?)", path);
  return H5Id(f, H5Id::Kind::File);
}

H5Id h5_create_in_memory(const std::string& path, size_t increment) {
  h5_silence_errors();
  H5Lock lock(h5_mutex());
  H5Id fapl = core_fapl(increment, path);
  return XFER_H5_OPEN(H5Fcreate(in_memory_name(path).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                      File, path);
}

H5Id h5_open_image(const std::string& path, std::vector<char>& bytes) {
  h5_silence_errors();
  H5Lock lock(h5_mutex());
  H5Id fapl = core_fapl(size_t{1} << 16, path);
  XFER_H5_CHECK(H5Pset_file_image(fapl, bytes.data(), bytes.size()), path);
  const hid_t f = H5Fopen(in_memory_name(path).c_str(), H5F_ACC_RDONLY, fapl);
  if (f < 0) XFER_H5_FAIL("unreadable or truncated HDF5 file", path);
  return H5Id(f, H5Id::Kind::File);
}

std::vector<char> h5_file_image(hid_t file, const std::string& context) {
  H5Lock lock(h5_mutex());
  XFER_H5_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL), context);
  const ssize_t n = H5Fget_file_image(file, nullptr, 0);
  if (n <= 0) XFER_H5_FAIL("HDF5 call failed: H5Fget_file_image", context);
  std::vector<char> bytes(static_cast<size_t>(n));
  if (H5Fget_file_image(file, bytes.data(), bytes.size()) != n)
    XFER_H5_FAIL("HDF5 call failed: H5Fget_file_image", context);
  return bytes;
}

bool h5_exists(hid_t loc, const std::string& object) {
  H5Lock lock(h5_mutex());
  // H5Lexists wants every link on the way to exist.
  size_t pos = 0;
  while (true) {
    pos = object.find('/', pos + 1);
    const std::string part = object.substr(0, pos);
    if (H5Lexists(loc, part.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (pos == std::string::npos) return true;
  }
}

// ---------------------------------------------------------------------------
// Datasets

std::vector<hsize_t> h5_dims(hid_t dset, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id space = XFER_H5_OPEN(H5Dget_space(dset), Dataspace, context);
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) XFER_H5_FAIL("HDF5 call failed: H5Sget_simple_extent_ndims", context);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

std::vector<hsize_t> h5_dims_stored(hid_t dset, size_t element_bytes, const std::string& context) {
  std::vector<hsize_t> dims = h5_dims(dset, context);
  H5Lock lock(h5_mutex());
  const hsize_t stored = H5Dget_storage_size(dset);
  // The bytes the shape needs, stopping once past what is stored (no overflow).
  hsize_t need = element_bytes;
  for (hsize_t d : dims) {
    if (d != 0 && need > stored / d + 1) {
      need = stored + 1;
      break;
    }
    need *= d;
  }
  XFER_CHECK(need <= stored || std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; }),
             context << ": a dataset of shape " << h5_dims_text(dims) << " (" << element_bytes
                     << " bytes an element) in a file that stores " << stored
                     << " bytes for it: its header claims more than the file holds");
  return dims;
}

std::string h5_dims_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

H5Id h5_open_dataset(hid_t loc, const std::string& name, const std::string& context) {
  H5Lock lock(h5_mutex());
  XFER_CHECK(h5_exists(loc, name), context << ": has no dataset " << name);
  return XFER_H5_OPEN(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), Dataset,
                      context + " dataset " + name);
}

void h5_write_floats(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims,
                     const float* data, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id lcpl = XFER_H5_OPEN(H5Pcreate(H5P_LINK_CREATE), Plist, context);
  XFER_H5_CHECK(H5Pset_create_intermediate_group(lcpl, 1), context);
  H5Id space = XFER_H5_OPEN(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                            Dataspace, context);
  H5Id ds = XFER_H5_OPEN(H5Dcreate2(loc, name.c_str(), H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT,
                                    H5P_DEFAULT),
                         Dataset, context + " dataset " + name);
  XFER_H5_CHECK(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                context + " dataset " + name);
}

void h5_read_floats(hid_t loc, const std::string& name, const std::vector<hsize_t>& want,
                    float* data, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id ds = h5_open_dataset(loc, name, context);
  const auto got = h5_dims(ds, context);
  XFER_CHECK(got == want, context << ": " << name << " has shape " << h5_dims_text(got)
                                  << " but " << h5_dims_text(want) << " is needed");
  XFER_H5_CHECK(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                context + " dataset " + name + " (truncated file?)");
}

// ---------------------------------------------------------------------------
// Attributes

H5Id h5_string_type(const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id t = XFER_H5_OPEN(H5Tcopy(H5T_C_S1), Datatype, context);
  XFER_H5_CHECK(H5Tset_size(t, H5T_VARIABLE), context);
  XFER_H5_CHECK(H5Tset_cset(t, H5T_CSET_UTF8), context);
  return t;
}

namespace {

// Replaces an attribute if present, so rewriting a file's attributes works.
H5Id create_attr(hid_t obj, const char* name, hid_t type, hid_t space,
                 const std::string& context) {
  if (H5Aexists(obj, name) > 0) XFER_H5_CHECK(H5Adelete(obj, name), context);
  return XFER_H5_OPEN(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), Attribute,
                      context + " attribute " + name);
}

H5Id open_attr(hid_t obj, const char* name, const std::string& context) {
  XFER_CHECK(H5Aexists(obj, name) > 0, context << ": missing attribute '" << name << "'");
  return XFER_H5_OPEN(H5Aopen(obj, name, H5P_DEFAULT), Attribute, context + " attribute " + name);
}

// A 1-d list of `n`; an empty one has a null dataspace (h5py reads it as Empty).
H5Id list_space(hsize_t n, const std::string& context) {
  return XFER_H5_OPEN(n ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_NULL), Dataspace,
                      context);
}

// A list attribute of file type `ftype`, written from `v` (memory type `mtype`).
template <typename T>
void write_list(hid_t obj, const char* name, hid_t ftype, hid_t mtype, const std::vector<T>& v,
                const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id a = create_attr(obj, name, ftype, list_space(v.size(), context), context);
  if (!v.empty()) XFER_H5_CHECK(H5Awrite(a, mtype, v.data()), context + " attribute " + name);
}

// A whole list attribute, read as `mtype`.
template <typename T>
std::vector<T> read_list(hid_t obj, const char* name, hid_t memtype, const std::string& context) {
  H5Id a = open_attr(obj, name, context);
  H5Id space = XFER_H5_OPEN(H5Aget_space(a), Dataspace, context);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<T> v(static_cast<size_t>(n > 0 ? n : 0));
  if (!v.empty()) XFER_H5_CHECK(H5Aread(a, memtype, v.data()), context + " attribute " + name);
  return v;
}

// Fixed-length strings (older checkpoints) are read in the file's own type:
// HDF5 refuses to convert between ASCII and UTF-8 sets.
std::vector<std::string> read_fixed_strings(hid_t a, hid_t ftype, hssize_t n,
                                            const std::string& context) {
  const size_t len = H5Tget_size(ftype);
  std::vector<char> buf(len * static_cast<size_t>(n));
  XFER_H5_CHECK(H5Aread(a, ftype, buf.data()), context);
  std::vector<std::string> out;
  for (hssize_t i = 0; i < n; ++i) {
    const char* s = buf.data() + static_cast<size_t>(i) * len;
    size_t l = 0;
    while (l < len && s[l] != '\0') ++l;
    out.emplace_back(s, l);
  }
  return out;
}

std::vector<std::string> read_strings(hid_t obj, const char* name, const std::string& context) {
  H5Id a = open_attr(obj, name, context);
  H5Id ftype = XFER_H5_OPEN(H5Aget_type(a), Datatype, context);
  XFER_CHECK(H5Tget_class(ftype) == H5T_STRING,
             context << ": attribute '" << name << "' is not a string");
  H5Id space = XFER_H5_OPEN(H5Aget_space(a), Dataspace, context);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n <= 0) return {};
  if (H5Tis_variable_str(ftype) <= 0)
    return read_fixed_strings(a, ftype, n, context + " attribute " + name);
  H5Id mtype = h5_string_type(context);
  std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
  XFER_H5_CHECK(H5Aread(a, mtype, ptrs.data()), context + " attribute " + name);
  std::vector<std::string> out;
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs.data());
  return out;
}

}  // namespace

void h5_write_attr_int(hid_t obj, const char* name, int64_t v, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id space = XFER_H5_OPEN(H5Screate(H5S_SCALAR), Dataspace, context);
  H5Id a = create_attr(obj, name, H5T_STD_I64LE, space, context);
  XFER_H5_CHECK(H5Awrite(a, H5T_NATIVE_INT64, &v), context + " attribute " + name);
}

void h5_write_attr_str(hid_t obj, const char* name, const std::string& v,
                       const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id type = h5_string_type(context);
  H5Id space = XFER_H5_OPEN(H5Screate(H5S_SCALAR), Dataspace, context);
  H5Id a = create_attr(obj, name, type, space, context);
  const char* p = v.c_str();
  XFER_H5_CHECK(H5Awrite(a, type, &p), context + " attribute " + name);
}

void h5_write_attr_ints(hid_t obj, const char* name, const std::vector<int32_t>& v,
                        const std::string& context) {
  write_list(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, v, context);
}

void h5_write_attr_u64s(hid_t obj, const char* name, const std::vector<uint64_t>& v,
                        const std::string& context) {
  write_list(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, v, context);
}

void h5_write_attr_strs(hid_t obj, const char* name, const std::vector<std::string>& v,
                        const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id type = h5_string_type(context);
  H5Id a = create_attr(obj, name, type, list_space(v.size(), context), context);
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  if (!v.empty()) XFER_H5_CHECK(H5Awrite(a, type, ptrs.data()), context + " attribute " + name);
}

bool h5_has_attr(hid_t obj, const char* name) {
  H5Lock lock(h5_mutex());
  return H5Aexists(obj, name) > 0;
}

int64_t h5_read_attr_int(hid_t obj, const char* name, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id a = open_attr(obj, name, context);
  H5Id ftype = XFER_H5_OPEN(H5Aget_type(a), Datatype, context);
  XFER_CHECK(H5Tget_class(ftype) == H5T_INTEGER,
             context << ": attribute '" << name << "' is not an integer");
  int64_t v = 0;
  XFER_H5_CHECK(H5Aread(a, H5T_NATIVE_INT64, &v), context + " attribute " + name);
  return v;
}

std::string h5_read_attr_str(hid_t obj, const char* name, const std::string& context) {
  H5Lock lock(h5_mutex());
  auto v = read_strings(obj, name, context);
  return v.empty() ? std::string() : v.front();
}

std::vector<int32_t> h5_read_attr_ints(hid_t obj, const char* name, const std::string& context) {
  H5Lock lock(h5_mutex());
  return read_list<int32_t>(obj, name, H5T_NATIVE_INT32, context);
}

std::vector<uint64_t> h5_read_attr_u64s(hid_t obj, const char* name, const std::string& context) {
  H5Lock lock(h5_mutex());
  return read_list<uint64_t>(obj, name, H5T_NATIVE_UINT64, context);
}

std::vector<std::string> h5_read_attr_strs(hid_t obj, const char* name,
                                           const std::string& context) {
  H5Lock lock(h5_mutex());
  return read_strings(obj, name, context);
}

}  // namespace xfer
