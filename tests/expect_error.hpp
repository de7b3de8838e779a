// The test helper every suite uses for bad input: f() must raise a
// genlab::Error whose message contains every one of `words`.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "genlab/core/error.hpp"

namespace genlab::testing {

template <class F>
void expect_error(F&& f, const std::vector<std::string>& words, const std::string& what = "") {
  try {
    f();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    for (const auto& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << what << ": " << e.what();
  }
}

}  // namespace genlab::testing
