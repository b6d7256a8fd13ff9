// h5.cpp: error reporting and attribute helpers of h5.h (the lock is io/h5.h's).
#include "data/h5.h"

#include <stdexcept>

namespace xfer {

void h5_silence_errors() {
  H5Lock lock(h5_mutex());
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {

// Collects the innermost (most specific) message of HDF5's error stack.
herr_t walk_innermost(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err->desc) *out = err->desc;
  return 0;
}

}  // namespace

void h5_fail(const std::string& what, const std::string& context, const char* where) {
  std::string detail;
  {
    H5Lock lock(h5_mutex());
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_innermost, &detail);
    H5Eclear2(H5E_DEFAULT);
  }
  std::string msg = context + ": " + what;
  if (!detail.empty()) msg += " (" + detail + ")";
  if (where) {
    // Only the file's own name: the build path says nothing to a user.
    std::string w = where;
    if (auto slash = w.rfind('/'); slash != std::string::npos) w = w.substr(slash + 1);
    msg += " [" + w + "]";
  }
  throw std::runtime_error(msg);
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
                const char* where) {
  if (id < 0) h5_fail(std::string("HDF5 call failed: ") + call, context, where);
  return H5Id(id, kind);
}

namespace {

H5Id vlen_string_type(const std::string& context) {
  H5Id t = XFER_H5_OPEN(H5Tcopy(H5T_C_S1), Datatype, context);
  XFER_H5_CHECK(H5Tset_size(t, H5T_VARIABLE), context);
  XFER_H5_CHECK(H5Tset_cset(t, H5T_CSET_UTF8), context);
  return t;
}

// Replaces an attribute if present, so rewriting a file's attributes works.
H5Id create_attr(hid_t obj, const char* name, hid_t type, hid_t space,
                 const std::string& context) {
  if (H5Aexists(obj, name) > 0) XFER_H5_CHECK(H5Adelete(obj, name), context);
  return XFER_H5_OPEN(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT),
                      Attribute, context + " attribute " + name);
}

H5Id open_attr(hid_t obj, const char* name, const std::string& context) {
  if (H5Aexists(obj, name) <= 0)
    throw std::runtime_error(context + ": missing attribute '" + name + "'");
  return XFER_H5_OPEN(H5Aopen(obj, name, H5P_DEFAULT), Attribute,
                      context + " attribute " + name);
}

std::vector<std::string> read_str_attr(hid_t obj, const char* name,
                                       const std::string& context) {
  H5Id a = open_attr(obj, name, context);
  H5Id ftype = XFER_H5_OPEN(H5Aget_type(a), Datatype, context);
  if (H5Tget_class(ftype) != H5T_STRING)
    throw std::runtime_error(context + ": attribute '" + name + "' is not a string");
  H5Id space = XFER_H5_OPEN(H5Aget_space(a), Dataspace, context);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<std::string> out;
  if (n <= 0) return out;
  if (H5Tis_variable_str(ftype) > 0) {
    H5Id mtype = vlen_string_type(context);
    std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
    XFER_H5_CHECK(H5Aread(a, mtype, ptrs.data()), context + " attribute " + name);
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs.data());
  } else {
    size_t len = H5Tget_size(ftype);
    std::vector<char> buf(len * static_cast<size_t>(n));
    XFER_H5_CHECK(H5Aread(a, ftype, buf.data()), context + " attribute " + name);
    for (hssize_t i = 0; i < n; ++i) {
      const char* s = buf.data() + static_cast<size_t>(i) * len;
      size_t l = 0;
      while (l < len && s[l] != '\0') ++l;
      out.emplace_back(s, l);
    }
  }
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
  H5Id type = vlen_string_type(context);
  H5Id space = XFER_H5_OPEN(H5Screate(H5S_SCALAR), Dataspace, context);
  H5Id a = create_attr(obj, name, type, space, context);
  const char* p = v.c_str();
  XFER_H5_CHECK(H5Awrite(a, type, &p), context + " attribute " + name);
}

void h5_write_attr_ints(hid_t obj, const char* name, const std::vector<int32_t>& v,
                        const std::string& context) {
  H5Lock lock(h5_mutex());
  hsize_t n = v.size();
  // An empty list is stored with a null dataspace (h5py reads it as Empty).
  H5Id space = XFER_H5_OPEN(n ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_NULL),
                            Dataspace, context);
  H5Id a = create_attr(obj, name, H5T_STD_I32LE, space, context);
  if (n) XFER_H5_CHECK(H5Awrite(a, H5T_NATIVE_INT32, v.data()), context + " attribute " + name);
}

void h5_write_attr_strs(hid_t obj, const char* name, const std::vector<std::string>& v,
                        const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id type = vlen_string_type(context);
  hsize_t n = v.size();
  // An empty list is stored with a null dataspace (h5py reads it as Empty).
  H5Id space = XFER_H5_OPEN(n ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_NULL),
                            Dataspace, context);
  H5Id a = create_attr(obj, name, type, space, context);
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  if (n) XFER_H5_CHECK(H5Awrite(a, type, ptrs.data()), context + " attribute " + name);
}

bool h5_has_attr(hid_t obj, const char* name) {
  H5Lock lock(h5_mutex());
  return H5Aexists(obj, name) > 0;
}

int64_t h5_read_attr_int(hid_t obj, const char* name, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id a = open_attr(obj, name, context);
  H5Id ftype = XFER_H5_OPEN(H5Aget_type(a), Datatype, context);
  if (H5Tget_class(ftype) != H5T_INTEGER)
    throw std::runtime_error(context + ": attribute '" + name + "' is not an integer");
  int64_t v = 0;
  XFER_H5_CHECK(H5Aread(a, H5T_NATIVE_INT64, &v), context + " attribute " + name);
  return v;
}

std::string h5_read_attr_str(hid_t obj, const char* name, const std::string& context) {
  H5Lock lock(h5_mutex());
  auto v = read_str_attr(obj, name, context);
  return v.empty() ? std::string() : v.front();
}

std::vector<int32_t> h5_read_attr_ints(hid_t obj, const char* name, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id a = open_attr(obj, name, context);
  H5Id space = XFER_H5_OPEN(H5Aget_space(a), Dataspace, context);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<int32_t> v(static_cast<size_t>(n > 0 ? n : 0));
  if (!v.empty())
    XFER_H5_CHECK(H5Aread(a, H5T_NATIVE_INT32, v.data()), context + " attribute " + name);
  return v;
}

std::vector<std::string> h5_read_attr_strs(hid_t obj, const char* name,
                                           const std::string& context) {
  H5Lock lock(h5_mutex());
  return read_str_attr(obj, name, context);
}

std::vector<hsize_t> h5_dims(hid_t dset, const std::string& context) {
  H5Lock lock(h5_mutex());
  H5Id space = XFER_H5_OPEN(H5Dget_space(dset), Dataspace, context);
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) h5_fail("HDF5 call failed: H5Sget_simple_extent_ndims", context);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

}  // namespace xfer
