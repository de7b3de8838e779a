// Sorting along the middle axis of [outer, n, inner]: sort, argsort and topk.
// Each value becomes an unsigned key whose integer order is torch's order of
// floats (-0.0 equal to 0.0, NaN above +inf, every NaN equal; descending
// flips the key), packed above its index into one integer "item". Items are
// all distinct and their order is the stable order, so an unstable algorithm
// (radix, nth_element, a heap) gives the stable result.
// Three paths per row, by k (the number of leading items kept) and n, chosen
// on (64, 50257) rows (GPT-2 logits), one thread: a heap took 3 ms at k = 50
// where nth_element took 50; nth_element and a sort of the k beat a full radix
// sort up to about k = n / 4, and lost by half at k = n / 2.
//   k * kHeapRatio <= n  a max-heap of the best k, one pass that mostly compares
//                        against the heap's top (topk of a vocabulary)
//   k * kSortRatio < n   nth_element, then a sort of the first k
//   otherwise            a full sort: LSD radix over the key bytes from
//                        kRadixMin items (stable, so the index stays ordered), else std::sort
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "genlab/backend/cpu.hpp"
#include "genlab/core/threads.hpp"

namespace genlab::cpu {
namespace {
constexpr int64_t kHeapRatio = 16, kSortRatio = 4, kRadixMin = 256;

template <class T> struct Keys;
template <> struct Keys<float> {
  using K = uint32_t;
  using Item = uint64_t;  // key << 32 | index (rows of fewer than 2^32 elements: checked by the op)
};
template <> struct Keys<double> {
  using K = uint64_t;
  using Item = unsigned __int128;  // key << 64 | index
};
template <class T> using Key = typename Keys<T>::K;
template <class T> using Item = typename Keys<T>::Item;
template <class T> constexpr int kKeyBits = int(sizeof(Key<T>) * 8);

// Flipping a negative float's bits and setting a positive one's sign bit
// orders the bit patterns as the numbers; a NaN gets the largest key.
template <class T>
inline Key<T> key_of(T v, bool descending) {
  using K = Key<T>;
  K u = ~K(0);
  if (v == v) {
    u = std::bit_cast<K>(v == T(0) ? T(0) : v);  // -0.0 ties with 0.0
    u = (u >> (kKeyBits<T> - 1)) ? ~u : u | (K(1) << (kKeyBits<T> - 1));
  }
  return descending ? ~u : u;
}
template <class T>
inline Item<T> item_of(Key<T> key, int64_t j) { return (Item<T>(key) << kKeyBits<T>) | Item<T>(j); }
template <class T>
inline int64_t index_of(Item<T> it) { return int64_t(it & Item<T>(~Key<T>(0))); }

// LSD radix sort of items by their key bytes (the index bits are already in
// order, and each pass is stable); passes where every item has the same byte
// are skipped. Returns the buffer that holds the result (a or tmp).
template <class T>
Item<T>* radix_sort(Item<T>* a, Item<T>* tmp, int64_t n) {
  constexpr int kPasses = kKeyBits<T> / 8;
  std::array<std::array<uint32_t, 256>, kPasses> hist{};
  for (int64_t i = 0; i < n; ++i)
    for (int p = 0; p < kPasses; ++p) ++hist[size_t(p)][size_t(a[i] >> (kKeyBits<T> + 8 * p)) & 255];
  for (int p = 0; p < kPasses; ++p) {
    auto& h = hist[size_t(p)];
    const int shift = kKeyBits<T> + 8 * p;
    if (h[size_t(a[0] >> shift) & 255] == uint32_t(n)) continue;
    uint32_t sum = 0;
    for (auto& c : h) { const uint32_t t = c; c = sum; sum += t; }
    for (int64_t i = 0; i < n; ++i) tmp[h[size_t(a[i] >> shift) & 255]++] = a[i];
    std::swap(a, tmp);
  }
  return a;
}

// The best k items of a row in a max-heap, sorted at the end. A later item
// beats the top only by a smaller key (its index is larger), so most items
// cost one comparison: on contiguous rows a batch at a time, in floats (NaN
// is flagged too, and the keys decide).
template <class T>
void heap_select(const T* x, int64_t n, int64_t inner, int64_t k, bool descending, Item<T>* b) {
  for (int64_t j = 0; j < k; ++j) b[j] = item_of<T>(key_of(x[j * inner], descending), j);
  std::make_heap(b, b + k);
  Key<T> top = Key<T>(b[0] >> kKeyBits<T>);
  T worst = x[index_of<T>(b[0]) * inner];
  auto offer = [&](int64_t j) {
    const Key<T> key = key_of(x[j * inner], descending);
    if (key >= top) return;
    std::pop_heap(b, b + k);
    b[k - 1] = item_of<T>(key, j);
    std::push_heap(b, b + k);
    top = Key<T>(b[0] >> kKeyBits<T>);
    worst = x[index_of<T>(b[0]) * inner];
  };
  using B = xsimd::batch<T>;
  constexpr int64_t W = int64_t(B::size);
  int64_t j = k;
  if (inner == 1)
    for (; j + W <= n; j += W) {
      const B v = B::load_unaligned(x + j), w(worst);
      const auto maybe = (descending ? v > w : v < w) | xsimd::isnan(v) | xsimd::isnan(w);
      if (xsimd::any(maybe))
        for (int64_t q = j; q < j + W; ++q) offer(q);
    }
  for (; j < n; ++j) offer(j);
  std::sort_heap(b, b + k);
}

// The first k items of one row in order, in `best` or `tmp` (buffers of n items; tmp only for radix).
template <class T>
const Item<T>* select_row(const T* x, int64_t n, int64_t inner, int64_t k, bool descending, std::vector<Item<T>>& best,
                          std::vector<Item<T>>& tmp) {
  Item<T>* b = best.data();
  if (k * kHeapRatio <= n) {
    heap_select(x, n, inner, k, descending, b);
    return b;
  }
  for (int64_t j = 0; j < n; ++j) b[j] = item_of<T>(key_of(x[j * inner], descending), j);
  if (k * kSortRatio < n) {
    std::nth_element(b, b + k, b + n);
    std::sort(b, b + k);
    return b;
  }
  if (n < kRadixMin) {
    std::sort(b, b + n);
    return b;
  }
  return radix_sort<T>(b, tmp.data(), n);
}
}  // namespace

template <class T>
void sort_rows(const T* x, T* values, int64_t* indices, int64_t outer, int64_t n, int64_t inner, int64_t k,
               bool descending) {
  if (k == 0) return;
  // a row costs about n log n; one of 4096 elements pays for a thread
  parallel_for(outer * inner, std::max<int64_t>(1, (int64_t(1) << 12) / n), [&](int64_t b, int64_t e) {
    const bool radix = k * kSortRatio >= n && n >= kRadixMin;
    std::vector<Item<T>> best(static_cast<size_t>(n)), tmp(static_cast<size_t>(radix ? n : 0));
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / inner, i = r % inner;
      const T* row = x + o * n * inner + i;
      const Item<T>* sorted = select_row(row, n, inner, k, descending, best, tmp);
      T* vr = values + o * k * inner + i;
      int64_t* ir = indices + o * k * inner + i;
      for (int64_t j = 0; j < k; ++j) {
        const int64_t at = index_of<T>(sorted[j]);
        vr[j * inner] = row[at * inner];  // the input's own value: -0.0 and NaN payloads survive
        ir[j * inner] = at;
      }
    }
  });
}

template void sort_rows<float>(const float*, float*, int64_t*, int64_t, int64_t, int64_t, int64_t, bool);
template void sort_rows<double>(const double*, double*, int64_t*, int64_t, int64_t, int64_t, int64_t, bool);

}  // namespace genlab::cpu
