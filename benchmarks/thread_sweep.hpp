// genlab_bench --only threads: the thread sweep (see thread_sweep.cpp).
#pragma once
#include <genlab/genlab.hpp>
#include <nlohmann/json.hpp>

namespace genlab::bench {
nlohmann::json thread_sweep(const data::TensorDataset& train, bool quick);
}
