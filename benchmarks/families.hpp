// The model families' parts of genlab_bench (families.cpp).
#pragma once
#include <genlab/genlab.hpp>
#include <nlohmann/json.hpp>

namespace genlab::bench {
void conv_part(nlohmann::json& out, bool quick, int reps);
void rnn_part(nlohmann::json& out, bool quick);
void train_part(nlohmann::json& out, bool quick);
}  // namespace genlab::bench
