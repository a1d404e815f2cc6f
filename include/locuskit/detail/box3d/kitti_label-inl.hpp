#pragma once
// Implementation of box3d/kitti_label.hpp.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <system_error>

namespace locuskit {
namespace detail {

inline bool kitti_name_is(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

inline KittiClass kitti_class_of(std::string_view name) noexcept {
  if (kitti_name_is(name, "car")) return KittiClass::car;
  if (kitti_name_is(name, "pedestrian")) return KittiClass::pedestrian;
  if (kitti_name_is(name, "cyclist")) return KittiClass::cyclist;
  if (kitti_name_is(name, "van")) return KittiClass::van;
  if (kitti_name_is(name, "person_sitting")) return KittiClass::person_sitting;
  return KittiClass::other;
}

/// Whitespace-separated tokens of one line (at most `cap`; the count may exceed it).
inline std::size_t kitti_tokens(std::string_view line, std::string_view* tok, std::size_t cap) noexcept {
  std::size_t n = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' || line[i] == '\f')) ++i;
    if (i == line.size()) break;
    const std::size_t b = i;
    while (i < line.size() && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' || line[i] == '\f')) ++i;
    if (n < cap) tok[n] = line.substr(b, i - b);
    ++n;
  }
  return n;
}

[[noreturn]] inline void kitti_fail(const std::string& source, std::size_t line, const std::string& what) {
  throw parse_error(detail::concat(source, ":", line, ": ", what));
}

inline double kitti_number(std::string_view t, const char* field, const std::string& source, std::size_t line) {
  std::string_view s = t;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    kitti_fail(source, line, detail::concat(field, ": '", t, "' is not a number"));
  if (!std::isfinite(v)) kitti_fail(source, line, detail::concat(field, ": '", t, "' is not finite"));
  return v;
}

inline std::int32_t kitti_integer(std::string_view t, const char* field, const std::string& source, std::size_t line) {
  std::string_view s = t;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::int32_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    kitti_fail(source, line, detail::concat(field, ": '", t, "' is not a 32-bit integer"));
  return v;
}

}  // namespace detail

inline void KittiObjects::append(const KittiObjects& o) {
  const std::size_t base = size();
  for (std::size_t f = 1; f < o.frame_begin.size(); ++f) frame_begin.push_back(base + o.frame_begin[f]);
  name.insert(name.end(), o.name.begin(), o.name.end());
  cls.insert(cls.end(), o.cls.begin(), o.cls.end());
  dontcare.insert(dontcare.end(), o.dontcare.begin(), o.dontcare.end());
  truncated.insert(truncated.end(), o.truncated.begin(), o.truncated.end());
  occluded.insert(occluded.end(), o.occluded.begin(), o.occluded.end());
  alpha.insert(alpha.end(), o.alpha.begin(), o.alpha.end());
  bbox.insert(bbox.end(), o.bbox.begin(), o.bbox.end());
  dimensions.insert(dimensions.end(), o.dimensions.begin(), o.dimensions.end());
  location.insert(location.end(), o.location.begin(), o.location.end());
  rotation_y.insert(rotation_y.end(), o.rotation_y.begin(), o.rotation_y.end());
  score.insert(score.end(), o.score.begin(), o.score.end());
  frame_has_score.insert(frame_has_score.end(), o.frame_has_score.begin(), o.frame_has_score.end());
}

inline void parse_kitti_label(std::string_view text, const std::string& source, KittiObjects& out) {
  static const char* const kField[16] = {"type", "truncated", "occluded", "alpha", "x1", "y1", "x2", "y2",
                                         "h", "w", "l", "x", "y", "z", "rotation_y", "score"};
  KittiObjects frame;  // parsed aside so that `out` is unchanged on error
  std::size_t expected = 0, line_no = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::string_view tok[16];
    const std::size_t n = detail::kitti_tokens(line, tok, 16);
    if (n == 0) continue;
    if (n != 15 && n != 16)
      detail::kitti_fail(source, line_no, detail::concat("expected 15 fields (16 with a score), got ", n));
    if (expected == 0) expected = n;
    if (n != expected)
      detail::kitti_fail(source, line_no, detail::concat("expected ", expected, " fields like the file's first line, got ", n));
    frame.name.emplace_back(tok[0]);
    frame.cls.push_back(detail::kitti_class_of(tok[0]));
    frame.dontcare.push_back(tok[0] == "DontCare");
    frame.truncated.push_back(detail::kitti_number(tok[1], kField[1], source, line_no));
    frame.occluded.push_back(detail::kitti_integer(tok[2], kField[2], source, line_no));
    frame.alpha.push_back(detail::kitti_number(tok[3], kField[3], source, line_no));
    for (int c = 4; c < 8; ++c) frame.bbox.push_back(detail::kitti_number(tok[c], kField[c], source, line_no));
    for (int c = 8; c < 11; ++c) frame.dimensions.push_back(detail::kitti_number(tok[c], kField[c], source, line_no));
    for (int c = 11; c < 14; ++c) frame.location.push_back(detail::kitti_number(tok[c], kField[c], source, line_no));
    frame.rotation_y.push_back(detail::kitti_number(tok[14], kField[14], source, line_no));
    frame.score.push_back(n == 16 ? detail::kitti_number(tok[15], kField[15], source, line_no) : 0.0);
  }
  frame.frame_begin.push_back(frame.name.size());
  frame.frame_has_score.push_back(expected == 16);
  out.append(frame);
}

inline KittiObjects read_kitti_label_files(const std::vector<std::string>& paths, Parallel par) {
  std::vector<KittiObjects> frames(paths.size());
  parallel_for(paths.size(), 16, par, [&](std::size_t b, std::size_t e) {
    std::string text;
    for (std::size_t f = b; f < e; ++f) {
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> fp(std::fopen(paths[f].c_str(), "rb"), &std::fclose);
      if (!fp) throw parse_error(detail::concat(paths[f], ": cannot be opened (missing file?)"));
      text.clear();
      char buf[1 << 14];
      std::size_t got = 0;
      while ((got = std::fread(buf, 1, sizeof buf, fp.get())) > 0) text.append(buf, got);
      if (std::ferror(fp.get())) throw parse_error(detail::concat(paths[f], ": read error"));
      parse_kitti_label(text, paths[f], frames[f]);
    }
  });
  KittiObjects all;
  std::size_t total = 0;
  for (const auto& f : frames) total += f.size();
  all.name.reserve(total);
  for (const auto& f : frames) all.append(f);
  return all;
}

}  // namespace locuskit
