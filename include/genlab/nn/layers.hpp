// Layers with torch.nn names, parameter names and default initialisation.
//   Linear(in, out):        [..., in] -> [..., out]; weight [out, in], bias [out]
//   Embedding(num, dim):    int [...] -> [..., dim]; weight [num, dim]
//   LayerNorm(shape), RMSNorm(dim): normalise trailing dims; weight (and bias)
//   Dropout(p), activations, Sequential (children named "0", "1", ...).
#pragma once
#include <cmath>

#include "genlab/nn/init.hpp"
#include "genlab/nn/module.hpp"

namespace genlab::nn {

class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, bool bias = true, DType dtype = DType::f32) : in_features(in), out_features(out) {
    weight = register_parameter("weight", Tensor::empty({out, in}, dtype));
    init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (bias) {
      this->bias = register_parameter("bias", Tensor::empty({out}, dtype));
      double b = in > 0 ? 1.0 / std::sqrt(double(in)) : 0.0;
      init::uniform_(this->bias, -b, b);
    }
  }
  Tensor forward(const Tensor& x) override { return ops::linear(x, weight, bias); }
  int64_t in_features, out_features;
  Tensor weight, bias;
};

class Embedding : public Module {
 public:
  Embedding(int64_t num, int64_t dim, DType dtype = DType::f32) {
    weight = register_parameter("weight", Tensor::empty({num, dim}, dtype));
    init::normal_(weight);
  }
  Tensor forward(const Tensor& indices) override { return ops::embedding(weight, indices); }
  Tensor weight;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape shape, double eps = 1e-5, bool affine = true, DType dtype = DType::f32)
      : normalized_shape(std::move(shape)), eps(eps) {
    if (affine) {
      weight = register_parameter("weight", Tensor::ones(normalized_shape, dtype));
      bias = register_parameter("bias", Tensor::zeros(normalized_shape, dtype));
    }
  }
  Tensor forward(const Tensor& x) override { return ops::layer_norm(x, normalized_shape, weight, bias, eps); }
  Shape normalized_shape;
  double eps;
  Tensor weight, bias;
};

class RMSNorm : public Module {
 public:
  explicit RMSNorm(int64_t dim, double eps = 1e-6, DType dtype = DType::f32) : eps(eps) {
    weight = register_parameter("weight", Tensor::ones({dim}, dtype));
  }
  Tensor forward(const Tensor& x) override { return ops::rms_norm(x, {weight.shape()[0]}, weight, eps); }
  double eps;
  Tensor weight;
};

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5) : p(p) {}
  Tensor forward(const Tensor& x) override { return ops::dropout(x, p, is_training()); }
  double p;
};

class ReLU : public Module { public: Tensor forward(const Tensor& x) override { return ops::relu(x); } };
class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none") : approximate(std::move(approximate)) {}
  Tensor forward(const Tensor& x) override { return ops::gelu(x, approximate); }
  std::string approximate;
};
class SiLU : public Module { public: Tensor forward(const Tensor& x) override { return ops::silu(x); } };
class Tanh : public Module { public: Tensor forward(const Tensor& x) override { return ops::tanh(x); } };
class Sigmoid : public Module { public: Tensor forward(const Tensor& x) override { return ops::sigmoid(x); } };

class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> mods) { for (auto& m : mods) push_back(m); }
  void push_back(std::shared_ptr<Module> m) { layers.push_back(register_module(std::to_string(layers.size()), m)); }
  Tensor forward(const Tensor& x) override {
    Tensor h = x;
    for (auto& m : layers) h = m->forward(h);
    return h;
  }
  std::vector<std::shared_ptr<Module>> layers;
};

}  // namespace genlab::nn
