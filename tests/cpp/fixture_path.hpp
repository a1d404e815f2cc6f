// Where a C++ test finds a stored fixture: the lean copy in tests/data, else the shared reference
// beside the clone (bulkier cases live only there). Kept out of test_support.hpp, which every test
// file includes, so that only the files that read fixtures rebuild when this changes.
#pragma once

#include <fstream>
#include <string>

namespace locuskit_test {

/// `LOCUSKIT_TEST_DATA_DIR/<local_dir>/<rel>` when that file exists, else
/// `LOCUSKIT_SHARED_REFERENCE_DIR/<shared_dir>/<rel>` when that one does, else "" (the caller
/// skips or fails, saying which). Both macros come from tests/CMakeLists.txt.
inline std::string fixture_path(const std::string& local_dir, const std::string& shared_dir, const std::string& rel) {
  for (const std::string& root : {std::string(LOCUSKIT_TEST_DATA_DIR) + "/" + local_dir,
                                 std::string(LOCUSKIT_SHARED_REFERENCE_DIR) + "/" + shared_dir})
    if (std::ifstream(root + "/" + rel).good()) return root + "/" + rel;
  return "";
}

}  // namespace locuskit_test
