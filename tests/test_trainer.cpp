// The one training loop (train::fit): a non-finite loss stops the run naming
// the step and keeps the last good checkpoint; bad options are refused; a run
// is bit-identical to a rerun from the same seed, and to one stopped after an
// epoch and resumed from its checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "genlab/genlab.hpp"

using namespace genlab;

namespace {

data::TensorDataset toy_data() {
  manual_seed(11);
  Tensor x = Tensor::randn({96, 6});
  return data::TensorDataset(x, ops::argmax(ops::slice(x, 1, 0, 3), 1));
}

std::vector<float> flat_weights(nn::Module& m) {
  std::vector<float> out;
  for (const auto& p : m.parameters()) {
    auto v = p.to(Device::cpu()).contiguous().to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

train::Options quiet(int64_t epochs, const std::string& checkpoint = "") {
  return {.epochs = epochs, .batch_size = 32, .lr = 1e-2, .verbose = false, .checkpoint = checkpoint};
}

std::string temp(const std::string& name) { return ::testing::TempDir() + "/trainer_" + name; }

}  // namespace

TEST(Trainer, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint) {
  const auto ds = toy_data();
  const std::string ckpt = temp("nan.safetensors");
  std::filesystem::remove(ckpt);
  manual_seed(1);
  models::MLP net({6, 8, 3});
  int64_t calls = 0;
  std::vector<float> after_epoch_1;
  train::Task task = train::classification(ds);
  auto ce = task.loss;
  // batch 5 (epoch 2, batch 2; 3 batches per epoch) gives NaN
  task.loss = [&](nn::Module& m, const data::Batch& b) {
    Tensor l = ce(m, b);
    return ++calls == 5 ? ops::mul(l, NAN) : l;
  };
  auto evaluate = task.evaluate;
  task.evaluate = [&](nn::Module& m) {
    if (after_epoch_1.empty()) after_epoch_1 = flat_weights(m);
    return evaluate(m);
  };
  try {
    train::fit(net, ds, task, quiet(3, ckpt));
    FAIL() << "a NaN loss did not stop training";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("the loss is nan at step 4 (epoch 2, batch 2)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("last good checkpoint '" + ckpt + "' is kept"), std::string::npos) << msg;
  }
  EXPECT_EQ(calls, 5);
  models::MLP reloaded({6, 8, 3});
  auto meta = io::load_checkpoint(ckpt, reloaded);
  EXPECT_EQ(meta["epoch"], "1");
  EXPECT_EQ(flat_weights(reloaded), after_epoch_1) << "the checkpoint is not the one of the last good epoch";
  // the model itself was not stepped with the NaN loss's gradient
  for (float w : flat_weights(net)) ASSERT_TRUE(std::isfinite(w));
}

TEST(Trainer, RefusesBadOptions) {
  const auto ds = toy_data();
  models::MLP net({6, 8, 3});
  auto expect_error = [&](train::Options o, const std::string& words) {
    try {
      train::fit(net, ds, train::classification(ds), o);
      ADD_FAILURE() << "no error for " << words;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  auto o = quiet(1);
  o.lr = NAN;
  expect_error(o, "learning rate must be a positive number, got nan");
  o.lr = -1;
  expect_error(o, "learning rate must be a positive number, got -1");
  o = quiet(1);
  o.batch_size = 0;
  expect_error(o, "batch size must be positive, got 0");
  o = quiet(1);
  o.clip_grad_norm = -1;
  expect_error(o, "clip_grad_norm must be >= 0");
  o = quiet(1, temp("missing.safetensors"));
  o.resume = true;
  std::filesystem::remove(o.checkpoint);
  expect_error(o, "cannot resume, checkpoint '" + o.checkpoint + "' does not exist");
}

TEST(Trainer, RerunFromTheSameSeedIsBitIdentical) {
  const auto ds = toy_data();
  std::vector<std::vector<double>> losses;
  std::vector<std::vector<float>> weights;
  for (int run = 0; run < 2; ++run) {
    manual_seed(2);
    models::MLP net({6, 8, 3});
    auto o = quiet(3);
    o.clip_grad_norm = 0.5;
    auto res = train::fit(net, ds, train::classification(ds), o);
    losses.emplace_back();
    for (const auto& e : res.epochs) losses.back().push_back(e.train_loss);
    weights.push_back(flat_weights(net));
  }
  EXPECT_EQ(losses[0], losses[1]);
  EXPECT_EQ(weights[0], weights[1]);
}

TEST(Trainer, ResumedRunMatchesAnUninterruptedOne) {
  const auto ds = toy_data();
  manual_seed(3);
  models::MLP straight({6, 8, 3});
  auto full = train::fit(straight, ds, train::classification(ds), quiet(3));

  // the same run, killed in epoch 2 (the loss function throws), then resumed
  const std::string ckpt = temp("resume.safetensors");
  std::filesystem::remove(ckpt);
  manual_seed(3);
  models::MLP killed({6, 8, 3});
  train::Task dies = train::classification(ds);
  int64_t calls = 0;
  auto ce = dies.loss;
  dies.loss = [&](nn::Module& m, const data::Batch& b) {
    if (++calls == 5) throw std::runtime_error("killed");
    return ce(m, b);
  };
  EXPECT_THROW(train::fit(killed, ds, dies, quiet(3, ckpt)), std::runtime_error);
  manual_seed(99);  // the resumed model's own init is replaced by the checkpoint's weights
  models::MLP resumed({6, 8, 3});
  auto o = quiet(3, ckpt);
  o.resume = true;
  auto rest = train::fit(resumed, ds, train::classification(ds), o);
  ASSERT_EQ(rest.epochs.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(rest.epochs[e].epoch, full.epochs[e + 1].epoch);
    EXPECT_EQ(rest.epochs[e].train_loss, full.epochs[e + 1].train_loss) << "epoch " << e + 2;
  }
  EXPECT_EQ(flat_weights(resumed), flat_weights(straight));
  EXPECT_EQ(rest.metric("test_accuracy"), full.metric("test_accuracy"));
}
