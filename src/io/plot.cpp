#include "genlab/io/plot.hpp"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "genlab/core/error.hpp"
#include "genlab/io/safetensors.hpp"

namespace genlab::io {

void Plot::save(const std::string& path) const {
  GENLAB_CHECK(!series.empty(), "plot '", title, "': no series to save to '", path, "'");
  nlohmann::json j{{"title", title}, {"xlabel", xlabel}, {"ylabel", ylabel}, {"kind", kind}, {"logy", logy}};
  j["series"] = nlohmann::json::array();
  for (const auto& s : series) {
    const size_t nx = kind == "bar" ? s.categories.size() : s.x.size();
    GENLAB_CHECK(nx == s.y.size(), "plot '", title, "': series '", s.label, "' has ", nx, " x values and ", s.y.size(), " y values");
    nlohmann::json y = nlohmann::json::array();
    for (double v : s.y) y.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));  // JSON has no NaN
    j["series"].push_back({{"label", s.label}, {"y", y}});
    if (kind == "bar") j["series"].back()["x"] = s.categories;
    else j["series"].back()["x"] = s.x;
  }
  const auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  GENLAB_CHECK(!ec, "plot: cannot create the folder '", dir.string(), "': ", ec.message());
  write_file_atomic(path, j.dump(1) + "\n");
}

}  // namespace genlab::io
