// representations.cpp: a network from its checkpoint (or its run's initial
// weights), tested on a data folder's first validation images, its transfer
// boundaries turned into Grams one minibatch at a time.
#include "similarity/representations.h"

#include <algorithm>

#include "core/check.h"
#include "core/rng.h"
#include "data/checksum.h"
#include "data/shard_source.h"
#include "net/checkpoint.h"

namespace xfer {

SimilarityNetName parse_similarity_net(const std::string& arg) {
  const std::string prefix = "init@";
  SimilarityNetName n;
  n.at_init = arg.rfind(prefix, 0) == 0;
  n.path = n.at_init ? arg.substr(prefix.size()) : arg;
  XFER_CHECK(!n.path.empty(), "'" << arg << "' names no checkpoint");
  return n;
}

namespace {

// The weights a run's step 0 drew: the trainer's init_params(derive_seed(seed, 1)).
uint64_t init_seed(const TrainState& st) { return derive_seed(st.rng[0], 1); }

}  // namespace

SimilarityNetIdentity similarity_net_identity(const SimilarityNetName& name) {
  const TrainState st = read_checkpoint_state(name.path);
  SimilarityNetIdentity id;
  id.preset = st.preset;
  id.num_outputs = st.num_outputs;
  id.run_identity = st.config_hash;
  if (name.at_init) {
    id.weights = "init:" + std::to_string(st.rng[0]);
  } else {
    const FileSum s = file_checksum(name.path);
    id.weights = crc_hex(s.crc32) + ":" + std::to_string(s.bytes);
  }
  return id;
}

void check_same_input(const SimilarityNetName& a, const SimilarityNetName& b) {
  const TrainState sa = read_checkpoint_state(a.path), sb = read_checkpoint_state(b.path);
  const NetSpec na = net_preset(sa.preset), nb = net_preset(sb.preset);
  XFER_CHECK(na.channels == nb.channels && na.crop == nb.crop && na.stored_size == nb.stored_size,
             a.path << " (preset " << na.preset << ") takes " << na.channels << "x" << na.crop << "x" << na.crop
                    << " crops of " << na.stored_size << "-pixel images but " << b.path << " (preset " << nb.preset
                    << ") takes " << nb.channels << "x" << nb.crop << "x" << nb.crop << " crops of "
                    << nb.stored_size << ": the two networks cannot see the same images");
}

RepresentationStream::RepresentationStream(Backend& be, const SimilarityNetName& name, const SimilarityImages& im,
                                           int threads)
    : name_(name.str()), im_(im), threads_(threads) {
  XFER_CHECK(im.batch >= kMinCkaBatch, "--batch " << im.batch << ": the unbiased HSIC needs minibatches of "
                                                  << kMinCkaBatch << " images or more");
  XFER_CHECK(im.images >= im.batch, "--images " << im.images << " is fewer than one minibatch of " << im.batch);
  const int64_t rest = im.images % im.batch;
  XFER_CHECK(rest == 0 || rest >= kMinCkaBatch,
             "--images " << im.images << " leaves a last minibatch of " << rest << " images (of " << im.batch
                         << "); the unbiased HSIC needs " << kMinCkaBatch << " or more: choose another --images");
  const TrainState st = read_checkpoint_state(name.path);
  XFER_CHECK(!st.mean.empty(), name.path << " has no mean image (its run trained on generated data): it cannot "
                                            "be tested on a data folder's images");
  net_ = std::make_unique<Net>(be, net_preset(st.preset), im.batch, st.num_outputs);
  if (name.at_init)
    net_->init_params(init_seed(st));
  else
    load_checkpoint(name.path, *net_);

  ShardSourceOptions o;
  o.dir = im.dir;
  o.subset = "val";
  o.crop = net_->spec().crop;
  o.mirror = false;
  o.mean.c = st.mean_c;
  o.mean.h = st.mean_h;
  o.mean.w = st.mean_w;
  o.mean.data = st.mean;
  o.threads = im.loader_threads;
  const NetSpec& spec = net_->spec();
  try {
    source_ = open_eval_shards(o);
  } catch (const std::exception& e) {  // the folder's own words, and what the network needs
    XFER_FAIL(e.what() << "; " << name.path << " (preset " << spec.preset << ") takes " << spec.channels << "x"
                       << spec.crop << "x" << spec.crop << " crops of " << spec.stored_size << "-pixel images");
  }
  const SourceInfo info = source_->info();
  XFER_CHECK(info.channels == net_->spec().channels,
             im.dir << ": its images have " << info.channels << " channel(s) but " << name.path << " (preset "
                    << st.preset << ") takes " << net_->spec().channels);
  XFER_CHECK(im.images <= info.num_examples, im.dir << " has " << info.num_examples << " validation images; --images "
                                                    << im.images << " asks for more");
  source_->begin();
  host_.resize(net_->boundary_count());
}

RepresentationStream::~RepresentationStream() = default;

bool RepresentationStream::next(std::vector<Gram>& grams) {
  const int64_t left = im_.images - done_;
  if (left <= 0) return false;
  const int want = int(std::min<int64_t>(im_.batch, left));
  XFER_CHECK(source_->next(want, batch_) && batch_.n == want,
             im_.dir << ": the validation images ended after " << done_ + batch_.n << " of " << im_.images);
  // The labels play no part; the store may hold classes the net has no output for.
  std::fill(batch_.labels.begin(), batch_.labels.end(), 0);
  PassContext test;
  test.train = false;
  net_->forward(batch_, test);
  grams.clear();
  for (int n = 1; n <= net_->boundary_count(); ++n) {
    const Tensor& t = net_->boundary(n);
    const size_t per = t.count() / size_t(net_->batch());
    host_[n - 1].resize(size_t(want) * per);
    net_->backend().download(host_[n - 1].data(), t.data(), host_[n - 1].size() * sizeof(float));
    grams.push_back(make_gram(host_[n - 1].data(), want, per, threads_));
  }
  done_ += want;
  return true;
}

std::vector<std::vector<Gram>> all_grams(RepresentationStream& s) {
  std::vector<std::vector<Gram>> v;
  std::vector<Gram> g;
  while (s.next(g)) v.push_back(std::move(g));
  return v;
}

}  // namespace xfer
