// cka.h: debiased linear CKA between two networks' representations of the
// same images, summed over minibatches.
//
// Linear CKA (Kornblith, Norouzi, Lee, Hinton, ICML 2019, "Similarity of
// Neural Network Representations Revisited", eq. 2 with a linear kernel) is
// HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) for the Gram matrices K = X X^T and
// L = Y Y^T of two representations X [n, p] and Y [n, q] of n images. We use
// the unbiased HSIC estimator of Song, Smola, Gretton, Bedo, Borgwardt (JMLR
// 2012, "Feature Selection via Dependence Maximization", eq. 5), with K~ and
// L~ the Gram matrices with their diagonals set to zero:
//   HSIC_1(K, L) = [ tr(K~ L~) + (1'K~1)(1'L~1) / ((n-1)(n-2))
//                    - 2/(n-2) 1'K~L~1 ] / (n(n-3)),
// and, as Nguyen, Raghu, Kornblith (ICLR 2021, "Do Wide and Deep Networks
// Learn the Same Things?", section 3.1) do for representations too large to
// hold at once, sum each of the three HSIC terms over minibatches of the same
// images before the ratio:
//   CKA = sum_i HSIC_1(K_i, L_i) / sqrt(sum_i HSIC_1(K_i, K_i) sum_i HSIC_1(L_i, L_i)).
// That is an estimator of its own: its value depends on the minibatch size
// (a minibatch as large as the sample gives the full-sample estimate; the
// README gives how far the two lie apart on the default's networks).
//
// Arithmetic: the representations arrive in float32 (the backend's forward
// pass); they are widened to float64 before the Gram product (OpenBLAS's
// dsyrk), and every sum after it is float64. The Gram form is used for every
// layer: its cost is the minibatch's images times the layer's width, once per
// layer, after which each of the layer pairs costs n^2. A feature-space form
// would be cheaper only for layers narrower than a minibatch, whose Grams cost
// least anyway.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xfer {

// The estimator needs n >= 4 images in every minibatch (its denominators).
constexpr int kMinCkaBatch = 4;

// One representation of one minibatch: K~ (n x n, the Gram matrix with a zero
// diagonal, float64), its row sums K~1 and their sum 1'K~1.
struct Gram {
  int n = 0;
  std::vector<double> k;
  std::vector<double> row_sums;
  double total = 0;
  bool constant = false;  // every image of the minibatch has the same representation
};

// The Gram of n representations of `dim` floats each, rows contiguous.
// `threads` > 0 sets OpenBLAS's thread count for the product.
Gram make_gram(const float* x, int n, size_t dim, int threads = 0);

// HSIC_1(K, L) above; both of the same minibatch.
double unbiased_hsic(const Gram& k, const Gram& l);

// Sums over minibatches for every pair (layer a of net A, layer b of net B).
class CkaSums {
 public:
  CkaSums(int layers_a, int layers_b);
  // One minibatch: the Grams of every layer of each net, of the same images.
  void add(const std::vector<Gram>& a, const std::vector<Gram>& b);
  int layers_a() const { return la_; }
  int layers_b() const { return lb_; }
  int64_t images() const { return images_; }
  int minibatches() const { return batches_; }
  // CKA of layer a (1-based) of net A with layer b of net B. Throws one line
  // naming the net (`name_a`, `name_b`) and layer when the ratio is not
  // defined: a representation that is the same for every image (zero HSIC),
  // or an HSIC of a layer with itself that the estimator puts at or below
  // zero (an estimation failure; more images or larger minibatches help).
  double cka(int a, int b, const std::string& name_a, const std::string& name_b) const;

 private:
  void check_self(const std::vector<double>& self, const std::vector<double>& scale,
                  const std::vector<bool>& constant, int layer, const std::string& name) const;
  int la_, lb_;
  std::vector<double> kl_;            // [a * lb_ + b]
  std::vector<double> kk_, ll_;       // per layer of A, of B
  std::vector<double> kk_scale_, ll_scale_;  // sum of tr(K~K~) / (n(n-3)): the size rounding is measured against
  std::vector<bool> const_a_, const_b_;  // constant in every minibatch so far
  int64_t images_ = 0;
  int batches_ = 0;
};

}  // namespace xfer
