// Device: where a tensor's storage lives (cpu, or cuda:N).
#pragma once
#include <ostream>
#include <string>

namespace genlab {

struct Device {
  enum class Type : uint8_t { cpu, cuda };
  Type type = Type::cpu;
  int index = 0;
  constexpr Device() = default;
  constexpr Device(Type t, int i = 0) : type(t), index(i) {}
  static constexpr Device cpu() { return {Type::cpu, 0}; }
  static constexpr Device cuda(int i = 0) { return {Type::cuda, i}; }
  bool is_cpu() const { return type == Type::cpu; }
  bool is_cuda() const { return type == Type::cuda; }
  bool operator==(const Device&) const = default;
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};
inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

// True when genlab was built with CUDA and a GPU is present at run time.
bool cuda_is_available();

}  // namespace genlab
