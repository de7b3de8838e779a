// Small real data sets that Debian ships, read offline:
// - the fortunes corpus (package `fortunes`), byte-level text for character
//   language models, split into train and validation by fortune, not by byte;
// - scikit-learn's 8x8 handwritten digits (package `python3-sklearn`).
// The parsers take bytes in memory (fuzzed: tests/fuzz/fuzz_corpora.cpp); bad or
// truncated files raise a genlab::Error naming the file, the line or offset, and
// the package to install.
//
//   auto text = data::fortunes_corpus();          // 10 % of the fortunes held out
//   Tensor ids = data::bytes_tensor(text.train);  // int64 byte values, [n]
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "genlab/data/data.hpp"

namespace genlab::data {

// ---- fortunes ----
// The fortunes of one fortune(6) file: texts separated by lines holding only
// "%"; each text keeps its final newline, empty texts are dropped.
std::vector<std::string> split_fortunes(std::string_view file_text);
// The number of strings a strfile index (X.dat, big-endian header) says X holds.
uint32_t strfile_count(const uint8_t* data, size_t size);

struct TextSplit {
  std::string train, validation;  // fortunes concatenated, each followed by "%\n" as in the files
  int64_t train_docs = 0, validation_docs = 0;
  std::vector<std::string> files;  // the files read, sorted
};
std::string fortunes_dir();  // $GENLAB_FORTUNES or /usr/share/games/fortunes
// Every fortune file of `dir` (each checked against its .dat index); fortune i
// goes to validation with probability validation_fraction, drawn by Philox(seed, i).
TextSplit fortunes_corpus(double validation_fraction = 0.1, uint64_t seed = 0, const std::string& dir = "");

Tensor bytes_tensor(std::string_view text);  // int64 [n], values 0..255

// ---- digits ----
// sklearn's digits.csv: 65 integers per line, 64 pixels 0..16 then the label
// 0..9. x float32 [N, 64] scaled to [0, 1], y int64 [N].
TensorDataset parse_digits_csv(std::string_view csv);
std::string digits_path();  // $GENLAB_DIGITS or python3-sklearn's sklearn/datasets/data/digits.csv.gz
TensorDataset digits(const std::string& path = "");  // 1797 images

// A random split of the rows: (rest, held out) with round(fraction * N) held out, by Philox(seed).
std::pair<TensorDataset, TensorDataset> random_split(const TensorDataset& ds, double held_out_fraction,
                                                     uint64_t seed = 0);

}  // namespace genlab::data
