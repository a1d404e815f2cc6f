// Where the time of a MOT evaluation goes: CPU time (std::clock, one thread) of each phase of
// evaluate_mot_files on a gen_mot.py folder (MOTChallenge layout, MOT17-train split): reading the
// files, preprocessing, HOTA, CLEAR, Identity; then the whole evaluate_mot_files with 1 and 2
// threads. Medians over the repeats. Run: build/bench/bench/bench_mot DATA [repeats]
// (DATA as in bench/README.md, "MOT evaluation"; seqLength read from each seqinfo.ini).
#include <locuskit/mot.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace locuskit;
namespace fs = std::filesystem;

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double seconds(std::clock_t a, std::clock_t b) { return static_cast<double>(b - a) / CLOCKS_PER_SEC; }
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA [repeats]\n", argv[0]);
    return 2;
  }
  const fs::path gt_root = fs::path(argv[1]) / "gt/mot_challenge/MOT17-train";
  const fs::path trk_root = fs::path(argv[1]) / "trackers/mot_challenge/MOT17-train";
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<MotSequenceSpec> seqs;
  for (const auto& e : fs::directory_iterator(gt_root)) {
    if (!e.is_directory()) continue;
    std::ifstream ini(e.path() / "seqinfo.ini");
    std::string line;
    std::int64_t len = 0;
    while (std::getline(ini, line))
      if (line.rfind("seqLength=", 0) == 0) len = std::stoll(line.substr(10));
    seqs.push_back({e.path().filename().string(), (e.path() / "gt/gt.txt").string(), len});
  }
  std::sort(seqs.begin(), seqs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<std::string> trackers;
  for (const auto& e : fs::directory_iterator(trk_root))
    if (e.is_directory()) trackers.push_back(e.path().filename().string());
  std::sort(trackers.begin(), trackers.end());
  std::vector<std::vector<std::string>> paths(trackers.size());
  for (std::size_t k = 0; k < trackers.size(); ++k)
    for (const auto& s : seqs) paths[k].push_back((trk_root / trackers[k] / "data" / (s.name + ".txt")).string());

  const char* names[] = {"read", "preprocess", "HOTA", "CLEAR", "Identity"};
  std::vector<double> phase[5], total;
  // As evaluate_mot_files does it: the GT prepared once per sequence (counted as preprocessing),
  // row storage refilled by every read (one for the GT files, one for the tracker files), one
  // scratch, one HOTA scratch and one output reused across the (tracker, sequence) pairs.
  MotRows gt, trk;
  MotPreprocessScratch scratch;
  MotSequenceData d;
  HotaScratch hota;
  for (int r = 0; r < repeats; ++r) {
    double t[5] = {};
    for (std::size_t s = 0; s < seqs.size(); ++s) {
      std::clock_t c0 = std::clock();
      read_mot(seqs[s].gt_path, MotFileKind::ground_truth, gt);
      const std::clock_t c_read = std::clock();
      const MotPreparedGt prepared(gt, seqs[s].seq_length);
      t[0] += seconds(c0, c_read), t[1] += seconds(c_read, std::clock());
      for (std::size_t k = 0; k < trackers.size(); ++k) {
        c0 = std::clock();
        read_mot(paths[k][s], MotFileKind::tracker, trk);
        const std::clock_t c1 = std::clock();
        preprocess_mot_sequence(prepared, trk, d, scratch);
        const std::clock_t c2 = std::clock();
        volatile double sink = hota_sequence(d, hota).HOTA[0];
        const std::clock_t c3 = std::clock();
        sink = clear_sequence(d).MOTA;
        const std::clock_t c4 = std::clock();
        sink = identity_sequence(d).IDF1;
        (void)sink;
        const std::clock_t c5 = std::clock();
        t[0] += seconds(c0, c1), t[1] += seconds(c1, c2), t[2] += seconds(c2, c3), t[3] += seconds(c3, c4);
        t[4] += seconds(c4, c5);
      }
    }
    double sum = 0;
    for (int p = 0; p < 5; ++p) phase[p].push_back(t[p]), sum += t[p];
    total.push_back(sum);
  }
  std::printf("%zu sequences x %zu trackers, medians of %d (CPU seconds, 1 thread)\n", seqs.size(), trackers.size(),
              repeats);
  for (int p = 0; p < 5; ++p) std::printf("  %-10s %.4f\n", names[p], median(phase[p]));
  std::printf("  %-10s %.4f\n", "sum", median(total));
  for (const int threads : {1, 2}) {
    std::vector<double> cpu;
    for (int r = 0; r < repeats; ++r) {
      const std::clock_t c0 = std::clock();
      const MotEvaluation res = evaluate_mot_files(seqs, paths, {}, {}, Parallel{threads});
      cpu.push_back(seconds(c0, std::clock()));
      if (r == 0 && threads == 1)
        std::printf("combined HOTA(0) of %s: %.17g\n", trackers[0].c_str(), res.combined[0].hota.HOTA0);
    }
    std::printf("evaluate_mot_files, %d thread(s): %.4f s CPU\n", threads, median(cpu));
  }
}
