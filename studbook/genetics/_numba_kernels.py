"""Internal: compiled (numba) kernel for F and D of big pedigrees.

Imported lazily by :mod:`studbook.genetics.inbreeding` only when numba is
installed (the optional ``fast`` extra) and the pedigree is big; importing this
module imports numba. Kernels are compiled on first use and cached on disk
(``cache=True``), so later processes skip the compilation.

The kernel works directly on the :class:`~studbook.pedigree.Pedigree` arrays
(it does not need :func:`~studbook.genetics._graph.build_graph`) and numbers the
nodes exactly like the node graph: animals ``0..n-1``, then one virtual node per
MULT sire slot (animals in index order), then one per MULT dam slot.

Method: Meuwissen & Luo (1992) ancestor tracing, one node at a time. With
``A = T D Tᵀ`` and slot nodes ``S``, ``D`` of animal ``i``::

    A_SD = Σ_a T_Sa T_Da D_a            (only common ancestors contribute)
    F_i  = ½ A_SD,   A_ii = 1 + F_i,   D_i = 1 − ¼(A_SS + A_DD)

An animal with a phantom (unknown/WILD) slot has ``F = 0`` and is not traced;
a founder has ``D = A = 1 + founder_inbreeding``; a virtual node ``v`` has
``D_v = 0`` and ``A_vv`` from tracing the pair ``(v, v)``.

* The two coefficient rows ``T_x·`` and ``T_y·`` are traced together. Pending
  ancestors sit in one linked list per generation level (longest path from the
  founders): a node's coefficients are final when its level is reached, since
  all its descendants have higher levels, so taking the next ancestor is O(1).
  Tracing stops as soon as one of the two rows has no pending ancestor left.
* Nodes are processed by level, then sire node, then dam node, so full sibs
  are traced once and the ancestors of a sire stay in cache for all its
  offspring.
* The data touched at random while tracing (coefficients, ``D``, parents) is
  packed in one 32-byte row per node (:data:`NODE`); the link lists live in a
  small scratch array that stays in cache.

Tracing is bound by memory latency (about one cache miss per visited
ancestor), not by arithmetic.

Memory: about 100 bytes per node, O(nodes + MULT candidates).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Per-node workspace row (32 bytes, one cache line per visited ancestor):
#: ``ts``/``td`` pending coefficients ``T_x·``/``T_y·`` (both 0 = not queued),
#: ``D`` Mendelian-sampling variance, ``p1``/``p2`` parent nodes of an animal
#: (-1 = none; a virtual node's candidates are in a separate CSR).
NODE = np.dtype([("ts", np.float64), ("td", np.float64), ("D", np.float64),
                 ("p1", np.int32), ("p2", np.int32)], align=True)


@njit(cache=True, nogil=True, inline="always")
def _push(W, lev, head, ent, nent, p, a, b, cnt):  # pragma: no cover - compiled
    """Add coefficients ``(a, b)`` to node ``p``, queueing it if needed."""
    r = W[p]
    if r.ts == 0.0 and r.td == 0.0:
        if a == 0.0 and b == 0.0:
            return nent
        lp = lev[p]
        ent[nent, 0] = p
        ent[nent, 1] = head[lp]
        head[lp] = nent
        nent += 1
    if a > 0.0:
        if r.ts == 0.0:
            cnt[0] += 1
        r.ts += a
    if b > 0.0:
        if r.td == 0.0:
            cnt[1] += 1
        r.td += b
    return nent


@njit(cache=True, nogil=True)
def _trace(x, y, n, vptr, vcand, vprob, W, lev, head, ent, cnt):  # pragma: no cover
    """``A_xy = Σ_a T_xa T_ya D_a``; leaves the workspace clean.

    Pending ancestors are kept in one linked list per level, in the small
    scratch ``ent`` (rows ``(node, next)``), so only ``W`` rows are touched at
    random.
    """
    cnt[0] = 0
    cnt[1] = 0
    nent = 0
    nent = _push(W, lev, head, ent, nent, x, 1.0, 0.0, cnt)
    nent = _push(W, lev, head, ent, nent, y, 0.0, 1.0, cnt)
    L = max(lev[x], lev[y])
    acc = 0.0
    while L >= 0:
        e = head[L]
        head[L] = -1
        while e >= 0:
            j = ent[e, 0]
            e = ent[e, 1]
            r = W[j]
            a = r.ts
            b = r.td
            r.ts = 0.0
            r.td = 0.0
            if a > 0.0:
                cnt[0] -= 1
            if b > 0.0:
                cnt[1] -= 1
            acc += a * b * r.D
            if j < n:
                if r.p1 >= 0:
                    nent = _push(W, lev, head, ent, nent, r.p1, 0.5 * a, 0.5 * b, cnt)
                if r.p2 >= 0:
                    nent = _push(W, lev, head, ent, nent, r.p2, 0.5 * a, 0.5 * b, cnt)
            else:
                v = j - n
                for k in range(vptr[v], vptr[v + 1]):
                    w = vprob[k]
                    nent = _push(W, lev, head, ent, nent, vcand[k], w * a, w * b, cnt)
            if cnt[0] == 0 or cnt[1] == 0:
                # nothing pending can be a common ancestor: clear and stop
                while L >= 0:
                    while e >= 0:
                        r = W[ent[e, 0]]
                        r.ts = 0.0
                        r.td = 0.0
                        e = ent[e, 1]
                    L -= 1
                    if L >= 0:
                        e = head[L]
                        head[L] = -1
                return acc
        L -= 1
    return acc


@njit(cache=True)
def _prepare(sire, dam, s_ptr, s_cand, s_prob, d_ptr, d_cand, d_prob):  # pragma: no cover
    """Node numbering, virtual-node CSR, levels and the processing order."""
    n = sire.shape[0]
    vs = 0
    vd = 0
    for i in range(n):
        if s_ptr[i + 1] > s_ptr[i]:
            vs += 1
        if d_ptr[i + 1] > d_ptr[i]:
            vd += 1
    V = vs + vd
    N = n + V
    sire_node = np.empty(n, np.int64)
    dam_node = np.empty(n, np.int64)
    m = s_cand.shape[0] + d_cand.shape[0]
    vptr = np.zeros(V + 1, np.int64)
    vcand = np.empty(m, np.int64)
    vprob = np.empty(m, np.float64)
    ks = 0
    kd = 0
    for i in range(n):  # virtual nodes: sire slots first, then dam slots
        if s_ptr[i + 1] > s_ptr[i]:
            sire_node[i] = n + ks
            ks += 1
        else:
            sire_node[i] = sire[i]
        if d_ptr[i + 1] > d_ptr[i]:
            dam_node[i] = n + vs + kd
            kd += 1
        else:
            dam_node[i] = dam[i]
    pos = 0
    v = 0
    for i in range(n):
        if s_ptr[i + 1] > s_ptr[i]:
            for k in range(s_ptr[i], s_ptr[i + 1]):
                vcand[pos] = s_cand[k]
                vprob[pos] = s_prob[k]
                pos += 1
            v += 1
            vptr[v] = pos
    for i in range(n):
        if d_ptr[i + 1] > d_ptr[i]:
            for k in range(d_ptr[i], d_ptr[i + 1]):
                vcand[pos] = d_cand[k]
                vprob[pos] = d_prob[k]
                pos += 1
            v += 1
            vptr[v] = pos

    # levels: longest path from the founders (parents-first index order)
    lev = np.zeros(N, np.int64)
    for i in range(n):
        li = -1
        for slot in range(2):
            p = sire_node[i] if slot == 0 else dam_node[i]
            if p < 0:
                continue
            if p >= n:
                lv = 0
                for k in range(vptr[p - n], vptr[p - n + 1]):
                    lv = max(lv, lev[vcand[k]] + 1)
                lev[p] = lv
            li = max(li, lev[p])
        lev[i] = li + 1
    n_lev = 1
    for i in range(N):
        n_lev = max(n_lev, lev[i] + 1)

    # order: by level, then sire node, then dam node (LSD counting sorts)
    key1 = np.empty(N, np.int64)  # sire node + 1 (virtual nodes: 0)
    key2 = np.empty(N, np.int64)  # dam node + 1
    for i in range(N):
        if i < n:
            key1[i] = sire_node[i] + 1
            key2[i] = dam_node[i] + 1
        else:
            key1[i] = 0
            key2[i] = 0
    order = np.arange(N)
    for key, size in ((key2, N + 1), (key1, N + 1), (lev, n_lev)):
        count = np.zeros(size + 1, np.int64)
        for i in range(N):
            count[key[i] + 1] += 1
        for k in range(size):
            count[k + 1] += count[k]
        out = np.empty(N, np.int64)
        for t in range(N):
            i = order[t]
            c = key[i]
            out[count[c]] = i
            count[c] += 1
        order = out
    bounds = np.zeros(n_lev + 1, np.int64)
    for i in range(N):
        bounds[lev[i] + 1] += 1
    for k in range(n_lev):
        bounds[k + 1] += bounds[k]
    return sire_node, dam_node, vptr, vcand, vprob, lev, order, bounds


@njit(cache=True, nogil=True)
def diag_kernel(n, sire_node, dam_node, vptr, vcand, vprob, lev, order, bounds,
                founder_f, W):  # pragma: no cover - compiled
    """``(D, A_diag)`` of every node, from the output of :func:`_prepare`.

    ``W`` is an uninitialised :data:`NODE` array with one row per node.
    """
    N = lev.shape[0]
    n_lev = bounds.shape[0] - 1
    D = np.zeros(N)
    A = np.zeros(N)
    for i in range(N):
        r = W[i]
        r.ts = 0.0
        r.td = 0.0
        r.D = 0.0
        r.p1 = sire_node[i] if i < n else -1
        r.p2 = dam_node[i] if i < n else -1
    head = np.full(n_lev, -1, np.int64)
    ent = np.empty((N, 2), np.int64)
    cnt = np.zeros(2, np.int64)
    ps = -3
    pd = -3
    pf = 0.0
    for q in range(N):  # by level, then sire node, then dam node
        i = order[q]
        if i >= n:  # virtual node: D = 0
            A[i] = _trace(i, i, n, vptr, vcand, vprob, W, lev, head, ent, cnt)
            continue
        s = sire_node[i]
        d = dam_node[i]
        if s < 0 and d < 0:
            D[i] = 1.0 + founder_f[i]
            A[i] = D[i]
        elif s < 0 or d < 0:  # one phantom parent: F = 0
            D[i] = 1.0 - 0.25 * A[max(s, d)]
            A[i] = 1.0
        else:
            D[i] = 1.0 - 0.25 * (A[s] + A[d])
            if s != ps or d != pd:  # full sibs are adjacent in this order
                pf = 0.5 * _trace(s, d, n, vptr, vcand, vprob, W, lev, head, ent, cnt)
                ps = s
                pd = d
            A[i] = 1.0 + pf
        W[i].D = D[i]
    return D, A


def diag(ped):  # type: ignore[no-untyped-def]
    """``(D, A_diag)`` of every node of ``ped`` (node numbering of the graph)."""
    sm, dm = ped.sire_mult, ped.dam_mult
    if ped.n == 0:
        return np.zeros(0), np.zeros(0)
    N = ped.n + int((np.diff(sm.ptr) > 0).sum() + (np.diff(dm.ptr) > 0).sum())
    sire_node, dam_node, vptr, vcand, vprob, lev, order, bounds = _prepare(
        ped.sire, ped.dam, sm.ptr, sm.cand, sm.prob, dm.ptr, dm.cand, dm.prob)
    # arrays read at random while tracing are allocated by numpy, which asks
    # for transparent huge pages (fewer TLB misses) on big arrays
    lev = np.array(lev, dtype=np.int32)
    W = np.empty(N, NODE)
    return diag_kernel(ped.n, sire_node, dam_node, vptr, vcand, vprob, lev, order, bounds,
                       ped.founder_inbreeding, W)
