"""``locuskit track DETS.txt --tracker bytetrack|sort -o out.txt``: tracking by detection on a
MOTChallenge detection file (``frame,-1,x,y,w,h,score,...``), written as MOTChallenge results
(``frame,id,x,y,w,h,score,-1,-1,-1``)."""
from __future__ import annotations

import sys


def _run(args) -> int:
    from .. import track

    params = {}
    if args.tracker == "bytetrack":
        params = dict(track_thresh=args.track_thresh, track_buffer=args.track_buffer, match_thresh=args.match_thresh,
                      mot20=args.mot20, frame_rate=args.frame_rate)
    else:
        params = dict(max_age=args.max_age, min_hits=args.min_hits, iou_threshold=args.iou_threshold)
    rows = track.track_file(args.detections, args.output or "-", tracker=args.tracker, num_frames=args.num_frames,
                            min_box_area=args.min_box_area, aspect_ratio_thresh=args.aspect_ratio_thresh,
                            decimals=args.decimals, metric=args.metric, **params)
    n_ids = len(set(rows[:, 1].astype(int).tolist())) if len(rows) else 0
    print(f"{args.detections}: {len(rows)} result rows, {n_ids} tracks" +
          (f" -> {args.output}" if args.output else ""), file=sys.stderr)
    return 0


def register(sub) -> None:
    p = sub.add_parser("track", help="track detections (MOTChallenge det file) with ByteTrack or SORT")
    p.add_argument("detections", help="MOTChallenge detection file: frame,-1,x,y,w,h,score[,...], rows grouped by frame")
    p.add_argument("--tracker", choices=("bytetrack", "sort"), default="bytetrack")
    p.add_argument("-o", "--output", help="result file (MOTChallenge: frame,id,x,y,w,h,score,-1,-1,-1); "
                   "default: standard output")
    p.add_argument("--num-frames", type=int, default=None,
                   help="sequence length (seqLength); default: the last frame with detections")
    p.add_argument("--metric", choices=("iou", "giou"), default="iou", help="association overlap (default iou)")
    b = p.add_argument_group("ByteTrack (defaults: tools/demo_track.py)")
    b.add_argument("--track-thresh", type=float, default=0.5)
    b.add_argument("--track-buffer", type=int, default=30)
    b.add_argument("--match-thresh", type=float, default=0.8)
    b.add_argument("--mot20", action="store_true", help="no score fusion in the association cost")
    b.add_argument("--frame-rate", type=float, default=30)
    s = p.add_argument_group("SORT (defaults: sort.py)")
    s.add_argument("--max-age", type=int, default=1)
    s.add_argument("--min-hits", type=int, default=3)
    s.add_argument("--iou-threshold", type=float, default=0.3)
    o = p.add_argument_group("output filter (ByteTrack's evaluator: --min-box-area 100 --aspect-ratio-thresh 1.6 --decimals 1)")
    o.add_argument("--min-box-area", type=float, default=None, help="keep boxes with w*h > this")
    o.add_argument("--aspect-ratio-thresh", type=float, default=None, help="keep boxes with w/h <= this")
    o.add_argument("--decimals", type=int, default=None,
                   help="round boxes to this many decimals (scores to 2), as ByteTrack's evaluator writes")
    p.set_defaults(func=_run)
