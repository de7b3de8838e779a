// Training checkpoints: model weights and optimizer state in one safetensors
// file ("model.<name>", "optim.<slot>"), written atomically.
#pragma once
#include <string>

#include "genlab/nn/module.hpp"
#include "genlab/optim/optim.hpp"

namespace genlab::io {

void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer* opt = nullptr,
                     const std::map<std::string, std::string>& metadata = {});
// Returns the checkpoint's metadata.
std::map<std::string, std::string> load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* opt = nullptr);

}  // namespace genlab::io
