// Fuzz target for the MOTChallenge reader and the MOT evaluation behind it. The input is split at
// the first NUL byte into a GT text and a tracker text (no NUL: the same text for both); the first
// byte picks the benchmark rules. Any input either parses or throws locuskit::parse_error; parsed
// rows are consistent and survive format_mot -> parse_mot unchanged; a parsed pair with frames in
// a small range is preprocessed and evaluated (HOTA, CLEAR, Identity), whose scores must lie in
// [0, 1] (MOTA/MODA/sMOTA/MOTAL <= 1) and whose counts must add up. The comma-row fast paths of
// the reader are checked against its general path on every input, and reading in blocks (as
// read_mot does, with small blocks and short reads here) against reading the whole text.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <stdexcept>
#include <string_view>

#include <locuskit/mot.hpp>

#include "fuzz_support.hpp"

namespace {
using namespace locuskit;

bool unit(double v) { return v >= 0 && v <= 1; }

void round_trip(const MotRows& r, MotFileKind kind) {
  const MotRows back = parse_mot(format_mot(r, kind), kind, "round-trip");
  FUZZ_CHECK(back.size() == r.size(), "round trip size %zu vs %zu", back.size(), r.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    FUZZ_CHECK(back.frame[i] == r.frame[i] && back.id[i] == r.id[i], "round trip row %zu", i);
    for (int k = 0; k < 4; ++k) FUZZ_CHECK(back.boxes[4 * i + k] == r.boxes[4 * i + k], "round trip box %zu", i);
    FUZZ_CHECK(back.confidence[i] == r.confidence[i], "round trip confidence %zu", i);
  }
}

// Every column of two parses of one text, bit for bit.
void same_rows(const MotRows& a, const MotRows& b, const char* what) {
  FUZZ_CHECK(a.size() == b.size(), "%s row counts %zu vs %zu", what, a.size(), b.size());
  auto same = [](double x, double y) { return std::memcmp(&x, &y, sizeof x) == 0; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    FUZZ_CHECK(a.frame[i] == b.frame[i] && a.id[i] == b.id[i] && a.line[i] == b.line[i] &&
                   a.num_fields[i] == b.num_fields[i],
               "%s row %zu", what, i);
    for (int k = 0; k < 4; ++k) FUZZ_CHECK(same(a.boxes[4 * i + k], b.boxes[4 * i + k]), "%s box %zu", what, i);
    FUZZ_CHECK(same(a.confidence[i], b.confidence[i]) && same(a.class_id[i], b.class_id[i]) &&
                   same(a.visibility[i], b.visibility[i]),
               "%s fields %zu", what, i);
  }
}

// The comma-row fast path against the general path: a space after every comma sends every row
// through the general path (which trims it); both must accept the same rows with the same bits.
void fast_path_differential(std::string_view text, MotFileKind kind) {
  std::string spaced;
  for (const char c : text) {
    spaced.push_back(c);
    if (c == ',') spaced.push_back(' ');
  }
  MotRows a, b;
  bool a_ok = true, b_ok = true;
  try {
    a = parse_mot(text, kind, "x");
  } catch (const parse_error&) {
    a_ok = false;
  }
  try {
    b = parse_mot(spaced, kind, "x");
  } catch (const parse_error&) {
    b_ok = false;
  }
  FUZZ_CHECK(a_ok == b_ok, "fast path %s, general path %s", a_ok ? "accepts" : "rejects", b_ok ? "accepts" : "rejects");
  if (!a_ok) return;
  same_rows(a, b, "fast/general");
}

// parse_mot_blocks (read_mot's loop) against parse_mot: same rows, same bits, same message; the
// blocks are parsed into storage that still holds an earlier input's rows (read_mot's refill), which
// an error leaves empty.
void blocks_differential(std::string_view text, MotFileKind kind, std::size_t block, std::size_t most) {
  static MotRows b;
  MotRows a;
  std::string a_error, b_error;
  try {
    a = parse_mot(text, kind, "x");
  } catch (const parse_error& e) {
    a_error = e.what();
  }
  std::size_t at = 0;
  auto read = [&](char* dst, std::size_t n) {
    const std::size_t k = std::min(std::min(n, most), text.size() - at);
    std::memcpy(dst, text.data() + at, k);
    at += k;
    return k;
  };
  try {
    detail::parse_mot_blocks(read, text.size(), kind, "x", block, b);
  } catch (const parse_error& e) {
    b_error = e.what();
  }
  FUZZ_CHECK(a_error == b_error, "whole text: '%s', blocks of %zu: '%s'", a_error.c_str(), block, b_error.c_str());
  if (!b_error.empty())
    FUZZ_CHECK(b.size() == 0 && b.id.empty() && b.boxes.empty() && b.confidence.empty() && b.class_id.empty() &&
                   b.visibility.empty() && b.line.empty() && b.num_fields.empty(),
               "a failed refill left rows");
  same_rows(a, b, "whole/blocks");
}

void check_rows(const MotRows& r) {
  const std::size_t n = r.size();
  FUZZ_CHECK(r.id.size() == n && r.boxes.size() == 4 * n && r.confidence.size() == n && r.class_id.size() == n &&
                 r.visibility.size() == n && r.line.size() == n && r.num_fields.size() == n,
             "column sizes differ (n %zu)", n);
  for (std::size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(r.frame[i] >= 1, "frame %lld", static_cast<long long>(r.frame[i]));
    FUZZ_CHECK(r.boxes[4 * i + 2] >= 0 && r.boxes[4 * i + 3] >= 0, "negative size");
    for (int k = 0; k < 4; ++k) FUZZ_CHECK(std::isfinite(r.boxes[4 * i + k]), "non-finite box");
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const char* names[] = {"MOT17", "MOT20", "MOT15", "MOT16"};
  MotPreprocessOptions options{names[data[0] & 3], (data[0] & 4) == 0};
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t cut = text.find('\0');
  const std::string_view gt_text = text.substr(0, cut);
  const std::string_view trk_text = cut == std::string_view::npos ? text : text.substr(cut + 1);
  fast_path_differential(gt_text, MotFileKind::ground_truth);
  fast_path_differential(trk_text, MotFileKind::tracker);
  blocks_differential(trk_text, MotFileKind::tracker, 1 + (data[0] >> 3), 1 + (data[0] >> 5) * 9);
  MotRows gt, trk;
  try {
    gt = parse_mot(gt_text, MotFileKind::ground_truth, "gt");
  } catch (const parse_error&) {
    gt = MotRows{};
  }
  try {
    trk = parse_mot(trk_text, MotFileKind::tracker, "trk");
  } catch (const parse_error&) {
    return 0;
  }
  try {
    check_rows(parse_mot(trk_text, MotFileKind::detections, "det"));
  } catch (const parse_error&) {
  }
  check_rows(gt);
  check_rows(trk);
  round_trip(gt, MotFileKind::ground_truth);
  round_trip(trk, MotFileKind::tracker);
  std::int64_t last = 0;
  for (auto f : gt.frame) last = std::max(last, f);
  for (auto f : trk.frame) last = std::max(last, f);
  if (last > 2000) return 0;  // keep one input fast
  MotSequenceData d;
  try {
    d = preprocess_mot_sequence(gt, trk, last, options, "gt", "trk");
  } catch (const parse_error&) {
    return 0;
  }
  const MotMetrics m = evaluate_mot_sequence(d);
  for (int a = 0; a < hota_num_alphas; ++a) {
    FUZZ_CHECK(unit(m.hota.HOTA[a]) && unit(m.hota.DetA[a]) && unit(m.hota.AssA[a]) && unit(m.hota.LocA[a]),
               "HOTA out of [0, 1] at alpha %d", a);
    FUZZ_CHECK(m.hota.HOTA_TP[a] + m.hota.HOTA_FN[a] == static_cast<double>(d.num_gt_dets), "HOTA TP + FN");
    FUZZ_CHECK(m.hota.HOTA_TP[a] + m.hota.HOTA_FP[a] == static_cast<double>(d.num_tracker_dets), "HOTA TP + FP");
  }
  FUZZ_CHECK(m.clear.CLR_TP + m.clear.CLR_FN == d.num_gt_dets, "CLEAR TP + FN");
  FUZZ_CHECK(m.clear.CLR_TP + m.clear.CLR_FP == d.num_tracker_dets, "CLEAR TP + FP");
  FUZZ_CHECK(m.clear.MOTA <= 1 && unit(m.clear.MOTP) && m.clear.MT + m.clear.PT + m.clear.ML == d.num_gt_ids,
             "CLEAR ranges");
  FUZZ_CHECK(m.identity.IDTP + m.identity.IDFN == d.num_gt_dets && unit(m.identity.IDF1), "Identity");
  FUZZ_CHECK(m.identity.IDTP <= m.clear.CLR_TP + m.clear.CLR_FN, "IDTP bound");
  return 0;
}
