// test_h5.cpp: the HDF5 layer (io/h5.h): strings are written as
// variable-length UTF-8 and read back whether variable or fixed-length (as
// older checkpoints hold them), float datasets keep their shape, files built
// in memory open from their image, errors name the call, file and line, and
// every call waits for the one process-wide lock.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/check.h"
#include "io/h5.h"

namespace xfer {
namespace {

namespace fs = std::filesystem;

class H5Test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("xfer_test_h5_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    h5_silence_errors();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

H5Id create_file(const std::string& path) {
  H5Lock lock(h5_mutex());
  return H5Id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Id::Kind::File);
}

// A fixed-length string attribute as the checkpoints of earlier versions
// wrote them: the raw C API, `size` bytes, the given padding and character set.
void write_fixed_string(hid_t obj, const char* name, const std::string& v, size_t size,
                        H5T_str_t pad, H5T_cset_t cset) {
  H5Lock lock(h5_mutex());
  H5Id type(H5Tcopy(H5T_C_S1), H5Id::Kind::Datatype);
  ASSERT_GE(H5Tset_size(type, size), 0);
  ASSERT_GE(H5Tset_strpad(type, pad), 0);
  ASSERT_GE(H5Tset_cset(type, cset), 0);
  H5Id space(H5Screate(H5S_SCALAR), H5Id::Kind::Dataspace);
  H5Id a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Id::Kind::Attribute);
  ASSERT_TRUE(a.valid());
  std::string buf = v;
  buf.resize(size, '\0');
  ASSERT_GE(H5Awrite(a, type, buf.data()), 0);
}

struct StringType {
  bool variable = false;
  H5T_cset_t cset = H5T_CSET_ERROR;
};

StringType string_type_of(hid_t obj, const char* name) {
  H5Lock lock(h5_mutex());
  H5Id a(H5Aopen(obj, name, H5P_DEFAULT), H5Id::Kind::Attribute);
  H5Id t(H5Aget_type(a), H5Id::Kind::Datatype);
  return {H5Tis_variable_str(t) > 0, H5Tget_cset(t)};
}

TEST_F(H5Test, StringsAreWrittenAsVariableLengthUtf8) {
  const std::string file = path("strings.h5");
  const std::string text = "caf\xc3\xa9 \xe2\x80\x93 na\xc3\xafve";  // café – naïve
  {
    H5Id f = create_file(file);
    h5_write_attr_str(f, "one", text, file);
    h5_write_attr_strs(f, "many", {"a", text, ""}, file);
    h5_write_attr_str(f, "one", "replaced", file);  // rewriting an attribute replaces it
  }
  H5Id f = h5_open_read(file);
  for (const char* name : {"one", "many"}) {
    const StringType t = string_type_of(f, name);
    EXPECT_TRUE(t.variable) << name;
    EXPECT_EQ(t.cset, H5T_CSET_UTF8) << name;
  }
  EXPECT_EQ(h5_read_attr_str(f, "one", file), "replaced");
  EXPECT_EQ(h5_read_attr_strs(f, "many", file), (std::vector<std::string>{"a", text, ""}));
}

TEST_F(H5Test, OldFixedLengthStringsAreRead) {
  const std::string file = path("old.h5");
  const std::string text = "[solver]\nbase_lr = 0.01\n";
  {
    H5Id f = create_file(file);
    // As checkpoints wrote them: the text, a NUL, UTF-8.
    write_fixed_string(f, "config", text, text.size() + 1, H5T_STR_NULLTERM, H5T_CSET_UTF8);
    // And what other writers make: ASCII, padded with NULs or with no NUL at all.
    write_fixed_string(f, "padded", "abc", 8, H5T_STR_NULLPAD, H5T_CSET_ASCII);
    write_fixed_string(f, "exact", "abcd", 4, H5T_STR_NULLPAD, H5T_CSET_ASCII);
  }
  H5Id f = h5_open_read(file);
  ASSERT_FALSE(string_type_of(f, "config").variable);
  EXPECT_EQ(h5_read_attr_str(f, "config", file), text);
  EXPECT_EQ(h5_read_attr_str(f, "padded", file), "abc");
  EXPECT_EQ(h5_read_attr_str(f, "exact", file), "abcd");
  EXPECT_EQ(h5_read_attr_strs(f, "config", file), std::vector<std::string>{text});
}

TEST_F(H5Test, NumbersAndMissingAttributes) {
  const std::string file = path("numbers.h5");
  {
    H5Id f = create_file(file);
    h5_write_attr_int(f, "i", -7, file);
    h5_write_attr_ints(f, "ids", {3, 1, 2}, file);
    h5_write_attr_ints(f, "none", {}, file);
    h5_write_attr_u64s(f, "rng", {1, ~uint64_t{0}, 3, 4}, file);
    h5_write_attr_str(f, "s", "text", file);
  }
  H5Id f = h5_open_read(file);
  EXPECT_EQ(h5_read_attr_int(f, "i", file), -7);
  EXPECT_EQ(h5_read_attr_ints(f, "ids", file), (std::vector<int32_t>{3, 1, 2}));
  EXPECT_TRUE(h5_read_attr_ints(f, "none", file).empty());
  EXPECT_EQ(h5_read_attr_u64s(f, "rng", file), (std::vector<uint64_t>{1, ~uint64_t{0}, 3, 4}));
  EXPECT_TRUE(h5_has_attr(f, "i"));
  EXPECT_FALSE(h5_has_attr(f, "absent"));
  try {
    h5_read_attr_int(f, "absent", file);
    FAIL() << "a missing attribute was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file + ": missing attribute 'absent'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(h5_read_attr_int(f, "s", file), Error);  // a string is not an integer
  EXPECT_THROW(h5_read_attr_str(f, "i", file), Error);  // nor an integer a string
}

TEST_F(H5Test, FloatsInMemoryFileRoundTripThroughItsImage) {
  const std::string file = path("floats.h5");
  const std::vector<float> v = {1.5f, -2.f, 0.f, 3.25f, 4.f, 5.f};
  std::vector<char> image;
  {
    H5Id f = h5_create_in_memory(file, size_t{1} << 16);
    h5_write_floats(f, "/params/conv1/weights", {2, 3}, v.data(), file);
    image = h5_file_image(f, file);
  }
  EXPECT_FALSE(fs::exists(file));  // nothing touched the disk
  std::ofstream(file, std::ios::binary).write(image.data(), static_cast<std::streamsize>(image.size()));
  for (int from_disk = 0; from_disk < 2; ++from_disk) {
    H5Id f = from_disk ? h5_open_read(file) : h5_open_image(file, image);
    EXPECT_TRUE(h5_exists(f, "/params/conv1/weights"));
    EXPECT_TRUE(h5_exists(f, "/params"));
    EXPECT_FALSE(h5_exists(f, "/params/conv2/weights"));
    EXPECT_FALSE(h5_exists(f, "/momentum/conv1/weights"));
    EXPECT_EQ(h5_dims(h5_open_dataset(f, "/params/conv1/weights", file), file),
              (std::vector<hsize_t>{2, 3}));
    std::vector<float> back(6);
    h5_read_floats(f, "/params/conv1/weights", {2, 3}, back.data(), file);
    EXPECT_EQ(back, v);
    try {
      h5_read_floats(f, "/params/conv1/weights", {3, 2}, back.data(), file);
      FAIL() << "a [2x3] dataset was read as [3x2]";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("[2x3]"), std::string::npos) << m;
      EXPECT_NE(m.find("[3x2]"), std::string::npos) << m;
    }
  }
}

TEST_F(H5Test, ErrorsNameTheFileTheCallAndWhere) {
  const std::string missing = path("missing.h5");
  try {
    h5_open_read(missing);
    FAIL() << "a missing file opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing + ": missing or unreadable"), std::string::npos)
        << e.what();
  }
  const std::string junk = path("junk.h5");
  std::ofstream(junk) << "not an HDF5 file";
  EXPECT_THROW(h5_open_read(junk), Error);
  const std::string file = path("empty.h5");
  H5Id f = create_file(file);
  try {
    H5Lock lock(h5_mutex());
    XFER_H5_CHECK(H5Dopen2(f, "nothing", H5P_DEFAULT), file);
    FAIL() << "a missing dataset opened";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(file + ": HDF5 call failed: H5Dopen2(f, \"nothing\", H5P_DEFAULT)", 0), 0u) << m;
    EXPECT_NE(m.find("test_h5.cpp:"), std::string::npos) << m;
    EXPECT_NE(m.find("rank "), std::string::npos) << m;
  }
}

TEST_F(H5Test, EveryCallWaitsForTheOneLock) {
  const std::string file = path("lock.h5");
  H5Id f = create_file(file);
  h5_write_attr_int(f, "i", 1, file);
  std::atomic<bool> done{false};
  std::thread other;
  {
    H5Lock held(h5_mutex());
    H5Lock again(h5_mutex());  // recursive: a helper may nest
    other = std::thread([&] {
      h5_read_attr_int(f, "i", file);
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(done) << "an HDF5 call ran while another thread held the lock";
  }
  other.join();
  EXPECT_TRUE(done);
}

TEST_F(H5Test, H5pyReadsStringsAsStr) {
  const char* py = "/usr/bin/python3";
  if (std::system((std::string(py) + " -c 'import h5py' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "no python3 with h5py (Debian: python3-h5py); the C API check above stands";
  const std::string file = path("h5py.h5");
  {
    H5Id f = create_file(file);
    h5_write_attr_str(f, "cell_id", "half0A-n3-frozen", file);
    h5_write_attr_strs(f, "names", {"T-shirt", "caf\xc3\xa9"}, file);
  }
  const std::string script = path("check.py");
  std::ofstream(script) << "import sys, h5py\n"
                           "f = h5py.File(sys.argv[1], 'r')\n"
                           "v = f.attrs['cell_id']\n"
                           "assert isinstance(v, str) and v == 'half0A-n3-frozen', repr(v)\n"
                           "n = list(f.attrs['names'])\n"
                           "assert n == ['T-shirt', 'caf\\u00e9'], repr(n)\n";
  EXPECT_EQ(std::system((std::string(py) + " " + script + " " + file).c_str()), 0);
}

}  // namespace
}  // namespace xfer

namespace xfer {
namespace {

// A chunked int32 dataset of `rows` rows, the first `written` of them written.
void write_rows(hid_t file, const char* name, hsize_t rows, hsize_t written) {
  H5Lock lock(h5_mutex());
  const hsize_t chunk = 1024;
  H5Id space(H5Screate_simple(1, &rows, nullptr), H5Id::Kind::Dataspace);
  H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Id::Kind::Plist);
  ASSERT_GE(H5Pset_chunk(dcpl, 1, &chunk), 0);
  H5Id d(H5Dcreate2(file, name, H5T_NATIVE_INT32, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Id::Kind::Dataset);
  ASSERT_TRUE(d.valid());
  if (written == 0) return;
  std::vector<int32_t> v(written, 7);
  const hsize_t start = 0;
  H5Id mem(H5Screate_simple(1, &written, nullptr), H5Id::Kind::Dataspace);
  ASSERT_GE(H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nullptr, &written, nullptr), 0);
  ASSERT_GE(H5Dwrite(d, H5T_NATIVE_INT32, mem, space, H5P_DEFAULT, v.data()), 0);
}

class H5Faults : public H5Test {};

// A header forged to claim billions of rows is refused before anything is
// allocated; what the file really holds passes.
TEST_F(H5Faults, AShapeBeyondWhatTheFileStoresIsRefused) {
  const std::string p = path("forged.h5");
  {
    H5Id f = create_file(p);
    write_rows(f, "claims", hsize_t(4) << 30, 1000);  // 4 Gi rows, 1,000 written
    write_rows(f, "whole", 5000, 5000);
    write_rows(f, "empty", 0, 0);
  }
  H5Id f = h5_open_read(p);
  try {
    h5_dims_stored(h5_open_dataset(f, "claims", p), sizeof(int32_t), p);
    FAIL() << "a shape of 4 Gi rows over 1,000 stored was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(p + ": a dataset of shape [4294967296] (4 bytes an element) in a file that "
                                             "stores 4096 bytes for it: its header claims more than the file holds"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(h5_dims_stored(h5_open_dataset(f, "whole", p), sizeof(int32_t), p), std::vector<hsize_t>{5000});
  EXPECT_EQ(h5_dims_stored(h5_open_dataset(f, "empty", p), sizeof(int32_t), p), std::vector<hsize_t>{0});
}

}  // namespace
}  // namespace xfer
