// DType: the element types a Tensor can hold. f32 is first-class, f64 exists for
// gradcheck, f16/bf16 are storage types (converted to f32 for math), i32/i64/u8
// hold indices, labels and raw bytes.
#pragma once
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>

#include "genlab/core/error.hpp"

namespace genlab {

enum class DType : uint8_t { f32, f64, f16, bf16, i32, i64, u8 };

// IEEE half and bfloat16 as 16-bit storage with float conversion.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  explicit Half(float f) : bits(from_float(f)) {}
  explicit operator float() const { return to_float(bits); }
  static uint16_t from_float(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = int32_t((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0xff) return uint16_t(sign | 0x7c00u | (mant ? 0x200u : 0));  // inf/nan
    if (exp >= 31) return uint16_t(sign | 0x7c00u);                                          // overflow
    if (exp <= 0) {                                                                          // subnormal
      if (exp < -10) return uint16_t(sign);
      mant |= 0x800000u;
      uint32_t shift = uint32_t(14 - exp);
      uint32_t half = mant >> shift;
      uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1))) ++half;
      return uint16_t(sign | half);
    }
    uint32_t h = sign | (uint32_t(exp) << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) ++h;  // round to nearest even
    return uint16_t(h);
  }
  static float to_float(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
    if (exp == 0) {
      if (mant == 0) {
        x = sign;
      } else {  // normalise the subnormal
        exp = 127 - 15 + 1;
        while (!(mant & 0x400u)) { mant <<= 1; --exp; }
        x = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
      }
    } else if (exp == 31) {
      x = sign | 0x7f800000u | (mant << 13);
    } else {
      x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &x, 4);
    return f;
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) { bits = uint16_t((x >> 16) | 0x40); return; }  // nan
    x += 0x7fffu + ((x >> 16) & 1);  // round to nearest even
    bits = uint16_t(x >> 16);
  }
  explicit operator float() const {
    uint32_t x = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
  }
};

inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: case DType::i32: return 4;
    case DType::f64: case DType::i64: return 8;
    case DType::f16: case DType::bf16: return 2;
    case DType::u8: return 1;
  }
  return 0;
}
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::f16: return "float16";
    case DType::bf16: return "bfloat16";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::u8: return "uint8";
  }
  return "?";
}
inline bool is_floating(DType t) { return t == DType::f32 || t == DType::f64 || t == DType::f16 || t == DType::bf16; }
inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<Half>() { return DType::f16; }
template <> constexpr DType dtype_of<BFloat16>() { return DType::bf16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }

// Calls fn.template operator()<T>() with T the C++ type of `t`.
template <class F>
decltype(auto) dispatch_all(DType t, F&& fn) {
  switch (t) {
    case DType::f32: return fn.template operator()<float>();
    case DType::f64: return fn.template operator()<double>();
    case DType::f16: return fn.template operator()<Half>();
    case DType::bf16: return fn.template operator()<BFloat16>();
    case DType::i32: return fn.template operator()<int32_t>();
    case DType::i64: return fn.template operator()<int64_t>();
    case DType::u8: return fn.template operator()<uint8_t>();
  }
  GENLAB_FAIL("unknown dtype");
}

// Math kernels run in f32 and f64; `op` names the caller in the error.
template <class F>
decltype(auto) dispatch_float(DType t, const char* op, F&& fn) {
  if (t == DType::f32) return fn.template operator()<float>();
  if (t == DType::f64) return fn.template operator()<double>();
  GENLAB_FAIL(op, ": expected a float32 or float64 tensor, got ", dtype_name(t),
              " (convert with .to(DType::f32))");
}

template <class F>
decltype(auto) dispatch_index(DType t, const char* op, F&& fn) {
  if (t == DType::i64) return fn.template operator()<int64_t>();
  if (t == DType::i32) return fn.template operator()<int32_t>();
  GENLAB_FAIL(op, ": expected an int64 or int32 index tensor, got ", dtype_name(t));
}

}  // namespace genlab
