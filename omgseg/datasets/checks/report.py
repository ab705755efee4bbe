"""The data check's report: every problem found, grouped by dataset and kind, with counts, a
few examples and the fix of each kind."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# kind -> what to do about it (printed once per kind)
FIXES = {
    'missing file': 'the annotation names a file that does not exist: check data_root / '
                    'data_prefix in the config, or the file names in the json',
    'unreadable file': 'the file exists but cannot be decoded: replace it (or drop it from '
                       'the annotation file)',
    'bad annotation file': 'the annotation file is not in the expected format '
                           '(docs/custom_dataset.md shows each format)',
    'class not in vocabulary': 'add the class to the vocabulary (or build it with '
                               'dict(from_annotations=<training json>)), or fix the name',
    'unknown category id': 'a segment / instance names a category_id absent from the json\'s '
                           '"categories"',
    'segment id absent from PNG': 'the json lists a segment whose id no pixel of the PNG has: '
                                  're-export the PNG or drop the segment',
    'PNG id not in json': 'the PNG holds a segment id the json does not list (loading fails): '
                          're-export the json or the PNG',
    'size mismatch': 'the annotation and the image differ in size (or the json height/width '
                     'is wrong): re-export one of them',
    'empty image': 'no annotated (non-crowd) segment: training skips it (filter_empty_gt); '
                   'annotate it or remove it',
    'video shorter than clip': 'a training clip needs more frames than the video has: it is '
                               'never sampled; lower ClipSample num_frames / interval or drop it',
    'dataset fails to load': 'building the dataset from the config fails: see the message',
}


@dataclass(frozen=True)
class Problem:
    """One problem: which dataset, what kind (a key of :data:`FIXES`), where (a file, with
    an id where useful) and a detail."""

    dataset: str
    kind: str
    where: str
    detail: str = ''


@dataclass
class DataReport:
    """All problems of a data check, and what was checked.

    Attributes:
        problems: every problem, in the order found.
        checked: one line per dataset checked (its name and what it holds).
    """

    problems: list[Problem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def add(self, dataset: str, kind: str, where: str, detail: str = '') -> None:
        if kind not in FIXES:
            raise KeyError(f'unknown problem kind {kind!r}; known: {sorted(FIXES)}.')
        self.problems.append(Problem(dataset, kind, str(where), detail))

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self, dataset: str | None = None) -> dict[str, int]:
        """Problems per kind (of one dataset, or of all)."""
        return dict(Counter(p.kind for p in self.problems
                            if dataset is None or p.dataset == dataset))

    def format(self, max_examples: int = 3) -> str:
        """The report as text: per dataset, each kind with its count, fix and examples."""
        lines = [f'checked {len(self.checked)} dataset(s):', *[f'  {c}' for c in self.checked]]
        if self.ok:
            return '\n'.join(lines + ['no problems found.'])
        lines.append(f'{len(self.problems)} problem(s):')
        datasets = list(dict.fromkeys(p.dataset for p in self.problems))
        for dataset in datasets:
            lines.append(f'{dataset}:')
            for kind, count in self.counts(dataset).items():
                lines.append(f'  {kind}: {count}  ({FIXES[kind]})')
                found = [p for p in self.problems if p.dataset == dataset and p.kind == kind]
                for p in found[:max_examples]:
                    lines.append(f'    {p.where}' + (f': {p.detail}' if p.detail else ''))
                if count > max_examples:
                    lines.append(f'    ... and {count - max_examples} more')
        return '\n'.join(lines)


__all__ = ['FIXES', 'Problem', 'DataReport']
