#pragma once
/// \file mot/evaluate.hpp
/// TrackEval-exact evaluation of MOTChallenge tracker results: preprocessing, HOTA, CLEAR,
/// Identity and Count per (tracker, sequence) and combined per tracker, multithreaded over
/// (tracker, sequence) pairs with results independent of the thread count.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include <locuskit/mot/clear.hpp>
#include <locuskit/mot/format.hpp>
#include <locuskit/mot/hota.hpp>
#include <locuskit/mot/identity.hpp>
#include <locuskit/mot/preprocess.hpp>
#include <locuskit/parallel.hpp>

namespace locuskit {

/// TrackEval's Count metric (always computed). `Frames` is per sequence only (0 when combined).
struct CountResult {
  std::int64_t Dets = 0, GT_Dets = 0, IDs = 0, GT_IDs = 0, Frames = 0;
};

/// Which metrics to compute (Count always is).
struct MotMetricSet {
  bool hota = true, clear = true, identity = true;
};

/// All metrics of one sequence or of a combination of sequences.
struct MotMetrics {
  HotaResult hota;
  ClearResult clear;
  IdentityResult identity;
  CountResult count;
};

/// Metrics of one preprocessed sequence (CLEAR/Identity at IoU 0.5). Thread-safe.
inline MotMetrics evaluate_mot_sequence(const MotSequenceData& d, const MotMetricSet& which = {}) {
  MotMetrics m;
  if (which.hota) m.hota = hota_sequence(d);
  if (which.clear) m.clear = clear_sequence(d);
  if (which.identity) m.identity = identity_sequence(d);
  m.count = {d.num_tracker_dets, d.num_gt_dets, d.num_tracker_ids, d.num_gt_ids, d.num_timesteps};
  return m;
}

/// Combines per-sequence metrics as TrackEval's `combine_sequences`: pass them in sorted
/// sequence-name order (TrackEval's serial evaluation; the floating-point sums are left to right).
inline MotMetrics combine_mot_metrics(const std::vector<const MotMetrics*>& seqs, const MotMetricSet& which = {}) {
  MotMetrics m;
  std::vector<const HotaResult*> h;
  std::vector<const ClearResult*> c;
  std::vector<const IdentityResult*> id;
  for (const MotMetrics* s : seqs) {
    h.push_back(&s->hota), c.push_back(&s->clear), id.push_back(&s->identity);
    m.count.Dets += s->count.Dets, m.count.GT_Dets += s->count.GT_Dets;
    m.count.IDs += s->count.IDs, m.count.GT_IDs += s->count.GT_IDs;
  }
  if (which.hota) m.hota = hota_combine(h);
  if (which.clear) m.clear = clear_combine(c);
  if (which.identity) m.identity = identity_combine(id);
  return m;
}

/// One sequence of a benchmark: its name, GT file and length (seqinfo.ini's seqLength).
struct MotSequenceSpec {
  std::string name;
  std::string gt_path;
  std::int64_t seq_length = 0;
};

/// Results of evaluate_mot_files: `per_sequence[k * sequences.size() + s]` for tracker k and
/// sequence s (sequences sorted by name), `combined[k]` over all sequences of tracker k.
struct MotEvaluation {
  std::vector<std::string> sequences;
  std::vector<MotMetrics> per_sequence;
  std::vector<MotMetrics> combined;
};

/// Reads and evaluates every tracker on every sequence as TrackEval's `run_mot_challenge.py`
/// (serial mode, sorted sequence names). `tracker_paths[k][s]` is tracker k's file for
/// `sequences[s]` (same order as given). Files are read, preprocessed and evaluated in parallel
/// over (tracker, sequence) pairs with `par` threads; the results do not depend on the thread
/// count. Throws locuskit::parse_error naming the file (and line) of the first problem in
/// (tracker, sequence) order, and std::invalid_argument for mismatched sizes or duplicate names.
inline MotEvaluation evaluate_mot_files(const std::vector<MotSequenceSpec>& sequences,
                                        const std::vector<std::vector<std::string>>& tracker_paths,
                                        const MotPreprocessOptions& options = {}, const MotMetricSet& which = {},
                                        Parallel par = {}) {
  const std::size_t S = sequences.size(), K = tracker_paths.size();
  for (const auto& p : tracker_paths)
    LOCUSKIT_CHECK(p.size() == S, std::invalid_argument, "tracker_paths: each tracker needs ", S,
                   " sequence files, got ", p.size());
  std::vector<std::size_t> order(S);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return sequences[a].name < sequences[b].name; });
  for (std::size_t i = 1; i < S; ++i)
    LOCUSKIT_CHECK(sequences[order[i]].name != sequences[order[i - 1]].name, std::invalid_argument,
                   "sequence name '", sequences[order[i]].name, "' appears twice");
  MotEvaluation out;
  for (const std::size_t s : order) out.sequences.push_back(sequences[s].name);
  // GT once per sequence (read and prepared: grouping, boxes, classes, shared by the trackers),
  // then every (tracker, sequence) pair. Tasks are claimed one at a time (longest sequences first,
  // so no thread is left with a long one at the end); each writes only its own slot, so the
  // results do not depend on the thread count or the order of execution. A failing task records
  // its error; the error of the lowest task index is rethrown (the first problem in (tracker,
  // sequence) order, whatever the thread count). A GT that reads but fails preparation (a frame
  // beyond seqLength, an id twice in a frame) is reported by each of its pairs, after the
  // tracker file's read errors, as preprocess_mot_sequence would. Each thread keeps its own
  // preprocessing scratch and output storage across its tasks (no allocation once warm).
  auto run_tasks = [&par](std::size_t n, const std::vector<std::size_t>& order_of, auto&& task) {
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> errors(n);
    const std::size_t workers = parallel_chunk_count(n, 1, par);
    parallel_for(workers, 1, par, [&](std::size_t worker, std::size_t) {
      for (std::size_t q = next.fetch_add(1); q < n; q = next.fetch_add(1)) {
        try {
          task(order_of[q], worker);
        } catch (...) {
          errors[order_of[q]] = std::current_exception();
        }
      }
    });
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
  };
  std::vector<MotPreparedGt> gt(S);
  std::vector<std::exception_ptr> gt_error(S);
  std::vector<std::size_t> by_length(S);
  std::iota(by_length.begin(), by_length.end(), std::size_t{0});
  std::stable_sort(by_length.begin(), by_length.end(), [&](std::size_t a, std::size_t b) {
    return sequences[order[a]].seq_length > sequences[order[b]].seq_length;
  });
  // One row storage per thread for every file it reads (refilled, no allocation once warm).
  std::vector<MotRows> rows_of(parallel_chunk_count(std::max(S, K * S), 1, par));
  run_tasks(S, by_length, [&](std::size_t i, std::size_t worker) {
    const MotSequenceSpec& spec = sequences[order[i]];
    MotRows& rows = rows_of[worker];
    read_mot(spec.gt_path, MotFileKind::ground_truth, rows);
    try {
      gt[i] = MotPreparedGt(rows, spec.seq_length, options, spec.gt_path);
    } catch (...) {
      gt_error[i] = std::current_exception();
    }
  });
  std::vector<std::size_t> pairs;
  pairs.reserve(K * S);
  for (const std::size_t i : by_length)
    for (std::size_t k = 0; k < K; ++k) pairs.push_back(k * S + i);
  out.per_sequence.resize(K * S);
  const std::size_t workers = parallel_chunk_count(K * S, 1, par);
  std::vector<MotPreprocessScratch> scratch(workers);
  std::vector<MotSequenceData> data(workers);
  run_tasks(K * S, pairs, [&](std::size_t p, std::size_t worker) {
    const std::size_t k = p / S, i = p % S;
    const std::string& path = tracker_paths[k][order[i]];
    MotRows& trk = rows_of[worker];
    read_mot(path, MotFileKind::tracker, trk);
    if (gt_error[i]) std::rethrow_exception(gt_error[i]);
    preprocess_mot_sequence(gt[i], trk, data[worker], scratch[worker], path);
    out.per_sequence[p] = evaluate_mot_sequence(data[worker], which);
  });
  out.combined.resize(K);
  for (std::size_t k = 0; k < K; ++k) {
    std::vector<const MotMetrics*> seqs;
    for (std::size_t i = 0; i < S; ++i) seqs.push_back(&out.per_sequence[k * S + i]);
    out.combined[k] = combine_mot_metrics(seqs, which);
  }
  return out;
}

}  // namespace locuskit
