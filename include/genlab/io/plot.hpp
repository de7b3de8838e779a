// Plots as data: a tutorial describes each figure (series of x, y) and saves it
// as JSON; scripts/plot.py renders every *.plot.json to a PNG beside it with
// matplotlib (make tour and make papers run it). One way to draw for the whole
// library, and the numbers stay readable in the JSON.
//
//   io::Plot p{.title = "validation loss", .xlabel = "epoch", .ylabel = "loss"};
//   p.add("LSTM", {1, 2, 3}, {2.1, 1.7, 1.5});
//   p.save("reports/plots/03_loss.plot.json");   // then: python3 scripts/plot.py reports/plots/*.plot.json
#pragma once
#include <string>
#include <vector>

namespace genlab::io {

struct Plot {
  std::string title, xlabel, ylabel;
  std::string kind = "line";  // or "bar": x are category names
  bool logy = false;
  struct Series {
    std::string label;
    std::vector<double> x;
    std::vector<std::string> categories;  // bar plots
    std::vector<double> y;
  };
  std::vector<Series> series;

  void add(std::string label, std::vector<double> x, std::vector<double> y) {
    series.push_back({std::move(label), std::move(x), {}, std::move(y)});
  }
  void add_bars(std::string label, std::vector<std::string> categories, std::vector<double> y) {
    kind = "bar";
    series.push_back({std::move(label), {}, std::move(categories), std::move(y)});
  }
  // Writes the JSON spec atomically, creating the folder; errors name the path.
  void save(const std::string& path) const;
};

}  // namespace genlab::io
