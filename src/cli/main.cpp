// The genlab command line: `genlab info FILE`, `genlab train mlp`, `genlab eval mlp`, `genlab sysinfo`.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <genlab/genlab.hpp>

#include "sysinfo.hpp"

using namespace genlab;

int main(int argc, char** argv) {
  cpu::restart_with_right_blas_core(argv);  // once, if OpenBLAS picked kernels below this CPU
  CLI::App app{"genlab: neural model families on CPU and CUDA"};
  app.require_subcommand(1);

  auto* info = app.add_subcommand("info", "List the tensors of a safetensors file");
  std::string info_path;
  info->add_option("file", info_path, "safetensors file")->required();

  auto* train_cmd = app.add_subcommand("train", "Train a model");
  std::string model = "mlp", ckpt = "mlp.safetensors";
  train::Options opt;
  train_cmd->add_option("model", model, "model to train (mlp)")->check(CLI::IsMember({"mlp"}));
  train_cmd->add_option("--epochs", opt.epochs, "epochs")->capture_default_str();
  train_cmd->add_option("--batch-size", opt.batch_size, "batch size")->capture_default_str();
  train_cmd->add_option("--lr", opt.lr, "Adam learning rate")->capture_default_str();
  train_cmd->add_option("--seed", opt.seed, "seed for init and shuffling")->capture_default_str();
  train_cmd->add_option("--clip-grad-norm", opt.clip_grad_norm, "clip the gradients' global L2 norm (0: off)")
      ->capture_default_str();
  train_cmd->add_option("--checkpoint", ckpt, "where to write the checkpoint (after each epoch)")
      ->capture_default_str();
  train_cmd->add_flag("--resume", opt.resume, "continue from --checkpoint: weights, optimizer state, next epoch");
  std::string device = "cpu";
  train_cmd->add_option("--device", device, "cpu, or cuda (a GPU, or the emulated device with GENLAB_CUDA_EMULATE=1)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();

  auto* eval = app.add_subcommand("eval", "Evaluate a checkpoint on the test set");
  std::string eval_model = "mlp", eval_ckpt = "mlp.safetensors";
  eval->add_option("model", eval_model, "model (mlp)")->check(CLI::IsMember({"mlp"}));
  eval->add_option("--checkpoint", eval_ckpt, "checkpoint to load")->capture_default_str();

  auto* sys = app.add_subcommand("sysinfo", "What genlab found on this machine: CPU features, threads, BLAS kernels, "
                                               "CUDA, energy counters");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*sys) {
      return cli::sysinfo();
    } else if (*info) {
      io::SafeTensors f = io::SafeTensors::open(info_path);
      std::printf("%s: %zu tensors, header %llu bytes\n", info_path.c_str(), f.tensors().size(),
                  (unsigned long long)f.header_size());
      for (auto& [k, v] : f.metadata()) std::printf("  metadata %s = %s\n", k.c_str(), v.c_str());
      for (auto& t : f.tensors())
        std::printf("  %-40s %-5s %-20s bytes [%llu, %llu)\n", t.name.c_str(), io::safetensors_dtype_name(t.dtype),
                    shape_str(t.shape).c_str(), (unsigned long long)t.begin, (unsigned long long)t.end);
    } else if (*train_cmd) {
      manual_seed(opt.seed);
      opt.device = device == "cuda" ? Device::cuda() : Device::cpu();
      GENLAB_CHECK(opt.device.is_cpu() || cuda_is_available(), "--device cuda: ",
                   cuda::built() ? "no CUDA device is present" : "genlab was built without CUDA",
                   " (GENLAB_CUDA_EMULATE=1 runs on the emulated device, slowly)");
      models::MLP net({784, 256, 128, 10});
      auto tr = data::fashion_mnist("train"), te = data::fashion_mnist("test");
      opt.checkpoint = ckpt;
      auto res = train::fit(net, tr, train::classification(te), opt);
      std::printf("test accuracy %.4f; energy %s; checkpoint %s\n", res.metric("test_accuracy"),
                  res.energy_str().c_str(), ckpt.c_str());
    } else if (*eval) {
      models::MLP net({784, 256, 128, 10});
      auto meta = io::load_checkpoint(eval_ckpt, net);
      double acc = train::accuracy(net, data::fashion_mnist("test"));
      std::printf("test accuracy %.4f (recorded at save: %s)\n", acc,
                  meta.count("test_accuracy") ? meta["test_accuracy"].c_str() : "n/a");
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "genlab: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
