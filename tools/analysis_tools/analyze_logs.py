"""Plot loss and metric curves of one or several training runs from their JSON logs.

    python tools/analysis_tools/analyze_logs.py plot_curve LOG.json [LOG2.json ...] \
        --keys loss loss_mask coco/panoptic/PQ --out curves.png [--legend a b] [--title T]

A LOG is ``work_dir/<timestamp>/vis_data/<timestamp>.json`` (or ``scalars.json`` beside it,
or the work dir itself: its newest run). Bad input prints one line and exits with code 2.
"""
import argparse
import sys

from omgseg.engine.log_analysis import LogAnalysisError, plot_curves


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyze omgseg training logs')
    sub = parser.add_subparsers(dest='command', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of log keys to a PNG')
    plot.add_argument('logs', nargs='+', help='JSON logs (or work dirs) of the runs')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='keys to plot, one subplot each (default: loss)')
    plot.add_argument('--out', required=True, help='PNG file to write')
    plot.add_argument('--legend', nargs='+', help='one label per log')
    plot.add_argument('--title', help='figure title')
    plot.add_argument('--dpi', type=int, default=100)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        out = plot_curves(args.logs, args.keys, args.out, legend=args.legend, title=args.title,
                          dpi=args.dpi)
    except LogAnalysisError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(f'saved {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
