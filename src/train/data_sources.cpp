// data_sources.cpp: choosing and opening the trainer's data.
#include "train/data_sources.h"

#include "core/check.h"
#include "core/rng.h"
#include "data/shard_source.h"
#include "data/synthetic_source.h"

namespace xfer {

DataSources open_data_sources(const TrainConfig& cfg, const NetSpec& spec, const Communicator& comm,
                              const std::vector<float>& base_mean, int base_c, int base_h, int base_w) {
  DataSources d;
  if (cfg.data.empty()) {
    SyntheticOptions o;
    o.channels = spec.channels;
    o.size = spec.crop;
    o.classes = cfg.synthetic_classes;
    o.examples = cfg.synthetic_train;
    o.seed = 12345;  // the data itself does not change with the run seed
    o.order_seed = derive_seed(cfg.seed, 2);
    o.rank = comm.rank();
    o.world = comm.size();
    d.train = make_synthetic_train(o);
    o.examples = cfg.synthetic_val;
    d.eval = make_synthetic_eval(o);
    d.info = d.train->info();
    return d;
  }
  ShardSourceOptions o;
  o.dir = cfg.data;
  o.crop = spec.crop;
  o.seed = derive_seed(cfg.seed, 2);
  o.rank = comm.rank();
  o.world = comm.size();
  o.threads = cfg.loader_threads;
  if (!base_mean.empty()) {
    o.mean.c = base_c;
    o.mean.h = base_h;
    o.mean.w = base_w;
    o.mean.data = base_mean;
  } else {
    o.mean = read_mean_image(cfg.data);
  }
  d.mean_c = o.mean.c;
  d.mean_h = o.mean.h;
  d.mean_w = o.mean.w;
  d.mean = o.mean.data;
  o.subset = "train";
  o.mirror = true;
  d.train = open_train_shards(o);
  o.subset = "val";
  o.mirror = false;
  d.eval = open_eval_shards(o);
  d.info = d.train->info();
  XFER_CHECK(d.info.channels == spec.channels && d.info.height == spec.crop && d.info.width == spec.crop,
             cfg.data << ": the loader gives " << d.info.channels << "x" << d.info.height << "x"
                      << d.info.width << " images but preset " << spec.preset << " takes "
                      << spec.channels << "x" << spec.crop << "x" << spec.crop);
  const SourceInfo vi = d.eval->info();
  XFER_CHECK(vi.num_classes == d.info.num_classes,
             cfg.data << ": train has " << d.info.num_classes << " classes but val has " << vi.num_classes);
  return d;
}

}  // namespace xfer
