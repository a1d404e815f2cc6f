// End-to-end MOT evaluation on fixtures copied from shared/reference/tracking (tests/data/mot):
// TrackEval's own numbers (expected.json, TrackEval @ 12c8791b) compared with ==, and thread-count
// independence. The full parity over all ten evaluations is tests/python/test_mot.py.
#include <locuskit/mot/evaluate.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace locuskit;

namespace {
const std::string data = std::string(LOCUSKIT_TEST_DATA_DIR) + "/mot/";

std::vector<MotSequenceSpec> edge_sequences() {
  std::vector<MotSequenceSpec> s;
  const char* names[] = {"SYN-03", "SYN-01", "SYN-02"};  // unsorted on purpose
  const std::int64_t lengths[] = {0, 0, 0};
  (void)lengths;
  for (const char* n : names) {
    const std::string dir = data + "edge/gt/mot_challenge/MOT17-train/" + n;
    const std::string ini = read_text_file(dir + "/seqinfo.ini");
    const auto p = ini.find("seqLength=");
    s.push_back({n, dir + "/gt/gt.txt", std::stoll(ini.substr(p + 10))});
  }
  return s;
}

std::vector<std::vector<std::string>> edge_trackers(const std::vector<MotSequenceSpec>& seqs) {
  std::vector<std::vector<std::string>> out;
  for (const char* t : {"trkA", "trkB"}) {
    std::vector<std::string> paths;
    for (const auto& s : seqs)
      paths.push_back(data + "edge/trackers/mot_challenge/MOT17-train/" + t + "/data/" + s.name + ".txt");
    out.push_back(paths);
  }
  return out;
}

bool same(const MotMetrics& a, const MotMetrics& b) {
  // Every member is a double, an int64 or an array of doubles: compare the bytes field by field.
  auto eq = [](const auto& x, const auto& y) { return std::memcmp(&x, &y, sizeof x) == 0; };
  return eq(a.hota.HOTA, b.hota.HOTA) && eq(a.hota.AssA, b.hota.AssA) && eq(a.hota.LocA, b.hota.LocA) &&
         eq(a.hota.HOTA_TP, b.hota.HOTA_TP) && eq(a.clear.MOTA, b.clear.MOTA) && eq(a.clear.MOTP_sum, b.clear.MOTP_sum) &&
         eq(a.clear.IDSW, b.clear.IDSW) && eq(a.clear.Frag, b.clear.Frag) && eq(a.identity.IDF1, b.identity.IDF1) &&
         eq(a.count.Dets, b.count.Dets);
}
}  // namespace

TEST_CASE("mot evaluate: tiny case equals TrackEval") {
  const std::string gt_dir = data + "tiny/gt/mot_challenge/MOT17-train/SYN-01";
  const std::vector<MotSequenceSpec> seqs{{"SYN-01", gt_dir + "/gt/gt.txt", 30}};
  const std::vector<std::vector<std::string>> trk{
      {data + "tiny/trackers/mot_challenge/MOT17-train/trkA/data/SYN-01.txt"}};
  const MotEvaluation ev = evaluate_mot_files(seqs, trk);
  const MotMetrics& r = ev.combined.at(0);
  // tests/data/mot/expected.json -> cases.tiny.trackeval.trkA.COMBINED_SEQ
  CHECK(r.hota.HOTA[0] == 0.7956645272420457);
  CHECK(r.hota.HOTA[18] == 0.06898430182843686);
  CHECK(r.hota.AssA[9] == 0.8557042957042956);
  CHECK(r.hota.LocA[9] == 0.903976112678161);
  CHECK(r.hota.HOTA_TP[9] == 91.0);
  CHECK(r.clear.MOTA == 0.6595744680851063);
  CHECK(r.clear.MOTP == 0.903976112678161);
  CHECK(r.clear.sMOTA == 0.5666151729118367);
  CHECK(r.clear.MOTP_sum == 82.26182625371266);
  CHECK(r.clear.CLR_FP == 29);
  CHECK(r.clear.MT == 13);
  CHECK(r.clear.Frag == 4.0);
  CHECK(r.clear.CLR_F1 == 0.8504672897196262);
  CHECK(r.clear.FP_per_frame == 0.9666666666666667);
  CHECK(r.identity.IDF1 == 0.8504672897196262);
  CHECK(r.identity.IDTP == 91);
  CHECK(r.identity.IDFP == 29);
  CHECK(r.count.Dets == 120);
  CHECK(r.count.GT_Dets == 94);
  CHECK(r.count.IDs == 14);
  CHECK(r.count.GT_IDs == 13);
  CHECK(ev.per_sequence.at(0).count.Frames == 30);
}

TEST_CASE("mot evaluate: edge case (empty tracker files, trailing empty frames) equals TrackEval") {
  const auto seqs = edge_sequences();
  const MotEvaluation ev = evaluate_mot_files(seqs, edge_trackers(seqs));
  REQUIRE(ev.sequences == std::vector<std::string>{"SYN-01", "SYN-02", "SYN-03"});
  const MotMetrics& syn03 = ev.per_sequence.at(2);  // trkA, SYN-03: 0-byte tracker file
  CHECK(syn03.hota.LocA0 == 1.0);
  CHECK(syn03.clear.MLR == 1.0);
  CHECK(syn03.clear.CLR_Frames == 0);
  CHECK(ev.combined.at(0).clear.MOTA == 0.4849290780141844);
  CHECK(ev.combined.at(0).hota.HOTA[9] == 0.6461550016419244);
}

TEST_CASE("mot evaluate: results do not depend on the thread count") {
  const auto seqs = edge_sequences();
  const auto trk = edge_trackers(seqs);
  const MotEvaluation one = evaluate_mot_files(seqs, trk, {}, {}, Parallel{1});
  for (int threads : {2, 3, 7, 16}) {
    const MotEvaluation many = evaluate_mot_files(seqs, trk, {}, {}, Parallel{threads});
    REQUIRE(many.per_sequence.size() == one.per_sequence.size());
    for (std::size_t i = 0; i < one.per_sequence.size(); ++i) CHECK(same(one.per_sequence[i], many.per_sequence[i]));
    for (std::size_t k = 0; k < one.combined.size(); ++k) CHECK(same(one.combined[k], many.combined[k]));
  }
}

TEST_CASE("mot evaluate: bad input") {
  const auto seqs = edge_sequences();
  auto trk = edge_trackers(seqs);
  trk[1][0] = data + "edge/trackers/mot_challenge/MOT17-train/trkB/data/missing.txt";
  CHECK_THROWS_WITH_AS(evaluate_mot_files(seqs, trk), doctest::Contains("missing.txt: cannot open file"), parse_error);
  trk[1].pop_back();
  CHECK_THROWS_AS(evaluate_mot_files(seqs, trk), std::invalid_argument);
  auto dup = seqs;
  dup[1].name = dup[0].name;
  CHECK_THROWS_WITH_AS(evaluate_mot_files(dup, edge_trackers(seqs)), doctest::Contains("appears twice"),
                       std::invalid_argument);
}

namespace {
// A scratch folder of small MOTChallenge files, removed at the end of the test.
struct TempFiles {
  std::filesystem::path dir;
  TempFiles() {
    dir = std::filesystem::temp_directory_path() /
          ("locuskit_mot_eval_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "_" +
           std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
  }
  ~TempFiles() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
};
}  // namespace

TEST_CASE("mot evaluate: a GT that fails preparation is reported in (tracker, sequence) order") {
  // Sequence B's GT has an id twice in frame 1 (it reads, but preprocessing rejects it); the
  // first failing (tracker, sequence) pair names the error, whatever the thread count: the GT's
  // when (tracker 0, B) reads, tracker 0's own read error when its B file is missing.
  const TempFiles tmp;
  const std::string row = "1,1,0,0,10,10,1,1,1\n";
  const std::vector<MotSequenceSpec> seqs{{"B", tmp.write("gtB.txt", row + row), 2},
                                          {"A", tmp.write("gtA.txt", row), 2}};  // sorted: A, B
  const std::string ok = tmp.write("trk.txt", "1,5,0,0,10,10,1\n");
  const std::string missing = (tmp.dir / "missing.txt").string();
  for (int threads : {1, 2, 3, 8}) {
    CAPTURE(threads);
    // tracker_paths[k][s] follows `seqs` as given: [B, A].
    CHECK_THROWS_WITH_AS(evaluate_mot_files(seqs, {{ok, ok}, {ok, missing}}, {}, {}, Parallel{threads}),
                         (seqs[0].gt_path + ":2: id 1 appears twice in frame 1 (also on line 1)").c_str(),
                         parse_error);
    CHECK_THROWS_WITH_AS(evaluate_mot_files(seqs, {{missing, ok}, {ok, ok}}, {}, {}, Parallel{threads}),
                         doctest::Contains("missing.txt: cannot open file"), parse_error);
    // Without B the same files evaluate.
    const MotEvaluation ev = evaluate_mot_files({seqs[1]}, {{ok}, {ok}}, {}, {}, Parallel{threads});
    CHECK(ev.combined.at(1).count.GT_Dets == 1);
  }
  // The same errors from preprocess_mot_sequence, GT before tracker.
  const MotRows gt_b = read_mot(seqs[0].gt_path, MotFileKind::ground_truth);
  CHECK_THROWS_WITH_AS(preprocess_mot_sequence(gt_b, read_mot(ok, MotFileKind::tracker), 2, {}, seqs[0].gt_path, ok),
                       (seqs[0].gt_path + ":2: id 1 appears twice in frame 1 (also on line 1)").c_str(), parse_error);
}

TEST_CASE("mot evaluate: a seqLength out of range is reported by each of its pairs") {
  const TempFiles tmp;
  const std::vector<MotSequenceSpec> seqs{{"A", tmp.write("gt.txt", "1,1,0,0,10,10,1,1,1\n"), -1}};
  const std::string trk = tmp.write("trk.txt", "1,5,0,0,10,10,1\n");
  CHECK_THROWS_WITH_AS(evaluate_mot_files(seqs, {{trk}}), doctest::Contains("seq_length must be in 0.."),
                       std::invalid_argument);
  CHECK_NOTHROW(evaluate_mot_files(seqs, {}));  // no tracker: nothing is preprocessed
}

TEST_CASE("mot evaluate: a GT file that cannot be read is reported before every tracker problem") {
  // Sorted A, B, C: A's tracker file is missing (the first (tracker, sequence) pair), B's GT is
  // missing and C's malformed. The first unreadable GT in sequence order is reported, whatever
  // the thread count (each thread works on whole sequences, in its own order, or with more threads
  // than sequences on ranges of a sequence's trackers, each reading the GT).
  const TempFiles tmp;
  const std::string row = "1,1,0,0,10,10,1,1,1\n";
  const std::string gt_b = (tmp.dir / "gtB.txt").string();
  const std::vector<MotSequenceSpec> seqs{{"C", tmp.write("gtC.txt", row + "1,x,0,0,10,10,1,1,1\n"), 2},
                                          {"B", gt_b, 2},
                                          {"A", tmp.write("gtA.txt", row), 2}};
  const std::string ok = tmp.write("trk.txt", "1,5,0,0,10,10,1\n");
  const std::string missing = (tmp.dir / "missing.txt").string();
  for (int threads : {1, 2, 3, 8}) {
    CAPTURE(threads);
    // tracker_paths[k][s] follows `seqs` as given: [C, B, A].
    CHECK_THROWS_WITH_AS(evaluate_mot_files(seqs, {{ok, ok, missing}, {ok, ok, ok}}, {}, {}, Parallel{threads}),
                         (gt_b + ": cannot open file").c_str(), parse_error);
    tmp.write("gtB.txt", row);
    CHECK_THROWS_WITH_AS(evaluate_mot_files(seqs, {{ok, ok, missing}, {ok, ok, ok}}, {}, {}, Parallel{threads}),
                         doctest::Contains("gtC.txt:2: "), parse_error);
    std::filesystem::remove(gt_b);
  }
}
