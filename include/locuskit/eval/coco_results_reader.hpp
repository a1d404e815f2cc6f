#pragma once
/// \file coco_results_reader.hpp
/// A COCO results file (a JSON list of result objects) read in chunks of rows, for evaluations
/// whose results do not fit in memory (requires simdjson, as coco_json.hpp).
///
/// **Example**
/// \code
///   auto gt = locuskit::load_coco_ground_truth("gt.json");
///   locuskit::CocoResultsReader reader("results.json", gt);
///   for (locuskit::CocoTable chunk; !(chunk = reader.next(1 << 20)).id.empty();)
///     partition(chunk);                       // e.g. by image into per-shard files
/// \endcode
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "coco_json.hpp"

namespace locuskit {

/// Streams a results file as `load_coco_results` reads it (same rules, same errors, same
/// columns; ids stay 1 + the index in the whole file), `max_rows` rows at a time. Memory: one
/// 1 MiB read buffer plus the chunk's columns, whatever the file size. Not thread-safe (one
/// reader per thread); the ground truth must outlive the reader.
class CocoResultsReader {
 public:
  /// Opens `path` and checks that it starts a JSON list. Throws parse_error if it cannot be
  /// read, coco_results_mismatch if it is not a list.
  CocoResultsReader(const std::string& path, const CocoGroundTruth& gt, bool allow_empty = false)
      : file_(std::fopen(path.c_str(), "rb"), &std::fclose), name_(path), allow_empty_(allow_empty) {
    if (!file_) throw parse_error(detail::concat(path, ": cannot read file (", std::strerror(errno), ")"));
    js_ = std::make_unique<detail::cocojson::JsonStream>(file_.get(), name_);
    const int c0 = js_->peek();
    if (c0 != '[')
      throw coco_results_mismatch(detail::concat(name_, ": results must be a list of objects (got ",
                                                 c0 == '{' ? "a JSON object" : c0 < 0 ? "an empty file" : "a JSON value",
                                                 ")"));
    js_->advance();
    builder_ = std::make_unique<detail::cocojson::ResultsBuilder>(gt, name_, 0);
    if (js_->peek() == ']') {
      js_->advance();
      finish();
    }
  }

  CocoResultsReader(const CocoResultsReader&) = delete;  // the builder refers to name_
  CocoResultsReader& operator=(const CocoResultsReader&) = delete;

  /// The next at most `max_rows` (>= 1) results as columns; an empty table once the list is
  /// exhausted. Throws what load_coco_results throws, when the bad row is reached.
  CocoTable next(std::size_t max_rows) {
    if (max_rows == 0) throw std::invalid_argument("CocoResultsReader::next: max_rows must be at least 1");
    std::size_t n = 0;
    std::string key;
    while (!done_ && n < max_rows) {
      if (js_->peek() != '{') {
        js_->skip_value();
        throw parse_error(detail::concat(detail::cocojson::Ctx{&name_, "results", rows_}, " must be an object"));
      }
      record_.clear();
      detail::cocojson::read_result(*js_, record_, key);
      builder_->add(record_, rows_++);
      ++n;
      if (!js_->more(']', "after a result")) finish();
    }
    return builder_->take();
  }

  /// Results read so far.
  std::size_t rows() const noexcept { return rows_; }
  /// True once the closing bracket was read.
  bool done() const noexcept { return done_; }

 private:
  void finish() {
    done_ = true;
    if (js_->peek() >= 0) js_->fail(detail::concat("unexpected data after the results list", js_->found()));
    if (rows_ == 0 && !allow_empty_)
      throw coco_empty_results(detail::concat(name_, ": the results list is empty (pycocotools' loadRes raises "
                                                     "IndexError here; locuskit.eval.coco_evaluate accepts it)"));
  }

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::string name_;
  bool allow_empty_;
  std::unique_ptr<detail::cocojson::JsonStream> js_;
  std::unique_ptr<detail::cocojson::ResultsBuilder> builder_;
  detail::cocojson::ResultRecord record_;
  std::size_t rows_ = 0;
  bool done_ = false;
};

}  // namespace locuskit
