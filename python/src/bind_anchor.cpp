// Python bindings for the anchor area: thin wrappers that validate, release the GIL and call
// include/locuskit/anchor/*. The multi-level generator classes live in python/locuskit/anchors.py.
#include <locuskit/anchor.hpp>
#include <locuskit/box/validate.hpp>

#include "arrays.hpp"

namespace locuskit::python {
namespace {

template <class F>
decltype(auto) with_dtype_name(const std::string& dtype, F&& f) {
  if (dtype == "float32") return f(float{});
  if (dtype == "float64") return f(double{});
  throw locuskit::type_error("dtype: expected 'float32' or 'float64', got '" + dtype + "'");
}

py::array cell_anchors_py(const std::string& style, const std::vector<double>& sizes,
                          const std::vector<double>& ratios, const std::string& dtype) {
  return with_dtype_name(dtype, [&](auto tag) -> py::array {
    using T = decltype(tag);
    auto out = new_array<T>({static_cast<py::ssize_t>(sizes.size() * ratios.size()), 4});
    if (style == "torchvision")
      cell_anchors_torchvision(sizes.data(), sizes.size(), ratios.data(), ratios.size(), out.mutable_data());
    else if (style == "detectron2")
      cell_anchors_detectron2(sizes.data(), sizes.size(), ratios.data(), ratios.size(), out.mutable_data());
    else
      throw std::invalid_argument("style: expected 'torchvision' or 'detectron2', got '" + style + "'");
    return out;
  });
}

py::array cell_anchors_mmdet_py(double base_size, const std::vector<double>& scales,
                                const std::vector<double>& ratios, bool scale_major, double center_x,
                                double center_y, const std::string& dtype) {
  return with_dtype_name(dtype, [&](auto tag) -> py::array {
    using T = decltype(tag);
    auto out = new_array<T>({static_cast<py::ssize_t>(scales.size() * ratios.size()), 4});
    cell_anchors_mmdet(base_size, scales.data(), scales.size(), ratios.data(), ratios.size(), out.mutable_data(),
                       scale_major, center_x, center_y);
    return out;
  });
}

py::array cell_anchors_wh_py(const std::vector<std::pair<double, double>>& wh, double cx, double cy,
                             const std::string& dtype) {
  std::vector<double> flat;
  for (auto& p : wh) flat.push_back(p.first), flat.push_back(p.second);
  return with_dtype_name(dtype, [&](auto tag) -> py::array {
    using T = decltype(tag);
    auto out = new_array<T>({static_cast<py::ssize_t>(wh.size()), 4});
    cell_anchors_from_wh(flat.data(), wh.size(), cx, cy, out.mutable_data());
    return out;
  });
}

py::array grid_anchors_py(const py::array& cell, py::ssize_t grid_h, py::ssize_t grid_w, double stride_h,
                          double stride_w, double offset) {
  LOCUSKIT_CHECK(grid_h >= 0 && grid_w >= 0, std::invalid_argument, "grid size must be non-negative, got (",
                 grid_h, ", ", grid_w, ")");
  return with_float_dtype(cell, "cell_anchors", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t a = 0;
    const T* c = boxes_data<T>(cell, "cell_anchors", a);
    check_finite(c, 4 * a, "cell_anchors");
    auto out = new_array<T>({checked_product({static_cast<py::ssize_t>(a), grid_h, grid_w, 4}, "grid_anchors") / 4, 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      grid_anchors(c, a, static_cast<std::size_t>(grid_h), static_cast<std::size_t>(grid_w), stride_h, stride_w,
                   offset, o);
    }
    return out;
  });
}

// All levels into one (sum H*W*A, 4) array (torchvision's concatenated forward output) without
// per-level temporaries.
py::array grid_anchors_multi_py(const std::vector<py::array>& cells, const std::vector<std::pair<py::ssize_t, py::ssize_t>>& grids,
                                const std::vector<std::pair<double, double>>& strides, double offset) {
  LOCUSKIT_CHECK(!cells.empty() && cells.size() == grids.size() && cells.size() == strides.size(),
                 std::invalid_argument, "cell_anchors, grid sizes and strides need one entry per level");
  return with_float_dtype(cells[0], "cell_anchors", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::vector<const T*> data(cells.size());
    std::vector<std::size_t> counts(cells.size());
    py::ssize_t total = 0;
    for (std::size_t l = 0; l < cells.size(); ++l) {
      require_dtype<T>(cells[l], "cell_anchors", "the first level's cell anchors");
      data[l] = boxes_data<T>(cells[l], "cell_anchors", counts[l]);
      check_finite(data[l], 4 * counts[l], "cell_anchors");
      LOCUSKIT_CHECK(grids[l].first >= 0 && grids[l].second >= 0, std::invalid_argument,
                     "grid size must be non-negative");
      const py::ssize_t level = checked_product({static_cast<py::ssize_t>(counts[l]), grids[l].first, grids[l].second, 4},
                                                "grid_anchors") / 4;
      LOCUSKIT_CHECK(!__builtin_add_overflow(total, level, &total) && total <= PTRDIFF_MAX / 4, std::invalid_argument,
                     "grid_anchors: total size overflows");
    }
    auto out = new_array<T>({total, 4});
    T* o = out.mutable_data();
    {
      py::gil_scoped_release release;
      for (std::size_t l = 0; l < cells.size(); ++l) {
        const auto gh = static_cast<std::size_t>(grids[l].first), gw = static_cast<std::size_t>(grids[l].second);
        grid_anchors(data[l], counts[l], gh, gw, strides[l].first, strides[l].second, offset, o);
        o += 4 * counts[l] * gh * gw;
      }
    }
    return out;
  });
}

py::array grid_points_py(py::ssize_t grid_h, py::ssize_t grid_w, double stride_h, double stride_w, double offset,
                         const std::string& dtype) {
  LOCUSKIT_CHECK(grid_h >= 0 && grid_w >= 0, std::invalid_argument, "grid size must be non-negative, got (",
                 grid_h, ", ", grid_w, ")");
  return with_dtype_name(dtype, [&](auto tag) -> py::array {
    using T = decltype(tag);
    auto out = new_array<T>({checked_product({grid_h, grid_w, 2}, "grid_points") / 2, 2});
    grid_points(static_cast<std::size_t>(grid_h), static_cast<std::size_t>(grid_w), stride_h, stride_w, offset,
                out.mutable_data());
    return out;
  });
}

py::array ssd_priors_level_py(const std::vector<double>& scales, std::size_t level, const std::vector<double>& ratios,
                              py::ssize_t grid_h, py::ssize_t grid_w, double image_h, double image_w, double step,
                              bool clip, const std::string& dtype) {
  LOCUSKIT_CHECK(grid_h >= 0 && grid_w >= 0, std::invalid_argument, "grid size must be non-negative");
  return with_dtype_name(dtype, [&](auto tag) -> py::array {
    using T = decltype(tag);
    const auto np = static_cast<py::ssize_t>(ssd_priors_per_location(ratios.size()));
    auto out = new_array<T>({checked_product({grid_h, grid_w, np, 4}, "ssd_priors") / 4, 4});
    ssd_priors_level(scales.data(), scales.size(), level, ratios.data(), ratios.size(),
                     static_cast<std::size_t>(grid_h), static_cast<std::size_t>(grid_w), image_h, image_w, step, clip,
                     out.mutable_data());
    return out;
  });
}

py::array inside_flags_py(const py::array& anchors, double image_h, double image_w, double allowed_border) {
  return with_float_dtype(anchors, "anchors", [&](auto tag) -> py::array {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* a = boxes_data<T>(anchors, "anchors", n);
    py::array_t<bool> out(static_cast<py::ssize_t>(n));
    static_assert(sizeof(bool) == 1, "bool must be one byte");
    auto* f = reinterpret_cast<std::uint8_t*>(out.mutable_data());
    {
      py::gil_scoped_release release;
      anchor_inside_flags(a, n, image_h, image_w, allowed_border, f);
    }
    return out;
  });
}

py::dict fit_dict(const AnchorFit& f) {
  py::dict d;
  d["mean_iou"] = f.mean_iou;
  d["best_possible_recall"] = f.best_possible_recall;
  d["anchors_above_threshold"] = f.anchors_above_threshold;
  d["fitness"] = f.fitness;
  return d;
}

template <class T>
const T* wh_data(const py::array& a, const char* name, std::size_t& n) {
  require_dtype<T>(a, name);
  require_shape(a, name, {-1, 2}, "(N, 2)");
  require_contiguous(a, name);
  n = static_cast<std::size_t>(a.shape(0));
  return static_cast<const T*>(a.data());
}

py::tuple kmeans_anchors_py(const py::array& wh, std::size_t k, std::uint64_t seed, std::size_t max_iter,
                            double ratio_threshold, std::size_t n_init) {
  return with_float_dtype(wh, "wh", [&](auto tag) -> py::tuple {
    using T = decltype(tag);
    std::size_t n = 0;
    const T* w = wh_data<T>(wh, "wh", n);
    auto out = new_array<T>({static_cast<py::ssize_t>(k), 2});
    T* o = out.mutable_data();
    AnchorFit f;
    {
      py::gil_scoped_release release;
      f = kmeans_anchors(w, n, k, o, seed, max_iter, ratio_threshold, n_init);
    }
    return py::make_tuple(out, fit_dict(f));
  });
}

py::dict anchor_fit_py(const py::array& wh, const py::array& anchors, double ratio_threshold) {
  return with_float_dtype(wh, "wh", [&](auto tag) -> py::dict {
    using T = decltype(tag);
    std::size_t n = 0, k = 0;
    const T* w = wh_data<T>(wh, "wh", n);
    require_dtype<T>(anchors, "anchors", "wh");
    const T* a = wh_data<T>(anchors, "anchors", k);
    LOCUSKIT_CHECK(ratio_threshold > 0, std::invalid_argument, "ratio_threshold must be positive");
    return fit_dict(anchor_fit(w, n, a, k, ratio_threshold));
  });
}

}  // namespace

void bind_anchor(py::module_& parent) {
  py::module_ m = parent.def_submodule("anchor", "Anchor and point generators, anchor statistics (use locuskit.anchors)");
  m.def("cell_anchors", &cell_anchors_py, py::arg("style"), py::arg("sizes"), py::arg("aspect_ratios"),
        py::arg("dtype"));
  m.def("cell_anchors_mmdet", &cell_anchors_mmdet_py, py::arg("base_size"), py::arg("scales"), py::arg("ratios"),
        py::arg("scale_major"), py::arg("center_x"), py::arg("center_y"), py::arg("dtype"));
  m.def("cell_anchors_wh", &cell_anchors_wh_py, py::arg("wh"), py::arg("center_x"), py::arg("center_y"),
        py::arg("dtype"));
  m.def("grid_anchors", &grid_anchors_py, py::arg("cell_anchors"), py::arg("grid_h"), py::arg("grid_w"),
        py::arg("stride_h"), py::arg("stride_w"), py::arg("offset"));
  m.def("grid_anchors_multi", &grid_anchors_multi_py, py::arg("cell_anchors"), py::arg("grid_sizes"),
        py::arg("strides"), py::arg("offset"));
  m.def("grid_points", &grid_points_py, py::arg("grid_h"), py::arg("grid_w"), py::arg("stride_h"),
        py::arg("stride_w"), py::arg("offset"), py::arg("dtype"));
  m.def("ssd_priors_level", &ssd_priors_level_py, py::arg("scales"), py::arg("level"), py::arg("aspect_ratios"),
        py::arg("grid_h"), py::arg("grid_w"), py::arg("image_h"), py::arg("image_w"), py::arg("step"),
        py::arg("clip"), py::arg("dtype"));
  m.def("anchor_inside_flags", &inside_flags_py, py::arg("anchors"), py::arg("image_h"), py::arg("image_w"),
        py::arg("allowed_border"));
  m.def("kmeans_anchors", &kmeans_anchors_py, py::arg("wh"), py::arg("k"), py::arg("seed"), py::arg("max_iter"),
        py::arg("ratio_threshold"), py::arg("n_init"));
  m.def("anchor_fit", &anchor_fit_py, py::arg("wh"), py::arg("anchors"), py::arg("ratio_threshold"));
}

}  // namespace locuskit::python
