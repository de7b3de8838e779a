// libFuzzer target: the digits CSV parser, the fortune splitter and the strfile
// index header must parse or throw genlab::Error, never crash.
#include <genlab/data/corpora.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto ds = genlab::data::parse_digits_csv(text);
    volatile float sink = ds.x.data<float>()[ds.x.numel() - 1];
    (void)sink;
  } catch (const genlab::Error&) {
  }
  volatile size_t n = genlab::data::split_fortunes(text).size();
  (void)n;
  try {
    volatile uint32_t count = genlab::data::strfile_count(data, size);
    (void)count;
  } catch (const genlab::Error&) {
  }
  return 0;
}
