// The per-element functions of the elementwise CUDA kernels (elementwise.cuh):
// each unary op's value and derivative, and each binary op's value, as in
// src/cpu/elementwise.cpp. Host and device.
#pragma once
#include <cmath>

#include "common.cuh"
#include "genlab/backend/cpu.hpp"  // UnaryOp, BinaryOp

namespace genlab::cuda::kernels {

// p0, p1: the op's parameters (UnaryOp). The host compiler has no rsqrtf, so 1 / sqrtf.
GENLAB_HD inline float unary_apply(UnaryOp op, float x, float p0, float p1) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::exp: return expf(x);
    case UnaryOp::log: return logf(x);
    case UnaryOp::sqrt: return sqrtf(x);
    case UnaryOp::tanh: return tanhf(x);
    case UnaryOp::sigmoid: return 1.f / (1.f + expf(-x));
    case UnaryOp::relu: return x < 0.f ? 0.f : x;  // NaN passes, as in PyTorch
    case UnaryOp::gelu: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case UnaryOp::gelu_tanh: return 0.5f * x * (1.f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case UnaryOp::silu: return x / (1.f + expf(-x));
    case UnaryOp::softplus: return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x)));
    case UnaryOp::abs: return fabsf(x);
    case UnaryOp::sin: return sinf(x);
    case UnaryOp::cos: return cosf(x);
    case UnaryOp::erf: return erff(x);
    case UnaryOp::log1p: return log1pf(x);
    case UnaryOp::expm1: return expm1f(x);
    case UnaryOp::rsqrt: return 1.f / sqrtf(x);
    case UnaryOp::reciprocal: return 1.f / x;
    case UnaryOp::sign: return float(x > 0.f) - float(x < 0.f);  // 0 at NaN, as PyTorch
    case UnaryOp::floor: return floorf(x);
    case UnaryOp::round: return rintf(x);  // half to even
    case UnaryOp::leaky_relu: return x > 0.f ? x : x * p0;
    case UnaryOp::elu: return x > 0.f ? x : p0 * expm1f(x);
    case UnaryOp::mish: return x * tanhf(fmaxf(x, 0.f) + log1pf(expf(-fabsf(x))));
    case UnaryOp::hardtanh: return x < p0 ? p0 : (x > p1 ? p1 : x);
    case UnaryOp::logsigmoid: return fminf(x, 0.f) - log1pf(expf(-fabsf(x)));
  }
  return 0.f;
}

// The kinks as in PyTorch (and cpu::unary_backward); the masks (relu,
// hardtanh) and zero gradients (sign, floor, round) are selects in UnaryBackward.
GENLAB_HD inline float unary_derivative(UnaryOp op, float x, float y, float p0) {
  switch (op) {
    case UnaryOp::neg: return -1.f;
    case UnaryOp::exp: return y;
    case UnaryOp::log: return 1.f / x;
    case UnaryOp::sqrt: return 0.5f / y;
    case UnaryOp::tanh: return 1.f - y * y;
    case UnaryOp::sigmoid: return y * (1.f - y);
    case UnaryOp::relu: return x <= 0.f ? 0.f : 1.f;
    case UnaryOp::gelu:
      return 0.5f * (1.f + erff(x * 0.70710678118654752f)) + x * expf(-0.5f * x * x) * 0.3989422804014327f;
    case UnaryOp::gelu_tanh: {
      const float k = 0.7978845608028654f, c = 0.044715f, t = tanhf(k * (x + c * x * x * x));
      return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * k * (1.f + 3.f * c * x * x);
    }
    case UnaryOp::silu: {
      const float s = 1.f / (1.f + expf(-x));
      return s * (1.f + x * (1.f - s));
    }
    case UnaryOp::softplus: return 1.f / (1.f + expf(-x));
    case UnaryOp::abs: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
    case UnaryOp::sin: return cosf(x);
    case UnaryOp::cos: return -sinf(x);
    case UnaryOp::erf: return 1.1283791670955126f * expf(-x * x);
    case UnaryOp::log1p: return 1.f / (1.f + x);
    case UnaryOp::expm1: return y + 1.f;
    case UnaryOp::rsqrt: return -0.5f * y * y * y;
    case UnaryOp::reciprocal: return -y * y;
    case UnaryOp::leaky_relu: return x > 0.f ? 1.f : p0;
    case UnaryOp::elu: return x <= 0.f ? p0 * expf(x) : 1.f;
    case UnaryOp::mish: {
      const float t = tanhf(fmaxf(x, 0.f) + log1pf(expf(-fabsf(x)))), s = 1.f / (1.f + expf(-x));
      return t + x * s * (1.f - t * t);
    }
    case UnaryOp::logsigmoid: return 1.f / (1.f + expf(x));
    case UnaryOp::sign: case UnaryOp::floor: case UnaryOp::round: case UnaryOp::hardtanh: break;
  }
  return 0.f;
}
// gx for one element: a select where PyTorch's gradient is a mask (gy passes at
// NaN; 0 * inf never forms) or zero, else gy * the derivative.
GENLAB_HD inline float unary_grad(UnaryOp op, float x, float y, float gy, float p0, float p1) {
  switch (op) {
    case UnaryOp::relu: return x <= 0.f ? 0.f : gy;
    case UnaryOp::hardtanh: return (x <= p0 || x >= p1) ? 0.f : gy;
    case UnaryOp::sign: case UnaryOp::floor: case UnaryOp::round: return 0.f;
    default: return gy * unary_derivative(op, x, y, p0);
  }
}

GENLAB_HD inline float binary_apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::pow: return powf(a, b);
    case BinaryOp::maximum: return (a > b || a != a) ? a : b;  // NaN in either gives NaN, as PyTorch
    case BinaryOp::minimum: return (a < b || a != a) ? a : b;
    case BinaryOp::bce: return (b - 1.f) * fmaxf(log1pf(-a), -100.f) - b * fmaxf(logf(a), -100.f);
    case BinaryOp::bce_grad: return (a - b) / fmaxf((1.f - a) * a, 1e-12f);
  }
  return 0.f;
}

}  // namespace genlab::cuda::kernels
