// representations.h: what xfer_similarity compares. A network is named by its
// checkpoint, or as `init@CHECKPOINT`: the network that checkpoint's run
// started from (its preset initialised from the run's seed, exactly as the
// trainer draws step 0's weights). Each is tested as the trainer tests it:
// the first N validation images of a data folder in stored order, centre crop,
// the checkpoint's own mean image subtracted, no mirror, dropout off (data/
// shard_source.h). Its representations are the net's transfer boundaries
// (net/net.h: 1..7 where a transfer cuts, 8 the logits), turned into Grams
// (similarity/cka.h) one minibatch at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "data/batch_source.h"
#include "net/net.h"
#include "similarity/cka.h"

namespace xfer {

struct SimilarityNetName {
  std::string path;      // the checkpoint
  bool at_init = false;  // its run's initial weights instead of the stored ones
  std::string str() const { return at_init ? "init@" + path : path; }
};
SimilarityNetName parse_similarity_net(const std::string& arg);

// What identifies a compared network: a result is recomputed when this changes.
struct SimilarityNetIdentity {
  std::string preset;
  int num_outputs = 0;
  std::string run_identity;  // the checkpoint's config_hash: the run that wrote it
  std::string weights;       // "crc32:bytes" of the checkpoint file, or "init:<seed>"
  bool operator==(const SimilarityNetIdentity&) const = default;
};
SimilarityNetIdentity similarity_net_identity(const SimilarityNetName& name);

// The images both networks see: a data folder's first `images` validation
// images, in minibatches of `batch`.
struct SimilarityImages {
  std::string dir;
  int64_t images = 0;
  int batch = 0;
  int loader_threads = 2;
};

// One network on a backend and the stream of its Grams over the images.
class RepresentationStream {
 public:
  RepresentationStream(Backend& be, const SimilarityNetName& name, const SimilarityImages& im, int threads);
  ~RepresentationStream();
  const NetSpec& spec() const { return net_->spec(); }
  int boundary_count() const { return net_->boundary_count(); }
  const std::string& name() const { return name_; }
  // The next minibatch's Gram of every boundary (1..boundary_count); false after the last image.
  bool next(std::vector<Gram>& grams);
  // The representations of the last minibatch at boundary n, [images, features] on the host.
  const std::vector<float>& last(int n) const { return host_[n - 1]; }

 private:
  std::string name_;
  SimilarityImages im_;
  int threads_;
  std::unique_ptr<Net> net_;
  std::unique_ptr<EvalSource> source_;
  HostBatch batch_;
  std::vector<std::vector<float>> host_;
  int64_t done_ = 0;
};

// Both networks must take the same input; refused naming both otherwise.
void check_same_input(const SimilarityNetName& a, const SimilarityNetName& b);

// Every Gram of a stream, minibatch by minibatch: [minibatch][boundary].
std::vector<std::vector<Gram>> all_grams(RepresentationStream& s);

}  // namespace xfer
