#pragma once
/// \file mot/evaluate.hpp
/// TrackEval-exact evaluation of MOTChallenge tracker results: preprocessing, HOTA, CLEAR,
/// Identity and Count per (tracker, sequence) and combined per tracker, multithreaded over
/// (tracker, sequence) pairs with results independent of the thread count.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <system_error>
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

/// Metrics of one preprocessed sequence (CLEAR/Identity at IoU 0.5), HOTA's working memory in
/// `hota` (kept by the caller between calls). Thread-safe for distinct scratches.
inline MotMetrics evaluate_mot_sequence(const MotSequenceData& d, const MotMetricSet& which, HotaScratch& hota) {
  MotMetrics m;
  if (which.hota) m.hota = hota_sequence(d, hota);
  if (which.clear) m.clear = clear_sequence(d);
  if (which.identity) m.identity = identity_sequence(d);
  m.count = {d.num_tracker_dets, d.num_gt_dets, d.num_tracker_ids, d.num_gt_ids, d.num_timesteps};
  return m;
}

/// Metrics of one preprocessed sequence (CLEAR/Identity at IoU 0.5). Thread-safe.
inline MotMetrics evaluate_mot_sequence(const MotSequenceData& d, const MotMetricSet& which = {}) {
  HotaScratch hota;
  return evaluate_mot_sequence(d, which, hota);
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
/// over sequences with `par` threads (a thread takes a sequence, largest first, with every
/// tracker on it; memory: one sequence's working storage per thread; with more threads than
/// sequences, a sequence's trackers are split among several threads, each reading and preparing
/// the GT itself); the results do not depend on the thread count. Throws locuskit::parse_error
/// naming the file (and line) of the first problem: a GT file that cannot be read (in sequence
/// order), else the first problem in (tracker, sequence) order; std::invalid_argument for
/// mismatched sizes or duplicate names.
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
  // One task per sequence, largest first (by the bytes of its files, which the work and the
  // buffer sizes follow: no thread is left with a large one at the end, and a thread's first task
  // sizes its buffers for the rest): read and prepare its GT, then read, preprocess and evaluate
  // every tracker against it. Each thread refills its own rows, prepared GT, preprocessing scratch
  // and output from task to task, so an evaluation holds (and faults in) one sequence's storage
  // per thread, not every sequence's GT at once. Each (tracker, sequence) pair writes only its own
  // slot, so the results do not depend on the thread count or the order of execution. Errors are
  // recorded where they happen and the first in a fixed order is rethrown, whatever the thread
  // count: a GT file that cannot be read (lowest sequence index), else the first pair in
  // (tracker, sequence) order; a GT that reads but fails preparation (a frame beyond seqLength,
  // an id twice in a frame) is reported by each of its pairs, after the tracker file's read
  // errors, as preprocess_mot_sequence would. With more threads than sequences, each sequence's
  // trackers are split into `split` contiguous ranges, one task each (the GT is then read and
  // prepared once per range: work the otherwise idle threads do).
  std::vector<std::uint64_t> bytes(S, 0);  // the sequence's files (0 for one that cannot be read)
  for (std::size_t i = 0; i < S; ++i) {
    std::error_code ec;
    auto add = [&](const std::string& path) {
      const std::uintmax_t b = std::filesystem::file_size(path, ec);
      if (!ec) bytes[i] += static_cast<std::uint64_t>(b);
    };
    add(sequences[order[i]].gt_path);
    for (std::size_t k = 0; k < K; ++k) add(tracker_paths[k][order[i]]);
  }
  std::vector<std::size_t> largest_first(S);
  std::iota(largest_first.begin(), largest_first.end(), std::size_t{0});
  std::stable_sort(largest_first.begin(), largest_first.end(), [&](std::size_t a, std::size_t b) {
    return bytes[a] > bytes[b];
  });
  struct Worker {
    MotRows rows;
    MotPreparedGt gt;
    MotPreprocessScratch scratch;
    MotSequenceData data;
    HotaScratch hota;
  };
  const std::size_t threads = parallel_chunk_count(K * S, 1, par);
  const std::size_t split = threads > S ? std::min(K, (threads + S - 1) / S) : 1;
  const std::size_t tasks = S * split;  // task q: sequence largest_first[q / split], range q % split
  std::vector<Worker> workers(parallel_chunk_count(tasks, 1, par));
  // gt_read_error[i * split + c]: range c's read of sequence i's GT (every range of a sequence
  // reads the same file, so the first error in index order is the lowest sequence's).
  std::vector<std::exception_ptr> gt_read_error(tasks), pair_error(K * S);
  out.per_sequence.resize(K * S);
  std::atomic<std::size_t> next{0};
  parallel_for(workers.size(), 1, par, [&](std::size_t w, std::size_t) {
    Worker& my = workers[w];
    for (std::size_t q = next.fetch_add(1); q < tasks; q = next.fetch_add(1)) {
      const std::size_t i = largest_first[q / split], c = q % split;
      const std::size_t k_begin = K * c / split, k_end = K * (c + 1) / split;
      const MotSequenceSpec& spec = sequences[order[i]];
      try {
        read_mot(spec.gt_path, MotFileKind::ground_truth, my.rows);
      } catch (...) {
        gt_read_error[i * split + c] = std::current_exception();
        continue;
      }
      std::exception_ptr gt_error;
      try {
        my.gt.assign(my.rows, spec.seq_length, options, spec.gt_path, my.scratch);
      } catch (...) {
        gt_error = std::current_exception();
      }
      for (std::size_t k = k_begin; k < k_end; ++k) {
        const std::size_t p = k * S + i;
        const std::string& path = tracker_paths[k][order[i]];
        try {
          read_mot(path, MotFileKind::tracker, my.rows);
          if (gt_error) std::rethrow_exception(gt_error);
          preprocess_mot_sequence(my.gt, my.rows, my.data, my.scratch, path);
          out.per_sequence[p] = evaluate_mot_sequence(my.data, which, my.hota);
        } catch (...) {
          pair_error[p] = std::current_exception();
        }
      }
    }
  });
  for (const std::exception_ptr& e : gt_read_error)
    if (e) std::rethrow_exception(e);
  for (const std::exception_ptr& e : pair_error)
    if (e) std::rethrow_exception(e);
  out.combined.resize(K);
  for (std::size_t k = 0; k < K; ++k) {
    std::vector<const MotMetrics*> seqs;
    for (std::size_t i = 0; i < S; ++i) seqs.push_back(&out.per_sequence[k * S + i]);
    out.combined[k] = combine_mot_metrics(seqs, which);
  }
  return out;
}

}  // namespace locuskit
