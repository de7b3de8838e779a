// Tutorial 01: an MLP (784-256-128-10, ReLU, Adam 1e-3 with cosine decay, batch 128) on Fashion-MNIST.
// Trains, checkpoints (weights + optimizer state), reloads into a fresh model and
// checks the reloaded model scores exactly the same. Exit code 1 if it does not,
// or if --min-accuracy is not reached.
//
//   build/tutorial_01_mlp_fashion_mnist [--epochs N] [--min-accuracy A] [--report FILE.md] [--checkpoint F]
// (--help lists them; an unknown flag is an error)
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <genlab/genlab.hpp>
#include <string>

using namespace genlab;

int main(int argc, char** argv) {
  cpu::restart_with_right_blas_core(argv);  // once, if OpenBLAS picked kernels below this CPU
  train::Options opt;  // 10 epochs, batch 128, lr 1e-3 with cosine decay, seed 0
  double min_accuracy = 0;
  std::string report;
  opt.checkpoint = "mlp_fashion_mnist.safetensors";
  CLI::App app{"Tutorial 01: an MLP on Fashion-MNIST, trained, checkpointed and reloaded"};
  app.add_option("--epochs", opt.epochs, "epochs")->capture_default_str();
  app.add_option("--min-accuracy", min_accuracy, "exit 1 below this test accuracy")->capture_default_str();
  app.add_option("--report", report, "append the measured table to this Markdown file");
  app.add_option("--checkpoint", opt.checkpoint, "checkpoint written after each epoch")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    manual_seed(opt.seed);
    data::TensorDataset train = data::fashion_mnist("train"), test = data::fashion_mnist("test");
    models::MLP model({784, 256, 128, 10});
    std::printf("MLP with %lld parameters, %lld threads, BLAS %s\n", (long long)model.num_parameters(),
                (long long)num_threads(), cpu::blas_name());

    train::Result res = train::fit(model, train, train::classification(test), opt);
    const double acc = res.metric("test_accuracy");

    models::MLP reloaded({784, 256, 128, 10});
    io::load_checkpoint(opt.checkpoint, reloaded);
    const double acc_reloaded = train::accuracy(reloaded, test);
    const bool same = acc_reloaded == acc;
    std::printf("final test accuracy %.4f; reloaded from %s: %.4f (%s)\n", acc, opt.checkpoint.c_str(),
                acc_reloaded, same ? "identical" : "MISMATCH");
    std::printf("energy %s over %.1f s\n", res.energy.str().c_str(), res.energy.seconds);

    if (!report.empty()) {
      std::ofstream md(report, std::ios::app);
      md << "## 01 · MLP on Fashion-MNIST\n\n"
         << "784-256-128-10 MLP, ReLU, Adam (lr 1e-3, cosine decay), batch 128, seed 0, " << num_threads() << " threads, BLAS "
         << cpu::blas_name() << ". Published MLP baseline: 0.883 (Fashion-MNIST benchmark table).\n\n"
         << "| epoch | train loss | test accuracy | seconds |\n|---|---|---|---|\n";
      for (auto& e : res.epochs) {
        char line[128];
        std::snprintf(line, sizeof line, "| %lld | %.4f | %.4f | %.2f |\n", (long long)e.epoch, e.train_loss,
                      e.metrics.at("test_accuracy"), e.seconds);
        md << line;
      }
      char tail[256];
      std::snprintf(tail, sizeof tail, "\nReloaded checkpoint accuracy: %.4f (%s). Energy: %s.\n\n", acc_reloaded,
                    same ? "identical" : "MISMATCH", res.energy.str().c_str());
      md << tail;
    }
    if (!same) return 1;
    if (acc < min_accuracy) {
      std::fprintf(stderr, "test accuracy %.4f below the required %.4f\n", acc, min_accuracy);
      return 1;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
