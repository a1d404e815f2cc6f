#pragma once
/// \file kitti_label.hpp
/// KITTI object `label_2` files (ground truth and detections): one object per line,
/// `type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y [score]`, camera coordinates
/// (x right, y down, z forward; (x, y, z) is the centre of the box's *bottom* face; rotation_y about
/// the camera y axis). Objects of all frames are stored together, frame f owning
/// [frame_begin[f], frame_begin[f + 1]).
///
/// Differences from OpenPCDet's `kitti_common.get_label_anno` (which crashes or misreads instead):
/// blank lines are skipped; fields may be separated by any run of spaces/tabs; every line of a file
/// must have the field count of its first line (15, or 16 with a score); non-numbers, non-finite
/// numbers and a non-integer `occluded` raise `parse_error` naming the file and line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../parallel.hpp"

namespace locuskit {

/// What an object's `type` means to the KITTI evaluation: the three evaluated classes, their
/// "neighbour" classes (a Van GT is ignored when evaluating Car, Person_sitting for Pedestrian),
/// and everything else (Truck, Tram, Misc, DontCare, unknown names). Matched case-insensitively.
enum class KittiClass : std::uint8_t { car = 0, pedestrian = 1, cyclist = 2, van = 3, person_sitting = 4, other = 5 };

/// The objects of many frames, structure of arrays.
struct KittiObjects {
  std::vector<std::size_t> frame_begin{0};  ///< (frames + 1) offsets into the arrays below
  std::vector<std::string> name;            ///< type as written
  std::vector<KittiClass> cls;              ///< `name` classified (case-insensitive)
  std::vector<std::uint8_t> dontcare;       ///< 1 iff name == "DontCare" exactly (as the peers test it)
  std::vector<double> truncated;            ///< 0..1 (detections: -1)
  std::vector<std::int32_t> occluded;       ///< 0..3 (detections: -1)
  std::vector<double> alpha;                ///< observation angle, radians (-10: none)
  std::vector<double> bbox;                 ///< (N, 4) x1 y1 x2 y2, image pixels
  std::vector<double> dimensions;           ///< (N, 3) h w l, metres (file order)
  std::vector<double> location;             ///< (N, 3) x y z, camera frame, bottom-face centre, metres
  std::vector<double> rotation_y;           ///< radians, about camera y
  std::vector<double> score;                ///< detection score; 0 where the file has no score column
  std::vector<std::uint8_t> frame_has_score;  ///< per frame: its lines have 16 fields

  std::size_t frames() const noexcept { return frame_begin.size() - 1; }
  std::size_t size() const noexcept { return name.size(); }
  /// Appends all frames of `other` after this one's.
  void append(const KittiObjects& other);
};

/// Parses the text of one label file as a new frame appended to `out`. `source` names the file in
/// error messages ("FILE:LINE: ..."). O(length). Throws parse_error; `out` is then unchanged.
void parse_kitti_label(std::string_view text, const std::string& source, KittiObjects& out);

/// Reads and parses `paths` (one frame each, in order) with up to `par.threads` threads; the
/// result does not depend on the thread count. A missing or unreadable file throws parse_error
/// naming it.
KittiObjects read_kitti_label_files(const std::vector<std::string>& paths, Parallel par = {});

}  // namespace locuskit

#include "../detail/box3d/kitti_label-inl.hpp"
