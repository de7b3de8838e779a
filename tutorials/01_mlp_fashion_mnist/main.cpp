// Tutorial 01: an MLP (784-256-128-10, ReLU, Adam 1e-3 with cosine decay, batch 128) on Fashion-MNIST.
// Trains, checkpoints (weights + optimizer state), reloads into a fresh model and
// checks the reloaded model scores exactly the same. Exit code 1 if it does not,
// or if --min-accuracy is not reached.
//
//   build/tutorial_01_mlp_fashion_mnist [--epochs N] [--min-accuracy A] [--report FILE.md]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <genlab/genlab.hpp>
#include <string>

using namespace genlab;

int main(int argc, char** argv) {
  cpu::restart_with_right_blas_core(argv);  // once, if OpenBLAS picked kernels below this CPU
  models::TrainOptions opt;  // 10 epochs, batch 128, lr 1e-3 with cosine decay, seed 0
  double min_accuracy = 0;
  std::string report, checkpoint = "mlp_fashion_mnist.safetensors";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--epochs")) opt.epochs = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--min-accuracy")) min_accuracy = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--report")) report = argv[i + 1];
    else if (!std::strcmp(argv[i], "--checkpoint")) checkpoint = argv[i + 1];
  }
  try {
    manual_seed(opt.seed);
    data::TensorDataset train = data::fashion_mnist("train"), test = data::fashion_mnist("test");
    models::MLP model({784, 256, 128, 10});
    std::printf("MLP with %lld parameters, %lld threads, BLAS %s\n", (long long)model.num_parameters(),
                (long long)num_threads(), cpu::blas_name());

    models::TrainResult res = models::train_classifier(model, train, test, opt, checkpoint);

    models::MLP reloaded({784, 256, 128, 10});
    io::load_checkpoint(checkpoint, reloaded);
    const double acc_reloaded = models::accuracy(reloaded, test);
    const bool same = acc_reloaded == res.test_accuracy;
    std::printf("final test accuracy %.4f; reloaded from %s: %.4f (%s)\n", res.test_accuracy, checkpoint.c_str(),
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
                      e.test_accuracy, e.seconds);
        md << line;
      }
      char tail[256];
      std::snprintf(tail, sizeof tail, "\nReloaded checkpoint accuracy: %.4f (%s). Energy: %s.\n\n", acc_reloaded,
                    same ? "identical" : "MISMATCH", res.energy.str().c_str());
      md << tail;
    }
    if (!same) return 1;
    if (res.test_accuracy < min_accuracy) {
      std::fprintf(stderr, "test accuracy %.4f below the required %.4f\n", res.test_accuracy, min_accuracy);
      return 1;
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
