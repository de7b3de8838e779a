// libFuzzer target: any byte string fed to the safetensors parser must either
// parse (and every tensor be readable) or throw genlab::Error.
#include <genlab/io/safetensors.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = genlab::io::SafeTensors::from_buffer(std::vector<uint8_t>(data, data + size));
    for (auto& [name, t] : f.all()) {
      volatile uint8_t sink = 0;
      const uint8_t* p = static_cast<const uint8_t*>(t.raw_data());
      for (size_t i = 0; i < t.nbytes(); ++i) sink = sink ^ p[i];
    }
  } catch (const genlab::Error&) {
  }
  return 0;
}
