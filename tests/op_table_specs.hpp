// The input generators of the op table's rows (op_table.cpp, op_table_families.cpp).
#pragma once
#include "op_table.hpp"

namespace genlab::testing {
inline InputSpec N(Shape s) { return {InputSpec::normal, std::move(s)}; }
inline InputSpec P(Shape s) { return {InputSpec::positive, std::move(s)}; }
inline InputSpec U(Shape s) { return {InputSpec::uniform, std::move(s)}; }
inline InputSpec I(int64_t high, Shape s) { return {InputSpec::index, std::move(s), high}; }
using V = const std::vector<Tensor>&;
// The rows of the model families (issue 11: convolution, pooling, normalisation, recurrences).
std::vector<OpCase> family_op_cases();
}  // namespace genlab::testing
