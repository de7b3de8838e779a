// libFuzzer target: the IDX parser must parse or throw genlab::Error, never crash.
#include <genlab/io/idx.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    genlab::Tensor t = genlab::io::parse_idx(data, size);
    volatile uint8_t sink = 0;
    for (int64_t i = 0; i < t.numel(); ++i) sink = sink ^ t.data<uint8_t>()[i];
  } catch (const genlab::Error&) {
  }
  return 0;
}
