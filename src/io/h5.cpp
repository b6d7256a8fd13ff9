// h5.cpp: the HDF5 wrapper. Intermediate groups are created on demand.
#include "io/h5.h"

#include <unistd.h>

#include "core/check.h"

namespace xfer {
std::recursive_mutex& h5_mutex() {
  static std::recursive_mutex m;
  return m;
}
}  // namespace xfer

namespace xfer::h5 {

void quiet_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = -1;
}

File File::create(const std::string& path) {
  quiet_errors();
  File f;
  f.path_ = path;
  f.h_ = Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  XFER_CHECK(f.h_.valid(), "cannot create HDF5 file " << path);
  return f;
}

File File::create_in_memory(const std::string& name) {
  quiet_errors();
  File f;
  f.path_ = name;
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  // Grow by 64 MiB; backing_store = 0: nothing is written when it closes.
  XFER_CHECK(H5Pset_fapl_core(fapl.get(), size_t{64} << 20, 0) >= 0,
             "cannot set up an in-memory HDF5 file for " << name);
  f.h_ = Handle(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  XFER_CHECK(f.h_.valid(), "cannot create in-memory HDF5 file for " << name);
  return f;
}

std::vector<char> File::image() {
  XFER_CHECK(H5Fflush(id(), H5F_SCOPE_GLOBAL) >= 0, path_ << ": cannot flush the HDF5 file");
  const ssize_t n = H5Fget_file_image(id(), nullptr, 0);
  XFER_CHECK(n > 0, path_ << ": cannot size the HDF5 file image");
  std::vector<char> bytes(static_cast<size_t>(n));
  XFER_CHECK(H5Fget_file_image(id(), bytes.data(), bytes.size()) == n,
             path_ << ": cannot copy the HDF5 file image");
  return bytes;
}

File File::open_read(const std::string& path) {
  quiet_errors();
  File f;
  f.path_ = path;
  XFER_CHECK(::access(path.c_str(), R_OK) == 0, path << ": missing or unreadable");
  XFER_CHECK(H5Fis_hdf5(path.c_str()) > 0, path << ": not an HDF5 file (truncated or damaged?)");
  f.h_ = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  XFER_CHECK(f.h_.valid(), path << ": cannot open as HDF5 (truncated or damaged?)");
  return f;
}

bool File::exists(const std::string& object) const {
  // Check each path component, as H5Lexists requires.
  size_t pos = 0;
  while (true) {
    pos = object.find('/', pos + 1);
    std::string part = object.substr(0, pos);
    if (H5Lexists(id(), part.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

void File::write_floats(const std::string& name, const std::vector<hsize_t>& dims, const float* data) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Handle space(H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle ds(H5Dcreate2(id(), name.c_str(), H5T_IEEE_F32LE, space.get(), lcpl.get(), H5P_DEFAULT,
                       H5P_DEFAULT),
            H5Dclose);
  XFER_CHECK(ds.valid(), path_ << ": cannot create dataset " << name);
  XFER_CHECK(H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0,
             path_ << ": cannot write dataset " << name);
}

std::vector<hsize_t> File::dims(const std::string& name) const {
  XFER_CHECK(exists(name), path_ << ": has no dataset " << name);
  Handle ds(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  XFER_CHECK(ds.valid(), path_ << ": cannot open dataset " << name);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  int nd = H5Sget_simple_extent_ndims(space.get());
  XFER_CHECK(nd >= 0, path_ << ": dataset " << name << " has no readable shape");
  std::vector<hsize_t> d(nd);
  H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
  return d;
}

namespace {
std::string dims_str(const std::vector<hsize_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(d[i]);
  }
  return s + "]";
}
}  // namespace

void File::read_floats(const std::string& name, const std::vector<hsize_t>& want, float* data) const {
  auto got = dims(name);
  XFER_CHECK(got == want, path_ << ": " << name << " has shape " << dims_str(got)
                                << " but the network needs " << dims_str(want));
  Handle ds(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  XFER_CHECK(H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0,
             path_ << ": cannot read dataset " << name << " (truncated file?)");
}

bool File::has_attr(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

void File::set_attr(const std::string& name, int64_t v) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(id(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  XFER_CHECK(a.valid() && H5Awrite(a.get(), H5T_NATIVE_INT64, &v) >= 0,
             path_ << ": cannot write attribute " << name);
}

void File::set_attr(const std::string& name, const std::string& v) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), v.size() + 1);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  XFER_CHECK(a.valid() && H5Awrite(a.get(), type.get(), v.c_str()) >= 0,
             path_ << ": cannot write attribute " << name);
}

void File::set_attr(const std::string& name, const std::vector<uint64_t>& v) {
  hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a(H5Acreate2(id(), name.c_str(), H5T_STD_U64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  XFER_CHECK(a.valid() && H5Awrite(a.get(), H5T_NATIVE_UINT64, v.data()) >= 0,
             path_ << ": cannot write attribute " << name);
}

int64_t File::attr_int(const std::string& name) const {
  XFER_CHECK(has_attr(name), path_ << ": missing attribute " << name);
  Handle a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  int64_t v = 0;
  XFER_CHECK(H5Aread(a.get(), H5T_NATIVE_INT64, &v) >= 0, path_ << ": cannot read attribute " << name);
  return v;
}

std::string File::attr_string(const std::string& name) const {
  XFER_CHECK(has_attr(name), path_ << ": missing attribute " << name);
  Handle a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  XFER_CHECK(H5Tget_class(type.get()) == H5T_STRING, path_ << ": attribute " << name << " is not a string");
  XFER_CHECK(!H5Tis_variable_str(type.get()), path_ << ": attribute " << name << " is a variable-length string");
  size_t n = H5Tget_size(type.get());
  std::string s(n, '\0');
  // Read in the file's own string type: HDF5 refuses ASCII<->UTF-8 conversion.
  XFER_CHECK(H5Aread(a.get(), type.get(), s.data()) >= 0, path_ << ": cannot read attribute " << name);
  s.resize(s.find('\0') == std::string::npos ? n : s.find('\0'));
  return s;
}

std::vector<uint64_t> File::attr_u64s(const std::string& name) const {
  XFER_CHECK(has_attr(name), path_ << ": missing attribute " << name);
  Handle a(H5Aopen(id(), name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle space(H5Aget_space(a.get()), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<uint64_t> v(n > 0 ? n : 0);
  XFER_CHECK(H5Aread(a.get(), H5T_NATIVE_UINT64, v.data()) >= 0, path_ << ": cannot read attribute " << name);
  return v;
}

}  // namespace xfer::h5
