#pragma once
/// \file error.hpp
/// The one error mechanism. Public entry points validate once with LOCUSKIT_CHECK (always on) and
/// throw types derived from the standard exceptions, which pybind11 maps to Python:
/// std::invalid_argument -> ValueError, std::out_of_range -> IndexError, locuskit::type_error -> TypeError.
#include <sstream>
#include <stdexcept>
#include <string>

namespace locuskit {

/// Wrong element type (maps to Python TypeError).
class type_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Malformed file or record (maps to Python ValueError); carries where it happened.
class parse_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}
}  // namespace detail

}  // namespace locuskit

/// Throws `Exception(message parts...)` unless `cond` holds. Always on.
#define LOCUSKIT_CHECK(cond, Exception, ...)                          \
  do {                                                                \
    if (!(cond)) throw Exception(::locuskit::detail::concat(__VA_ARGS__)); \
  } while (0)
