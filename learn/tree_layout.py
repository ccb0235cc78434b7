"""The tree relabelled for JAX's batched passes (:mod:`pcz.learn.em`): nodes grouped by
height, leaves first, so that each upward or downward step handles one group at once."""
import numpy as np

from pcz.coders.tree_pc import preorder


def height_groups(parent: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Nodes grouped by height (leaves first) with their parents; the root comes last, alone.

    >>> [(g.tolist(), p.tolist()) for g, p in height_groups(np.array([-1, 0, 1, 0]))]
    [([2, 3], [1, 0]), ([1], [0]), ([0], [-1])]
    """
    parent = np.asarray(parent, dtype=np.int64)
    D = len(parent)
    height = np.zeros(D, dtype=np.int64)
    order = np.argsort(preorder(parent)[1])[::-1]        # deepest first
    for v in order:
        if parent[v] >= 0:
            height[parent[v]] = max(height[parent[v]], height[v] + 1)
    groups = []
    for h in range(int(height.max()) + 1):
        g = np.flatnonzero(height == h)
        groups.append((g, parent[g]))
    return groups


UNROLL = 8   # children multiplied in unrolled code; nodes with more (a star) go through a loop


class Layout:
    """Nodes relabelled so that each height group is a contiguous range (leaves first, root
    last), in each group the nodes with more children first.

    ``groups`` holds ``(start, stop, segments)`` per group: the nodes with more than
    ``UNROLL`` children (rare: a star) form one segment, the others another.  A segment
    ``(a, b, table)`` covers nodes a..b-1; ``table[i]`` lists the i-th child of each,
    padded with the index D (a message of ones).

    >>> [(s, e, [(a, b, t.tolist()) for a, b, t in g]) for s, e, g in Layout([1, -1, 1, 0]).groups]
    [(0, 2, [(0, 2, [])]), (2, 3, [(2, 3, [[1]])]), (3, 4, [(3, 4, [[2], [0]])])]
    """

    def __init__(self, parent: np.ndarray):
        parent = np.asarray(parent, dtype=np.int64)
        D = len(parent)
        fanout = np.bincount(parent[parent >= 0], minlength=D)
        groups = [g[np.argsort(-fanout[g], kind="stable")] for g, _ in height_groups(parent)]
        self.perm = np.concatenate(groups)                        # new label -> node id
        inv = np.empty(D, dtype=np.int64)
        inv[self.perm] = np.arange(D)
        children: list[list[int]] = [[] for _ in range(D)]
        for v in range(D):
            if parent[v] >= 0:
                children[inv[parent[v]]].append(int(inv[v]))
        self.groups = []
        start = 0
        for g in groups:
            stop = start + len(g)
            wide = start + int(np.count_nonzero(fanout[g] > UNROLL))
            segments = []
            for a, b in [(start, wide), (wide, stop)]:
                if a < b:
                    table = np.full((len(children[a]), b - a), D, dtype=np.int32)
                    for i, v in enumerate(range(a, b)):
                        table[:len(children[v]), i] = children[v]
                    segments.append((a, b, table))
            self.groups.append((start, stop, segments))
            start = stop
        self.parent = np.full(D, -1, dtype=np.int64)
        for v in range(D):
            for c in children[v]:
                self.parent[c] = v
