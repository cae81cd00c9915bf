"""Internal: compiled (numba) kernel for F and D of big pedigrees.

Imported lazily by :mod:`studbook.genetics.inbreeding` only when numba is
installed (the optional ``fast`` extra) and the pedigree is big; importing this
module imports numba. Kernels are compiled on first use and cached on disk
(``cache=True``), so later processes skip the compilation.

The kernel works directly on the :class:`~studbook.pedigree.Pedigree` arrays
(it does not need :func:`~studbook.genetics._graph.build_graph`) and numbers the
nodes exactly like the node graph: animals ``0..n-1``, then one virtual node per
MULT sire litter (by the index of its first animal), then one per MULT dam litter.

Method: Meuwissen & Luo (1992) ancestor tracing, one node at a time. With
``A = T D Tᵀ`` and slot nodes ``S``, ``D`` of animal ``i``::

    A_SD = Σ_a T_Sa T_Da D_a            (only common ancestors contribute)
    F_i  = ½ A_SD,   A_ii = 1 + F_i,   D_i = 1 − ¼(A_SS + A_DD)

An animal with a phantom (unknown/WILD) slot has ``F = 0`` and is not traced;
a founder has ``D = A = 1 + founder_inbreeding``; a virtual node ``v`` has
``A_vv = Σ_k π_k A_kk`` and ``D_v = A_vv − Σ_kl π_k π_l A_kl``, the latter from
tracing the pair ``(v, v)`` before ``D_v`` is set.

* The two coefficient rows ``T_x·`` and ``T_y·`` are traced together. Pending
  ancestors sit in one linked list per generation level (longest path from the
  founders): a node's coefficients are final when its level is reached, since
  all its descendants have higher levels, so taking the next ancestor is O(1).
  Tracing stops as soon as one of the two rows has no pending ancestor left.
* Nodes are processed by level, then sire node, then dam node, so full sibs
  are traced once and the ancestors of a sire stay in cache for all its
  offspring. The kernel renumbers the nodes in this order (and maps ``D`` and
  ``A`` back at the end), so a node's level follows from its number (a small
  look-up table instead of a per-node array read at random), and parents
  always have smaller numbers than their children.
* The data touched at random while tracing (coefficients, ``D``, parents) is
  packed in one 32-byte row per node (:data:`NODE`); the link lists live in a
  small scratch array that stays in cache.

Tracing is bound by memory latency (one cache miss per visited ancestor) and by
mispredicted branches on the data read at random. So, before a level's list is
processed, the rows of all the parents of its nodes are prefetched (the misses
then overlap instead of forming a chain); the rows of the next animals' parents
and grandparents are prefetched one or two animals ahead; and queueing a node
(:func:`_push`) is branch-free. On the 1M synthetic pedigree this took the
kernel from 5.3–6.0 s to about 1.5 s (benchmarks/README.md).

Memory: about 130 bytes per node, O(nodes + MULT candidates).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _prefetch(typingctx, arr, idx):  # pragma: no cover - compiled
    """Software prefetch of ``arr[idx]`` (``llvm.prefetch``; no fault, no result)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aty = signature.args[0]
        ary = context.make_array(aty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aty, ary, [args[1]],
                                       wraparound=False, boundscheck=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen

#: Per-node workspace row (32 bytes, one cache line per visited ancestor):
#: ``ts``/``td`` pending coefficients ``T_x·``/``T_y·`` (both 0 = not queued),
#: ``D`` Mendelian-sampling variance, ``p1``/``p2`` parent nodes of an animal
#: in the kernel's numbering (-1 = none; a virtual node ``v`` has ``p1 = -2 - v``,
#: its candidates are in a separate CSR).
NODE = np.dtype([("ts", np.float64), ("td", np.float64), ("D", np.float64),
                 ("p1", np.int32), ("p2", np.int32)], align=True)


_LT_SHIFT = 8  # ids per entry of the level look-up table: 2**_LT_SHIFT


@njit(cache=True, nogil=True, inline="always")
def _level(p, lt, bounds):  # pragma: no cover - compiled
    """Level of (renumbered) node ``p``: ids are sorted by level."""
    L = lt[p >> _LT_SHIFT]
    while p >= bounds[L + 1]:
        L += 1
    return L


@njit(cache=True, nogil=True, inline="always")
def _push(W, lt, bounds, head, ent, nent, p, a, b, c0, c1):  # pragma: no cover - compiled
    """Add coefficients ``(a, b)`` to node ``p``, queueing it if needed.

    Branch-free (the tests depend on data loaded at random, so branches on
    them would be mispredicted often): the entry is always written, and only
    kept (``nent`` advanced, list head moved) for a newly queued node.
    """
    r = W[p]
    ts = r.ts
    td = r.td
    z0 = ts == 0.0
    z1 = td == 0.0
    g0 = a > 0.0
    g1 = b > 0.0
    new = z0 & z1 & (g0 | g1)
    c0 += z0 & g0
    c1 += z1 & g1
    r.ts = ts + a
    r.td = td + b
    lp = _level(p, lt, bounds)
    h = head[lp]
    ent[nent, 0] = p
    ent[nent, 1] = h
    head[lp] = nent if new else h
    return nent + new, c0, c1


@njit(cache=True, nogil=True)
def _trace(x, y, vptr, vcand, vprob, W, lt, bounds, head, ent):  # pragma: no cover
    """``A_xy = Σ_a T_xa T_ya D_a`` (renumbered nodes); leaves the workspace clean.

    Pending ancestors are kept in one linked list per level, in the small
    scratch ``ent`` (rows ``(node, next)``), so only ``W`` rows are touched at
    random. Before a level is processed, the rows of the parents of all its
    nodes are prefetched, so their cache misses overlap. ``c0``/``c1`` count
    the pending nodes with ``T_x· > 0`` / ``T_y· > 0``.
    """
    c0 = 0
    c1 = 0
    nent = 0
    nent, c0, c1 = _push(W, lt, bounds, head, ent, nent, x, 1.0, 0.0, c0, c1)
    nent, c0, c1 = _push(W, lt, bounds, head, ent, nent, y, 0.0, 1.0, c0, c1)
    L = _level(max(x, y), lt, bounds)
    acc = 0.0
    while L >= 0:
        e = head[L]
        head[L] = -1
        f = e
        while f >= 0:  # prefetch the parents of this level's nodes
            r = W[ent[f, 0]]
            f = ent[f, 1]
            if r.p1 >= 0:
                _prefetch(W, r.p1)
            elif r.p1 < -1:
                v = -2 - r.p1
                for k in range(vptr[v], vptr[v + 1]):
                    _prefetch(W, vcand[k])
            if r.p2 >= 0:
                _prefetch(W, r.p2)
        while e >= 0:
            j = ent[e, 0]
            e = ent[e, 1]
            r = W[j]
            a = r.ts
            b = r.td
            r.ts = 0.0
            r.td = 0.0
            c0 -= a > 0.0
            c1 -= b > 0.0
            acc += a * b * r.D
            p1 = r.p1
            p2 = r.p2
            if p1 >= -1:
                ha = 0.5 * a
                hb = 0.5 * b
                if p1 >= 0:
                    nent, c0, c1 = _push(W, lt, bounds, head, ent, nent, p1, ha, hb, c0, c1)
                if p2 >= 0:
                    nent, c0, c1 = _push(W, lt, bounds, head, ent, nent, p2, ha, hb, c0, c1)
            else:
                v = -2 - p1
                for k in range(vptr[v], vptr[v + 1]):
                    w = vprob[k]
                    nent, c0, c1 = _push(W, lt, bounds, head, ent, nent, vcand[k],
                                         w * a, w * b, c0, c1)
            if c0 == 0 or c1 == 0:
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
def _prepare(sire, dam, s_ptr, s_cand, s_prob, s_lit, d_ptr, d_cand, d_prob, d_lit):  # pragma: no cover
    """Node numbering, virtual-node CSR (one node per MULT litter), levels and the processing order."""
    n = sire.shape[0]
    vs = 0
    vd = 0
    for i in range(n):
        if s_lit[i] == i:
            vs += 1
        if d_lit[i] == i:
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
    for i in range(n):  # virtual nodes: sire litters first, then dam litters
        if s_lit[i] == i:
            sire_node[i] = n + ks
            ks += 1
        elif s_lit[i] >= 0:  # a later littermate: its first littermate's node
            sire_node[i] = sire_node[s_lit[i]]
        else:
            sire_node[i] = sire[i]
        if d_lit[i] == i:
            dam_node[i] = n + vs + kd
            kd += 1
        elif d_lit[i] >= 0:
            dam_node[i] = dam_node[d_lit[i]]
        else:
            dam_node[i] = dam[i]
    pos = 0
    v = 0
    for i in range(n):
        if s_lit[i] == i:
            for k in range(s_ptr[i], s_ptr[i + 1]):
                vcand[pos] = s_cand[k]
                vprob[pos] = s_prob[k]
                pos += 1
            v += 1
            vptr[v] = pos
    for i in range(n):
        if d_lit[i] == i:
            for k in range(d_ptr[i], d_ptr[i + 1]):
                vcand[pos] = d_cand[k]
                vprob[pos] = d_prob[k]
                pos += 1
            v += 1
            vptr[v] = pos
    vcand = vcand[:pos]  # littermates' copies of a litter's candidates are not stored
    vprob = vprob[:pos]

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

    ``W`` is an uninitialised :data:`NODE` array with one row per node. The
    nodes are renumbered in processing order (``order``: by level, then sire,
    then dam) for the tracing and mapped back at the end.
    """
    N = lev.shape[0]
    n_lev = bounds.shape[0] - 1
    inv = np.empty(N, np.int64)
    for q in range(N):
        inv[order[q]] = q
    vc = np.empty_like(vcand)  # candidates, renumbered
    for k in range(vcand.shape[0]):
        vc[k] = inv[vcand[k]]
    for q in range(N):
        i = order[q]
        r = W[q]
        r.ts = 0.0
        r.td = 0.0
        r.D = 0.0
        if i < n:
            r.p1 = inv[sire_node[i]] if sire_node[i] >= 0 else -1
            r.p2 = inv[dam_node[i]] if dam_node[i] >= 0 else -1
        else:  # virtual node: p1 = -2 - (index of its candidate list)
            r.p1 = -2 - (i - n)
            r.p2 = -1
    lt = np.empty((N >> _LT_SHIFT) + 1, np.int64)
    L = 0
    for t in range(lt.shape[0]):
        while L + 1 < n_lev and (t << _LT_SHIFT) >= bounds[L + 1]:
            L += 1
        lt[t] = L
    Dq = np.zeros(N)
    Aq = np.zeros(N)
    head = np.full(n_lev, -1, np.int64)
    ent = np.empty((N + 1, 2), np.int64)  # at most N - 1 queued, plus one spare write
    ps = -3
    pd = -3
    pf = 0.0
    for q in range(N):  # by level, then sire node, then dam node
        if q + 2 < N:  # prefetch the parents of the next animals (and their parents)
            r = W[q + 2]
            if r.p1 >= 0:
                _prefetch(W, r.p1)
            if r.p2 >= 0:
                _prefetch(W, r.p2)
            r = W[q + 1]
            if r.p1 >= 0:
                r1 = W[r.p1]
                if r1.p1 >= 0:
                    _prefetch(W, r1.p1)
                if r1.p2 >= 0:
                    _prefetch(W, r1.p2)
            if r.p2 >= 0:
                r1 = W[r.p2]
                if r1.p1 >= 0:
                    _prefetch(W, r1.p1)
                if r1.p2 >= 0:
                    _prefetch(W, r1.p2)
        r = W[q]
        s = r.p1
        d = r.p2
        if s < -1:  # virtual node: one candidate drawn at random
            v = -2 - s
            mix = 0.0
            for k in range(vptr[v], vptr[v + 1]):
                mix += vprob[k] * Aq[vc[k]]
            Aq[q] = mix
            Dq[q] = max(mix - _trace(q, q, vptr, vc, vprob, W, lt, bounds, head, ent), 0.0)
            W[q].D = Dq[q]
            continue
        if s < 0 and d < 0:
            Dq[q] = 1.0 + founder_f[order[q]]
            Aq[q] = Dq[q]
        elif s < 0 or d < 0:  # one phantom parent: F = 0
            Dq[q] = 1.0 - 0.25 * Aq[max(s, d)]
            Aq[q] = 1.0
        else:
            Dq[q] = 1.0 - 0.25 * (Aq[s] + Aq[d])
            if s != ps or d != pd:  # full sibs are adjacent in this order
                pf = 0.5 * _trace(s, d, vptr, vc, vprob, W, lt, bounds, head, ent)
                ps = s
                pd = d
            Aq[q] = 1.0 + pf
        W[q].D = Dq[q]
    D = np.empty(N)
    A = np.empty(N)
    for q in range(N):
        D[order[q]] = Dq[q]
        A[order[q]] = Aq[q]
    return D, A


def diag(ped, keep=None):  # type: ignore[no-untyped-def]
    """``(D, A_diag)`` of every node of ``ped`` (node numbering of the graph).

    *keep*: a dict that receives ``"numba_nodes"``, the node arrays of the kernel
    (``sire_node, dam_node, vptr, vcand, vprob, order``), so that :func:`colleau` needs
    no node graph afterwards (mean kinship right after F).
    """
    sm, dm = ped.sire_mult, ped.dam_mult
    if ped.n == 0:
        return np.zeros(0), np.zeros(0)
    N = ped.n + len(sm.leaders()) + len(dm.leaders())
    sire_node, dam_node, vptr, vcand, vprob, lev, order, bounds = _prepare(
        ped.sire, ped.dam, sm.ptr, sm.cand, sm.prob, sm.litters().astype(np.int64),
        dm.ptr, dm.cand, dm.prob, dm.litters().astype(np.int64))
    if keep is not None:
        keep["numba_nodes"] = (sire_node, dam_node, vptr, vcand, vprob, order)
    # the array read at random while tracing is allocated by numpy, which asks
    # for transparent huge pages (fewer TLB misses) on big arrays
    W = np.empty(N, NODE)
    return diag_kernel(ped.n, sire_node, dam_node, vptr, vcand, vprob, lev, order, bounds,
                       ped.founder_inbreeding, W)


@njit(cache=True, nogil=True)
def _colleau_kernel(n, sire_node, dam_node, vptr, vcand, vprob, order, D, X):  # pragma: no cover
    """In place ``X <- T D Tᵀ X`` (``A X``; X of shape (nodes, k)), sweeping the nodes in
    ``order`` (parents before children): Tᵀ children into parents, youngest first, then D,
    then T parents into children."""
    N, k = X.shape
    for q in range(N - 1, -1, -1):
        v = order[q]
        if v < n:
            s = sire_node[v]
            d = dam_node[v]
            for j in range(k):
                h = 0.5 * X[v, j]
                if s >= 0:
                    X[s, j] += h
                if d >= 0:
                    X[d, j] += h
        else:
            for t in range(vptr[v - n], vptr[v - n + 1]):
                c = vcand[t]
                w = vprob[t]
                for j in range(k):
                    X[c, j] += w * X[v, j]
    for v in range(N):
        for j in range(k):
            X[v, j] *= D[v]
    for q in range(N):
        v = order[q]
        if v < n:
            s = sire_node[v]
            d = dam_node[v]
            for j in range(k):
                acc = 0.0
                if s >= 0:
                    acc += 0.5 * X[s, j]
                if d >= 0:
                    acc += 0.5 * X[d, j]
                X[v, j] += acc
        else:
            for j in range(k):
                acc = 0.0
                for t in range(vptr[v - n], vptr[v - n + 1]):
                    acc += vprob[t] * X[vcand[t], j]
                X[v, j] += acc


def colleau(ped, nodes, D, x):  # type: ignore[no-untyped-def]
    """``Φ x`` (shape of ``x``: (n,) or (n, k)) with the node arrays kept by :func:`diag`."""
    sire_node, dam_node, vptr, vcand, vprob, order = nodes
    n = ped.n
    N = D.shape[0]
    X = np.zeros((N, 1 if x.ndim == 1 else x.shape[1]))
    X[:n] = x.reshape(n, -1)
    _colleau_kernel(n, sire_node, dam_node, vptr, vcand, vprob, order, D, X)
    out = 0.5 * X[:n]
    return out.reshape(x.shape)
