#pragma once
// The one place where C++ exceptions of locuskit become Python exceptions (every bind_<area>.cpp
// relies on it; module.cpp calls register_exception_translators() once, before any binding).
namespace locuskit::python {

/// Maps locuskit's exception types to Python ones, beyond pybind11's standard mapping
/// (std::invalid_argument -> ValueError, std::out_of_range -> IndexError, ...):
/// locuskit::type_error -> TypeError; coco_missing_field -> KeyError and coco_results_mismatch ->
/// AssertionError (what pycocotools raises for the same input).
void register_exception_translators();

}  // namespace locuskit::python
