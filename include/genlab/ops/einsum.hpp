// torch.einsum for one or two operands, composed from index_select (diagonals),
// sum, expand, permute, reshape, mul and bmm: its gradient and its CUDA path are theirs.
//   einsum("ij,jk->ik", {a, b})        a @ b          einsum("bhqd,bhkd->bhqk", {q, k})  attention scores
//   einsum("i,j->ij", {u, v})          outer product  einsum("ij->ji", {a})  transpose; "ij->" the sum
//   einsum("ii->i", {m})               diagonal       einsum("ii", {m})      trace
//   einsum("...ij,...jk->...ik", {a, b})  batched a @ b, the batch dims broadcast
// Subscripts are letters a-zA-Z (spaces are ignored) and at most one "..." per
// operand, which stands for the dims no letter names (right-aligned and
// broadcast across the operands). Without "->" the output is the "..." dims,
// then the letters that appear once in the equation in ASCII order (upper case
// first), as PyTorch. A letter's size-1 dims broadcast against the other
// operand's; a letter repeated in one operand takes the diagonal. Three or more
// operands raise (contract them pairwise). How: the letters of one operand that
// are neither in the output nor in the other operand are summed first; the
// shared letters not in the output are then contracted by one bmm, batched
// over the shared output letters (a plain broadcast product when none is contracted).
#pragma once
#include <algorithm>
#include <map>
#include <string>

#include "genlab/ops/index.hpp"
#include "genlab/ops/linalg.hpp"

namespace genlab::ops {

namespace detail {
// Subscripts as labels: 'A'-'Z' 0-25, 'a'-'z' 26-51 (ASCII order), the dims of "..." 52 on.
constexpr int kEllipsisLabel = 52;
struct EinsumTerm {
  std::vector<int> labels;
  bool ellipsis = false;
  size_t ellipsis_at = 0;  // where "..." stands among the labels
};
inline std::string einsum_name(int l) {
  if (l >= kEllipsisLabel) return "'...' dim " + std::to_string(l - kEllipsisLabel);
  return std::string(1, char(l < 26 ? 'A' + l : 'a' + l - 26));
}
// The term of `eq` in [b, e); `what` names it in errors.
inline EinsumTerm einsum_term(const std::string& eq, size_t b, size_t e, const std::string& what) {
  EinsumTerm t;
  for (size_t i = b; i < e; ++i) {
    const char c = eq[i];
    if (c == ' ') continue;
    if (c == '.') {
      GENLAB_CHECK(i + 3 <= e && eq.compare(i, 3, "...") == 0, "einsum: '.' at index ", i, " of \"", eq,
                   "\" is not part of an ellipsis '...'");
      GENLAB_CHECK(!t.ellipsis, "einsum: ", what, " has a second ellipsis '...' at index ", i, " of \"", eq, "\"");
      t.ellipsis = true;
      t.ellipsis_at = t.labels.size();
      i += 2;
      continue;
    }
    const bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
    GENLAB_CHECK(upper || lower, "einsum: invalid subscript '", c, "' at index ", i, " of \"", eq,
                 "\" (subscripts are letters a-zA-Z, or '...')");
    t.labels.push_back(upper ? c - 'A' : 26 + c - 'a');
  }
  return t;
}
// The positions in `have` of the labels `want`, in want's order.
inline std::vector<int64_t> einsum_positions(const std::vector<int>& have, const std::vector<int>& want) {
  std::vector<int64_t> p;
  for (int l : want) p.push_back(std::find(have.begin(), have.end(), l) - have.begin());
  return p;
}
// x with the diagonal of each label repeated in `labels` (one dim for the pair), labels updated.
inline Tensor einsum_diagonals(Tensor x, std::vector<int>& labels, size_t k) {
  for (size_t p = 0; p < labels.size(); ++p) {
    const auto q = size_t(std::find(labels.begin() + int64_t(p) + 1, labels.end(), labels[p]) - labels.begin());
    if (q == labels.size()) continue;
    const int64_t n = x.shape()[p];
    GENLAB_CHECK(x.shape()[q] == n, "einsum: subscript ", einsum_name(labels[p]), " is repeated in operand ", k,
                 " ", shape_str(x.shape()), " with sizes ", n, " and ", x.shape()[q]);
    std::vector<int64_t> perm, diag;
    std::vector<int> rest;
    Shape s;
    for (size_t i = 0; i < labels.size(); ++i)
      if (i != p && i != q) { perm.push_back(int64_t(i)); rest.push_back(labels[i]); s.push_back(x.shape()[i]); }
    perm.insert(perm.end(), {int64_t(p), int64_t(q)});
    s.push_back(n * n);
    for (int64_t i = 0; i < n; ++i) diag.push_back(i * (n + 1));  // (i, i) of the flattened pair
    x = index_select(reshape(permute(x, perm), s), int64_t(s.size()) - 1, Tensor::from_vector(diag, {n}));
    rest.push_back(labels[p]);
    labels = rest;
    p = size_t(-1);  // start over: the labels moved
  }
  return x;
}
inline int64_t einsum_numel(const std::map<int, int64_t>& size, const std::vector<int>& ls) {
  int64_t n = 1;
  for (int l : ls) n *= size.at(l);
  return n;
}
}  // namespace detail

inline Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  using detail::EinsumTerm;
  const size_t arrow = equation.find("->"), lhs_end = arrow == std::string::npos ? equation.size() : arrow;
  std::vector<EinsumTerm> terms;
  for (size_t b = 0;;) {
    const size_t c = std::min(equation.find(',', b), lhs_end);
    terms.push_back(detail::einsum_term(equation, b, c, "operand " + std::to_string(terms.size())));
    if (c == lhs_end) break;
    b = c + 1;
  }
  const size_t n_ops = operands.size();
  GENLAB_CHECK(terms.size() == n_ops, "einsum: \"", equation, "\" has subscripts for ", terms.size(), " operands, got ", n_ops);
  GENLAB_CHECK(n_ops == 1 || n_ops == 2, "einsum: ", n_ops, " operands; genlab's einsum takes 1 or 2 (contract more pairwise)");
  if (n_ops == 2) detail::check_same("einsum", operands[0], operands[1]);
  // "..." becomes labels 52 on, right-aligned: the operand with the most such dims has them all
  int64_t n_ell = 0;
  std::vector<int64_t> ell(n_ops);
  for (size_t k = 0; k < n_ops; ++k) {
    const int64_t named = int64_t(terms[k].labels.size()), r = operands[k].dim();
    GENLAB_CHECK(terms[k].ellipsis ? named <= r : named == r, "einsum: operand ", k, " ", shape_str(operands[k].shape()),
                 " has ", r, " dims but its subscripts name ", named, terms[k].ellipsis ? " besides '...'" : "",
                 " in \"", equation, "\"");
    ell[k] = r - named;
    n_ell = std::max(n_ell, ell[k]);
  }
  std::vector<int> count(size_t(detail::kEllipsisLabel + n_ell), 0);
  std::vector<std::vector<int>> labels(n_ops);
  for (size_t k = 0; k < n_ops; ++k) {
    labels[k] = terms[k].labels;
    for (int64_t j = 0; j < ell[k]; ++j)
      labels[k].insert(labels[k].begin() + int64_t(terms[k].ellipsis_at) + j, int(detail::kEllipsisLabel + n_ell - ell[k] + j));
    for (int l : labels[k]) ++count[size_t(l)];
  }
  std::vector<int> out;
  if (arrow == std::string::npos) {  // implicit: the "..." dims, then the letters seen once, in order
    for (int64_t j = 0; j < n_ell; ++j) out.push_back(int(detail::kEllipsisLabel + j));
    for (int l = 0; l < detail::kEllipsisLabel; ++l)
      if (count[size_t(l)] == 1) out.push_back(l);
  } else {
    EinsumTerm t = detail::einsum_term(equation, arrow + 2, equation.size(), "the output");
    for (int l : t.labels) {
      GENLAB_CHECK(count[size_t(l)] > 0, "einsum: output subscript ", detail::einsum_name(l),
                   " does not appear in any operand of \"", equation, "\"");
      GENLAB_CHECK(std::count(t.labels.begin(), t.labels.end(), l) == 1, "einsum: output subscript ",
                   detail::einsum_name(l), " appears more than once in \"", equation, "\"");
    }
    out = t.labels;
    for (int64_t j = 0; j < (t.ellipsis ? n_ell : 0); ++j)
      out.insert(out.begin() + int64_t(t.ellipsis_at) + j, int(detail::kEllipsisLabel + j));
  }
  // Diagonals, then each label's size: size-1 dims broadcast, other sizes must agree
  std::vector<Tensor> xs;
  std::map<int, int64_t> size;
  std::map<int, size_t> size_from;
  for (size_t k = 0; k < n_ops; ++k) {
    xs.push_back(detail::einsum_diagonals(operands[k], labels[k], k));
    for (size_t i = 0; i < labels[k].size(); ++i) {
      const int l = labels[k][i];
      const int64_t s = xs[k].shape()[i];
      auto it = size.find(l);
      if (it == size.end() || it->second == 1) {
        size[l] = s;
        size_from[l] = k;
      } else {
        GENLAB_CHECK(s == 1 || s == it->second, "einsum: subscript ", detail::einsum_name(l), " has size ", s, " in operand ",
                     k, " ", shape_str(operands[k].shape()), " but size ", it->second, " in operand ", size_from[l], " ",
                     shape_str(operands[size_from[l]].shape()), " of \"", equation, "\"");
      }
    }
  }
  auto in = [](const std::vector<int>& ls, int l) { return std::find(ls.begin(), ls.end(), l) != ls.end(); };
  // Sum the labels only this operand has and the output lacks; broadcast the size-1 dims
  for (size_t k = 0; k < n_ops; ++k) {
    std::vector<int64_t> gone;
    std::vector<int> kept;
    Shape shape;
    for (size_t i = 0; i < labels[k].size(); ++i) {
      const int l = labels[k][i];
      if (!in(out, l) && (n_ops == 1 || !in(labels[1 - k], l))) {
        gone.push_back(int64_t(i));
      } else {
        kept.push_back(l);
        shape.push_back(size[l]);
      }
    }
    if (!gone.empty()) xs[k] = sum(xs[k], gone);
    labels[k] = kept;
    if (xs[k].shape() != shape) xs[k] = expand(xs[k], shape);
  }
  if (n_ops == 1) return permute(xs[0], detail::einsum_positions(labels[0], out));
  std::vector<int> batch, contracted, a_only, b_only;
  for (int l : labels[0]) (in(labels[1], l) ? (in(out, l) ? batch : contracted) : a_only).push_back(l);
  for (int l : labels[1])
    if (!in(labels[0], l)) b_only.push_back(l);
  auto cat_labels = [](std::vector<int> a, const std::vector<int>& b, const std::vector<int>& c) {
    a.insert(a.end(), b.begin(), b.end());
    a.insert(a.end(), c.begin(), c.end());
    return a;
  };
  const std::vector<int> result = cat_labels(batch, a_only, b_only);
  Shape result_shape;
  for (int l : result) result_shape.push_back(size[l]);
  const Tensor a = permute(xs[0], detail::einsum_positions(labels[0], cat_labels(batch, a_only, contracted)));
  const Tensor b = permute(xs[1], detail::einsum_positions(labels[1], cat_labels(batch, contracted, b_only)));
  Tensor r;
  if (contracted.empty()) {  // a broadcast product: a as [batch, a_only, 1...], b as [batch, 1..., b_only]
    Shape sa, sb;
    for (int l : result) {
      sa.push_back(in(b_only, l) ? 1 : size[l]);
      sb.push_back(in(a_only, l) ? 1 : size[l]);
    }
    r = mul(reshape(a, sa), reshape(b, sb));
  } else {
    const int64_t nb = detail::einsum_numel(size, batch), nk = detail::einsum_numel(size, contracted);
    r = reshape(bmm(reshape(a, {nb, detail::einsum_numel(size, a_only), nk}),
                    reshape(b, {nb, nk, detail::einsum_numel(size, b_only)})),
                result_shape);
  }
  return permute(r, detail::einsum_positions(result, out));
}

}  // namespace genlab::ops
