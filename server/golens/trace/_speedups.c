/* Optional accelerator for the trace reader's hot loop (golens.trace.builder), and for the
 * evidence analysis' per-record walk and sorts (evidence_walk, sort_int64 below; see
 * golens.evidence.walk and golens.evidence.results).
 *
 * decode(payload) -> bytes | None
 *     The payload's varints as native uint64s (use memoryview(...).cast("Q")),
 *     or None for a payload wire.decode_varints rejects, so that the pure
 *     decoder raises the error with its message and offset.
 *
 * walk(buf, i, t, k, cur, recs, smap, rmap, valid, counts, heap_alloc,
 *      creates, new_array) -> (i, t, k, cur, sweeps)
 *     Runs _GenState.walk's loop over the common events of one batch, from
 *     token i, with the same effects the Python loop would have. It stops
 *     at the end of the batch or *before* any event it does not handle or
 *     that is not entirely well-formed (unknown type, missing stack or
 *     reason, no current goroutine, out-of-range value): the caller handles
 *     that one event in Python, which then produces exactly the pure-Python
 *     behaviour, including its errors, and calls walk again. Nothing about
 *     an event is changed before the event is known to be good, so stopping
 *     never leaves half an event behind.
 *
 * Records are staged per goroutine in C and appended to recs[g] (array 'q',
 * native byte order, three int64s per record) before returning; recs
 * entries are inserted at the same moments as in Python so dict order
 * (and hence goroutine order in the model) is identical.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static PyObject *
decode(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *p = view.buf;
    Py_ssize_t len = view.len;
    if (len > 0 && p[len - 1] >= 0x80) {
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, len * (Py_ssize_t)sizeof(uint64_t));
    if (out == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    uint64_t *o = (uint64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t n = 0, pos = 0;
    while (pos < len) {
        unsigned char b = p[pos++];
        if (b < 0x80) {
            o[n++] = b;
            continue;
        }
        uint64_t v = b & 0x7F;
        int shift = 7, nb = 1;
        for (;;) {
            b = p[pos++];  /* the last byte is < 0x80, so this stays inside */
            nb++;
            if (nb > 10 || (nb == 10 && b > 1)) {
                Py_DECREF(out);
                PyBuffer_Release(&view);
                Py_RETURN_NONE;
            }
            v |= (uint64_t)(b & 0x7F) << shift;
            if (b < 0x80)
                break;
            shift += 7;
        }
        o[n++] = v;
    }
    PyBuffer_Release(&view);
    if (_PyBytes_Resize(&out, n * (Py_ssize_t)sizeof(uint64_t)) < 0)
        return NULL;
    return out;
}

/* -- per-goroutine staging ------------------------------------------------ */

typedef struct {
    uint64_t gid;
    PyObject *arr;  /* borrowed from recs, which outlives the call */
    int64_t *buf;
    Py_ssize_t len, cap;  /* in int64s */
    int used;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask;
    size_t count;
    PyObject *recs;
    PyObject *new_array;
} Staging;

static Slot *
stage_find(Staging *s, uint64_t gid)
{
    size_t h = (size_t)(gid * 0x9E3779B97F4A7C15ULL) >> 7;
    for (;;) {
        Slot *sl = &s->slots[h & s->mask];
        if (!sl->used || sl->gid == gid)
            return sl;
        h++;
    }
}

static int
stage_grow(Staging *s)
{
    size_t old_n = s->mask + 1;
    Slot *old = s->slots;
    size_t n = old_n * 2;
    Slot *slots = PyMem_Calloc(n, sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    s->slots = slots;
    s->mask = n - 1;
    for (size_t j = 0; j < old_n; j++)
        if (old[j].used)
            *stage_find(s, old[j].gid) = old[j];
    PyMem_Free(old);
    return 0;
}

/* The staging slot of goroutine gid, creating recs[gid] as Python would. */
static Slot *
stage_get(Staging *s, uint64_t gid)
{
    Slot *sl = stage_find(s, gid);
    if (sl->used)
        return sl;
    if ((s->count + 1) * 2 > s->mask + 1) {
        if (stage_grow(s) < 0)
            return NULL;
        sl = stage_find(s, gid);
    }
    PyObject *key = PyLong_FromUnsignedLongLong(gid);
    if (key == NULL)
        return NULL;
    PyObject *arr = PyDict_GetItemWithError(s->recs, key);
    if (arr == NULL) {
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            return NULL;
        }
        arr = PyObject_CallNoArgs(s->new_array);
        if (arr == NULL) {
            Py_DECREF(key);
            return NULL;
        }
        int rc = PyDict_SetItem(s->recs, key, arr);
        Py_DECREF(arr);  /* recs holds it */
        if (rc < 0) {
            Py_DECREF(key);
            return NULL;
        }
    }
    Py_DECREF(key);
    sl->gid = gid;
    sl->arr = arr;
    sl->buf = NULL;
    sl->len = sl->cap = 0;
    sl->used = 1;
    s->count++;
    return sl;
}

static int
stage_push(Slot *sl, int64_t a, int64_t b, int64_t c)
{
    if (sl->len + 3 > sl->cap) {
        Py_ssize_t cap = sl->cap ? sl->cap * 2 : 192;
        int64_t *buf = PyMem_Realloc(sl->buf, (size_t)cap * sizeof(int64_t));
        if (buf == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        sl->buf = buf;
        sl->cap = cap;
    }
    int64_t *d = sl->buf + sl->len;
    d[0] = a;
    d[1] = b;
    d[2] = c;
    sl->len += 3;
    return 0;
}

/* Appends every slot's records to its array and frees the staging. */
static int
stage_flush(Staging *s, int ok)
{
    for (size_t j = 0; j <= s->mask; j++) {
        Slot *sl = &s->slots[j];
        if (!sl->used)
            continue;
        if (ok && sl->len) {
            PyObject *bytes = PyBytes_FromStringAndSize((const char *)sl->buf, sl->len * (Py_ssize_t)sizeof(int64_t));
            if (bytes == NULL) {
                ok = 0;
            } else {
                PyObject *r = PyObject_CallMethod(sl->arr, "frombytes", "O", bytes);
                Py_DECREF(bytes);
                if (r == NULL)
                    ok = 0;
                Py_XDECREF(r);
            }
        }
        PyMem_Free(sl->buf);
    }
    PyMem_Free(s->slots);
    s->slots = NULL;
    return ok ? 0 : -1;
}

/* -- table lookups -------------------------------------------------------- */

/* d[key] without __missing__: 1 and *out on a hit that fits [0, limit),
 * 0 when absent or out of range (the caller stops), -1 on error. */
static int
lookup(PyObject *d, uint64_t key, int64_t limit, int64_t *out)
{
    PyObject *k = PyLong_FromUnsignedLongLong(key);
    if (k == NULL)
        return -1;
    PyObject *v = PyDict_GetItemWithError(d, k);
    Py_DECREF(k);
    if (v == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (!PyLong_Check(v))
        return 0;
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (overflow || x < 0 || x >= limit)
        return 0;
    *out = x;
    return 1;
}

#define STACK_LIMIT ((int64_t)1 << 48)   /* sid << 15 stays below 2**63 */
#define REASON_LIMIT ((int64_t)1 << 56)  /* reason << 7 stays below 2**63 */
/* seq << 32 stays below 2**62, so k (seq << 32 plus positions) cannot
 * overflow within one batch of at most 64 KiB. */
#define SEQ_LIMIT ((uint64_t)1 << 30)

/* Converts a Python int to int64; 0 if it does not fit (the caller stops). */
static int
as_i64(PyObject *o, int64_t *out)
{
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (overflow)
        return 0;
    *out = x;
    return 1;
}

static PyObject *
walk(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 13) {
        PyErr_SetString(PyExc_TypeError, "walk() takes 13 arguments");
        return NULL;
    }
    PyObject *bufobj = args[0], *cur_obj = args[4], *recs = args[5], *smap = args[6], *rmap = args[7];
    PyObject *validobj = args[8], *counts = args[9], *heap_alloc = args[10], *creates = args[11];
    if (!PyBytes_Check(bufobj) || !PyBytes_Check(validobj) || PyBytes_GET_SIZE(validobj) < 256 ||
        !PyDict_Check(recs) || !PyDict_Check(smap) || !PyDict_Check(rmap) || !PyList_Check(counts) ||
        PyList_GET_SIZE(counts) < 256 || !PyList_Check(heap_alloc) || !PyList_Check(creates)) {
        PyErr_SetString(PyExc_TypeError, "walk(): bad argument types");
        return NULL;
    }
    const uint64_t *v = (const uint64_t *)PyBytes_AS_STRING(bufobj);
    const unsigned char *valid = (const unsigned char *)PyBytes_AS_STRING(validobj);
    Py_ssize_t n = PyBytes_GET_SIZE(bufobj) / (Py_ssize_t)sizeof(uint64_t);
    Py_ssize_t i = PyLong_AsSsize_t(args[1]);
    if (i == -1 && PyErr_Occurred())
        return NULL;
    int64_t t = 0, k = 0;
    int rt = as_i64(args[2], &t), rk = as_i64(args[3], &k);
    if (rt < 0 || rk < 0)
        return NULL;
    if (!rt || !rk || t < 0 || k < 0 || k >= ((int64_t)1 << 62) || i < 0) {
        /* Values only the Python loop can handle (and then reject). */
        return Py_BuildValue("(nOOOi)", i, args[2], args[3], cur_obj, 0);
    }
    int has_cur = cur_obj != Py_None;
    uint64_t cur = 0;
    if (has_cur) {
        cur = PyLong_AsUnsignedLongLong(cur_obj);
        if (cur == (uint64_t)-1 && PyErr_Occurred())
            return NULL;
    }

    Staging st;
    st.mask = 63;
    st.count = 0;
    st.recs = recs;
    st.new_array = args[12];
    st.slots = PyMem_Calloc(st.mask + 1, sizeof(Slot));
    if (st.slots == NULL)
        return PyErr_NoMemory();
    Slot *cs = NULL;  /* the current goroutine's slot */
    if (has_cur && (cs = stage_get(&st, cur)) == NULL)
        goto fail;

    long n10 = 0, n11 = 0, n13 = 0, n32 = 0, sweeps = 0;
    int r;
    int64_t s1, s2, rr;
    uint64_t dt, tt;

#define NEED(j) if (i + (j) >= n) goto stop
#define ADVANCE(dtv) \
    do { dt = (dtv); if (dt > (uint64_t)INT64_MAX - (uint64_t)t) goto stop; tt = (uint64_t)t + dt; } while (0)
#define STACK(idx, out) \
    do { r = lookup(smap, v[idx], STACK_LIMIT, &(out)); if (r < 0) goto fail; if (!r) goto stop; } while (0)
#define REASON(idx, out) \
    do { r = lookup(rmap, v[idx], REASON_LIMIT, &(out)); if (r < 0) goto fail; if (!r) goto stop; } while (0)
#define PUSH(sl, a, b, c) if (stage_push((sl), (a), (b), (c)) < 0) goto fail

    while (i < n) {
        uint64_t ev = v[i];
        switch (ev) {
        case 22: /* GoSyscallBegin p_seq stack [GoSyscallEnd] */
            NEED(3);
            if (!has_cur) goto stop;
            ADVANCE(v[i + 1]);
            STACK(i + 3, s1);
            if (i + 5 < n && v[i + 4] == 23) {
                uint64_t dt2 = v[i + 5];
                if (dt2 > (uint64_t)INT64_MAX - tt) goto stop;
                PUSH(cs, k + 1, (int64_t)tt, 8 | s1 << 15);
                PUSH(cs, k + 2, (int64_t)(tt + dt2), 9);
                k += 2;
                t = (int64_t)(tt + dt2);
                i += 6;
            } else {
                k += 1;
                t = (int64_t)tt;
                PUSH(cs, k, t, 8 | s1 << 15);
                i += 4;
            }
            break;
        case 16: /* GoStart g seq */
            NEED(3);
            ADVANCE(v[i + 1]);
            if (v[i + 3] >= SEQ_LIMIT) goto stop;
            {
                Slot *sl = stage_get(&st, v[i + 2]);
                if (sl == NULL) goto fail;
                cs = sl;
            }
            t = (int64_t)tt;
            cur = v[i + 2];
            has_cur = 1;
            k = (int64_t)(v[i + 3] << 32);
            PUSH(cs, k, t, 4);
            i += 4;
            break;
        case 21: /* GoUnblock g seq stack */
            NEED(4);
            ADVANCE(v[i + 1]);
            if (v[i + 3] >= SEQ_LIMIT) goto stop;
            STACK(i + 4, s1);
            {
                Slot *sl = stage_get(&st, v[i + 2]);
                if (sl == NULL) goto fail;
                if (cs != NULL) cs = stage_find(&st, cur);  /* slots move when the table grows */
                t = (int64_t)tt;
                PUSH(sl, (int64_t)(v[i + 3] << 32), t, 7 | s1 << 15);
            }
            i += 5;
            break;
        case 20: /* GoBlock reason stack */
        case 19: /* GoStop reason stack */
            NEED(3);
            if (!has_cur) goto stop;
            ADVANCE(v[i + 1]);
            REASON(i + 2, rr);
            STACK(i + 3, s1);
            k += 1;
            t = (int64_t)tt;
            PUSH(cs, k, t, (ev == 20 ? 6 : 5) | rr << 7 | s1 << 15);
            has_cur = 0;
            cs = NULL;
            i += 4;
            break;
        case 23: /* GoSyscallEnd */
        case 24: /* GoSyscallEndBlocked */
        case 17: /* GoDestroy */
        case 18: /* GoDestroySyscall */
            NEED(1);
            if (!has_cur) goto stop;
            ADVANCE(v[i + 1]);
            k += 1;
            t = (int64_t)tt;
            PUSH(cs, k, t, ev == 23 ? 9 : ev == 24 ? 10 : ev == 17 ? 11 : 12);
            if (ev != 23) {
                has_cur = 0;
                cs = NULL;
            }
            i += 2;
            break;
        case 37: /* HeapAlloc value */
            NEED(2);
            ADVANCE(v[i + 1]);
            {
                PyObject *tup = Py_BuildValue("(LK)", (long long)tt, (unsigned long long)v[i + 2]);
                if (tup == NULL) goto fail;
                r = PyList_Append(heap_alloc, tup);
                Py_DECREF(tup);
                if (r < 0) goto fail;
            }
            t = (int64_t)tt;
            i += 3;
            break;
        case 10: /* ProcStart p seq */
        case 13: /* ProcStatus p status */
        case 11: /* ProcStop */
            NEED(1);
            ADVANCE(v[i + 1]);
            t = (int64_t)tt;
            if (ev == 11) {
                n11++;
                i += 2;
            } else {
                if (ev == 10) n10++; else n13++;
                i += 4;
            }
            break;
        case 32: /* GCSweepBegin stack */
            NEED(2);
            ADVANCE(v[i + 1]);
            STACK(i + 2, s1);
            n32++;
            t = (int64_t)tt;
            i += 3;
            break;
        case 33: /* GCSweepEnd swept reclaimed */
            NEED(1);
            ADVANCE(v[i + 1]);
            sweeps++;
            t = (int64_t)tt;
            i += 4;
            break;
        case 14: /* GoCreate new_g new_stack stack */
        case 47: /* GoCreateBlocked */
            if (!valid[ev]) goto stop;
            NEED(4);
            ADVANCE(v[i + 1]);
            STACK(i + 3, s1);
            STACK(i + 4, s2);
            {
                Slot *sl = stage_get(&st, v[i + 2]);
                if (sl == NULL) goto fail;
                if (cs != NULL) cs = stage_find(&st, cur);
                t = (int64_t)tt;
                PyObject *tup;
                if (has_cur)
                    tup = Py_BuildValue("(KLKLL)", (unsigned long long)v[i + 2], (long long)t,
                                        (unsigned long long)cur, (long long)s2, (long long)s1);
                else
                    tup = Py_BuildValue("(KLOLL)", (unsigned long long)v[i + 2], (long long)t, Py_None,
                                        (long long)s2, (long long)s1);
                if (tup == NULL) goto fail;
                r = PyList_Append(creates, tup);
                Py_DECREF(tup);
                if (r < 0) goto fail;
                PUSH(sl, 0, t, (ev == 14 ? 1 : 2) | s1 << 15);
            }
            i += 5;
            break;
        case 45: /* GoSwitch g seq */
        case 46: /* GoSwitchDestroy g seq */
            if (!valid[ev]) goto stop;
            NEED(3);
            if (!has_cur) goto stop;
            ADVANCE(v[i + 1]);
            if (v[i + 3] >= SEQ_LIMIT) goto stop;
            {
                Slot *sl = stage_get(&st, v[i + 2]);
                if (sl == NULL) goto fail;
                cs = stage_find(&st, cur);
                t = (int64_t)tt;
                PUSH(cs, k + 1, t, ev == 45 ? 14 : 15);
                int64_t s = (int64_t)(v[i + 3] << 32);
                PUSH(sl, s, t, 7);
                PUSH(sl, s | 1, t, 4);
                cs = sl;
                cur = v[i + 2];
                k = s | 1;
            }
            i += 4;
            break;
        case 15: /* GoCreateSyscall new_g */
            NEED(2);
            ADVANCE(v[i + 1]);
            {
                Slot *sl = stage_get(&st, v[i + 2]);
                if (sl == NULL) goto fail;
                t = (int64_t)tt;
                PUSH(sl, 0, t, 3);
                PyObject *tup = Py_BuildValue("(KLOii)", (unsigned long long)v[i + 2], (long long)t, Py_None, 0, 0);
                if (tup == NULL) goto fail;
                r = PyList_Append(creates, tup);
                Py_DECREF(tup);
                if (r < 0) goto fail;
                cs = sl;
                cur = v[i + 2];
                has_cur = 1;
                k = 0;
            }
            i += 3;
            break;
        default:
            goto stop;
        }
    }

stop:
    if (stage_flush(&st, 1) < 0)
        return NULL;
    {
        static const int evs[4] = {10, 11, 13, 32};
        long adds[4] = {n10, n11, n13, n32};
        for (int j = 0; j < 4; j++) {
            if (!adds[j])
                continue;
            PyObject *old = PyList_GET_ITEM(counts, evs[j]);
            PyObject *inc = PyLong_FromLong(adds[j]);
            if (inc == NULL)
                return NULL;
            PyObject *sum = PyNumber_Add(old, inc);
            Py_DECREF(inc);
            if (sum == NULL)
                return NULL;
            PyList_SetItem(counts, evs[j], sum);  /* steals sum, drops old */
        }
    }
    if (has_cur)
        return Py_BuildValue("(nLLKl)", i, (long long)t, (long long)k, (unsigned long long)cur, sweeps);
    return Py_BuildValue("(nLLOl)", i, (long long)t, (long long)k, Py_None, sweeps);

fail:
    stage_flush(&st, 0);
    return NULL;
}

/* -- check_and_sort's ordering and compaction ----------------------------- */

static const int64_t *order_recs;  /* qsort has no context argument in C99 */

static int
by_key(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    int64_t kx = order_recs[3 * x], ky = order_recs[3 * y];
    if (kx != ky)
        return kx < ky ? -1 : 1;
    return x < y ? -1 : x > y;  /* stable, as Python's sorted */
}

static int
by_time_key(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    int64_t tx = order_recs[3 * x + 1], ty = order_recs[3 * y + 1];
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return by_key(a, b);
}

/* order(recs, prev_tick) -> (first, last, dts, dts_code, infos, infos_code, low)
 *
 * One goroutine's staged records (array 'q' of key, tick, info triples, at
 * least one) in check_and_sort's order: by (tick, key) when several have key
 * 0 (several lifetimes), else by key, stably. dts are the tick deltas, the
 * first relative to prev_tick (None: to the first tick); dts and infos are
 * native-order bytes of typecode 'I' when every value fits, else 'q'; low is
 * each info's low byte.
 */
static PyObject *
order(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "order() takes 2 arguments");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_FORMAT) < 0)
        return NULL;
    PyObject *res = NULL, *dts = NULL, *infos = NULL, *low = NULL;
    Py_ssize_t *idx = NULL;
    if (view.itemsize != 8 || view.format == NULL || strcmp(view.format, "q") != 0 || view.len % 24 || view.len == 0) {
        PyErr_SetString(PyExc_ValueError, "order(): need a non-empty array('q') of triples");
        goto done;
    }
    const int64_t *r = view.buf;
    Py_ssize_t n = view.len / 24;
    int64_t prev = 0;
    int have_prev = args[1] != Py_None;
    if (have_prev) {
        prev = PyLong_AsLongLong(args[1]);
        if (prev == -1 && PyErr_Occurred())
            goto done;
    }
    Py_ssize_t zeros = 0;
    int sorted = 1;
    for (Py_ssize_t j = 0; j < n; j++) {
        zeros += r[3 * j] == 0;
        if (j && r[3 * j - 3] > r[3 * j])
            sorted = 0;
    }
    idx = PyMem_Malloc((size_t)n * sizeof(Py_ssize_t));
    if (idx == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < n; j++)
        idx[j] = j;
    if (zeros > 1 || !sorted) {
        order_recs = r;
        qsort(idx, (size_t)n, sizeof(Py_ssize_t), zeros > 1 ? by_time_key : by_key);
    }
    int64_t first = r[3 * idx[0] + 1], last = r[3 * idx[n - 1] + 1];
    if (!have_prev)
        prev = first;
    int dts32 = 1, infos32 = 1;
    int64_t p = prev;
    for (Py_ssize_t j = 0; j < n; j++) {
        int64_t t = r[3 * idx[j] + 1], info = r[3 * idx[j] + 2];
        /* Ticks are non-negative int64s, so their differences cannot overflow. */
        int64_t d = t - p;
        p = t;
        if (d < 0 || d > (int64_t)UINT32_MAX)
            dts32 = 0;
        if (info < 0 || info > (int64_t)UINT32_MAX)
            infos32 = 0;
    }
    dts = PyBytes_FromStringAndSize(NULL, n * (dts32 ? 4 : 8));
    infos = PyBytes_FromStringAndSize(NULL, n * (infos32 ? 4 : 8));
    low = PyBytes_FromStringAndSize(NULL, n);
    if (dts == NULL || infos == NULL || low == NULL)
        goto done;
    {
        char *dp = PyBytes_AS_STRING(dts), *ip = PyBytes_AS_STRING(infos);
        unsigned char *lp = (unsigned char *)PyBytes_AS_STRING(low);
        p = prev;
        for (Py_ssize_t j = 0; j < n; j++) {
            int64_t t = r[3 * idx[j] + 1], info = r[3 * idx[j] + 2];
            int64_t d = t - p;
            p = t;
            if (dts32)
                ((uint32_t *)dp)[j] = (uint32_t)d;
            else
                ((int64_t *)dp)[j] = d;
            if (infos32)
                ((uint32_t *)ip)[j] = (uint32_t)info;
            else
                ((int64_t *)ip)[j] = info;
            lp[j] = (unsigned char)(info & 0xFF);
        }
    }
    res = Py_BuildValue("(LLOsOsO)", (long long)first, (long long)last, dts, dts32 ? "I" : "q", infos,
                        infos32 ? "I" : "q", low);
done:
    Py_XDECREF(dts);
    Py_XDECREF(infos);
    Py_XDECREF(low);
    PyMem_Free(idx);
    PyBuffer_Release(&view);
    return res;
}


/* -- evidence walk ---------------------------------------------------------
 *
 * evidence_walk(dts_list, recss_list, tbase, tick_ns, trace_start, trace_end,
 *               layout, wait_table, wait_index, sys_table, sys_index,
 *               site_table, has_site, sched_on, running_min_ns,
 *               running_min_preemptions, resume, final)
 *     -> (lines, sched, sys_lost, stretches, last or state)
 *
 * The per-record loop of golens.evidence.walk.Walker for one goroutine,
 * which stays the reference (GOLENS_TRACE_PURE=1 runs it; tests compare the
 * two on every committed trace). The walk can be split at chunk boundaries
 * (a trace read one generation at a time): resume is None for the first
 * part, else the state an earlier call returned (tbase is then ignored);
 * only with final set is the interval open at trace_end closed, and last
 * returned instead of the state (its fields: golens.evidence.walk). Attribution stays in Python: the three
 * tables (array 'i', 'i', 'b', filled with -2/-2/-1 for "not asked yet") are
 * filled on first use by calling wait_index(stack, reason index),
 * sys_index(stack) (a LineStat index or -1) and has_site(stack) (bool).
 * layout = (KIND_BITS, STATE_SHIFT, REASON_SHIFT, REASON_MASK, STACK_SHIFT,
 * kind_to bytes[16], STATUS, BLOCK, STOP, SYSCALL, UNBLOCK, NOT_EXIST,
 * RUNNABLE, RUNNING, WAITING, SYSCALL state).
 *
 * lines: [(LineStat index, durations, open, open_total, released,
 *          release stack IDs, dependency_count, dependency_total)] with the
 *          int64 arrays as native bytes, in order of first touch;
 * sched: bytes of int64 scheduling delays (empty unless sched_on);
 * sys_lost: bytes of int64 (syscall stack, P wait) pairs;
 * stretches: [(cpu, start, stop, ending stack, {stack: stops}, preemptions)];
 * last: (state, start, end, reason index, stack, open) or None.
 */

typedef struct {
    int64_t *v;
    Py_ssize_t n, cap;
} Vec;

static int
vec_push(Vec *a, int64_t x)
{
    if (a->n == a->cap) {
        Py_ssize_t cap = a->cap ? a->cap * 2 : 16;
        int64_t *v = PyMem_Realloc(a->v, (size_t)cap * sizeof(int64_t));
        if (v == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

static PyObject *
vec_bytes(const Vec *a)
{
    return PyBytes_FromStringAndSize((const char *)a->v, a->n * (Py_ssize_t)sizeof(int64_t));
}

typedef struct {
    Vec dur, rel, relsid;
    int64_t open, open_total, dep_count, dep_total;
    int touched;
} LineAcc;

typedef struct {
    LineAcc *accs;
    Py_ssize_t cap;
    Vec order;  /* LineStat indexes in order of first touch */
} Lines;

static LineAcc *
lines_get(Lines *ls, long li)
{
    if (li >= ls->cap) {
        Py_ssize_t cap = ls->cap ? ls->cap : 16;
        while (cap <= li)
            cap *= 2;
        LineAcc *a = PyMem_Realloc(ls->accs, (size_t)cap * sizeof(LineAcc));
        if (a == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        memset(a + ls->cap, 0, (size_t)(cap - ls->cap) * sizeof(LineAcc));
        ls->accs = a;
        ls->cap = cap;
    }
    LineAcc *acc = &ls->accs[li];
    if (!acc->touched) {
        acc->touched = 1;
        if (vec_push(&ls->order, li) < 0)
            return NULL;
    }
    return acc;
}

static void
lines_free(Lines *ls)
{
    for (Py_ssize_t i = 0; i < ls->cap; i++) {
        PyMem_Free(ls->accs[i].dur.v);
        PyMem_Free(ls->accs[i].rel.v);
        PyMem_Free(ls->accs[i].relsid.v);
    }
    PyMem_Free(ls->accs);
    PyMem_Free(ls->order.v);
}

/* A lazily filled int table: table[i] if known, else ask(args) stored there. */
static long
table_lookup(int32_t *table, Py_ssize_t size, Py_ssize_t i, PyObject *ask, int64_t a, int64_t b, int two)
{
    if (i >= 0 && i < size && table[i] != -2)
        return table[i];
    PyObject *res = two ? PyObject_CallFunction(ask, "LL", (long long)a, (long long)b)
                        : PyObject_CallFunction(ask, "L", (long long)a);
    if (res == NULL)
        return -3;
    long v = PyLong_AsLong(res);
    Py_DECREF(res);
    if (v == -1 && PyErr_Occurred())
        return -3;
    if (v < -1 || v > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "evidence_walk: index out of range");
        return -3;
    }
    if (i >= 0 && i < size)
        table[i] = (int32_t)v;
    return v;
}

static int
site_known(int8_t *table, Py_ssize_t size, int64_t sid, PyObject *ask)
{
    if (sid >= 0 && sid < size && table[sid] >= 0)
        return table[sid];
    PyObject *res = PyObject_CallFunction(ask, "L", (long long)sid);
    if (res == NULL)
        return -1;
    int v = PyObject_IsTrue(res);
    Py_DECREF(res);
    if (v < 0)
        return -1;
    if (sid >= 0 && sid < size)
        table[sid] = (int8_t)v;
    return v;
}

static int
get_int_array(PyObject *o, Py_buffer *view, Py_ssize_t itemsize, int writable)
{
    if (PyObject_GetBuffer(o, view, (writable ? PyBUF_WRITABLE : 0) | PyBUF_FORMAT | PyBUF_ND) < 0)
        return -1;
    if (itemsize && view->itemsize != itemsize) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "evidence_walk: unexpected array item size");
        return -1;
    }
    return 0;
}

#define EW_NONE (-100)

static PyObject *
evidence_walk(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 18) {
        PyErr_SetString(PyExc_TypeError, "evidence_walk takes 18 arguments");
        return NULL;
    }
    PyObject *dts_list = args[0], *recss_list = args[1];
    if (!PyList_Check(dts_list) || !PyList_Check(recss_list) || PyList_GET_SIZE(dts_list) != PyList_GET_SIZE(recss_list)) {
        PyErr_SetString(PyExc_TypeError, "evidence_walk: dts and records must be lists of equal length");
        return NULL;
    }
    long long tbase = PyLong_AsLongLong(args[2]);
    if (tbase == -1 && PyErr_Occurred())
        return NULL;
    int tick_is_int = PyLong_Check(args[3]);
    long long tick_i = 0;
    double tick_f = 0;
    if (tick_is_int) {
        tick_i = PyLong_AsLongLong(args[3]);
        if (tick_i == -1 && PyErr_Occurred())
            return NULL;
    } else {
        tick_f = PyFloat_AsDouble(args[3]);
        if (tick_f == -1.0 && PyErr_Occurred())
            return NULL;
    }
    long long trace_start = PyLong_AsLongLong(args[4]);
    long long trace_end = PyLong_AsLongLong(args[5]);
    if (PyErr_Occurred())
        return NULL;
    long kind_bits, state_shift, reason_shift, reason_mask, stack_shift;
    long K_STATUS, K_BLOCK, K_STOP, K_SYSCALL, K_UNBLOCK, S_NOT_EXIST, S_RUNNABLE, S_RUNNING, S_WAITING, S_SYSCALL;
    const char *kind_to;
    Py_ssize_t kind_to_len;
    if (!PyArg_ParseTuple(args[6], "lllllz#llllllllll", &kind_bits, &state_shift, &reason_shift, &reason_mask,
                          &stack_shift, &kind_to, &kind_to_len, &K_STATUS, &K_BLOCK, &K_STOP, &K_SYSCALL, &K_UNBLOCK,
                          &S_NOT_EXIST, &S_RUNNABLE, &S_RUNNING, &S_WAITING, &S_SYSCALL))
        return NULL;
    if (kind_to == NULL || kind_to_len <= kind_bits) {
        PyErr_SetString(PyExc_ValueError, "evidence_walk: kind_to must cover every kind");
        return NULL;
    }
    PyObject *wait_index = args[8], *sys_index = args[10], *has_site = args[12];
    int sched_on = PyObject_IsTrue(args[13]);
    long long running_min_ns = PyLong_AsLongLong(args[14]);
    long long running_min_pre = PyLong_AsLongLong(args[15]);
    int final = PyObject_IsTrue(args[17]);
    if (sched_on < 0 || final < 0 || PyErr_Occurred())
        return NULL;
    /* The state of a walk split at chunk boundaries: 18 integers and the stops dict. */
    long long rs[18] = {0};
    PyObject *resume_stops = NULL;
    if (args[16] != Py_None) {
        if (!PyArg_ParseTuple(args[16], "LLLLLLLLLLLLLLLLLLO!", &rs[0], &rs[1], &rs[2], &rs[3], &rs[4], &rs[5], &rs[6],
                              &rs[7], &rs[8], &rs[9], &rs[10], &rs[11], &rs[12], &rs[13], &rs[14], &rs[15], &rs[16],
                              &rs[17], &PyDict_Type, &resume_stops))
            return NULL;
    }

    Py_buffer wt, st, ht;
    if (get_int_array(args[7], &wt, 4, 1) < 0)
        return NULL;
    if (get_int_array(args[9], &st, 4, 1) < 0) {
        PyBuffer_Release(&wt);
        return NULL;
    }
    if (get_int_array(args[11], &ht, 1, 1) < 0) {
        PyBuffer_Release(&wt);
        PyBuffer_Release(&st);
        return NULL;
    }
    int32_t *wait_table = wt.buf, *sys_table = st.buf;
    int8_t *site_table = ht.buf;
    Py_ssize_t nstacks = st.len / 4, wait_size = wt.len / 4;
    Py_ssize_t nreasons = nstacks ? wait_size / nstacks : 0;

    Lines lines = {0};
    Vec sched = {0}, syslost = {0};
    PyObject *stretches = PyList_New(0);
    PyObject *stops = resume_stops != NULL ? Py_NewRef(resume_stops) : PyDict_New();
    PyObject *result = NULL;
    if (stretches == NULL || stops == NULL)
        goto done;

    long state = EW_NONE, prev_state = EW_NONE;
    int64_t start = 0, ridx = 0, stack = 0, prev_stack = 0;
    int first = 1;
    int64_t cpu = 0, cstart = 0, nstops = 0;
    int have_last = 0;
    int64_t last_state = 0, last_start = 0, last_end = 0, last_ridx = 0, last_stack = 0, last_open = 0;
    int64_t tick = tbase;
    if (resume_stops != NULL) {
        state = (long)rs[0];
        prev_state = (long)rs[1];
        start = rs[2];
        ridx = rs[3];
        stack = rs[4];
        prev_stack = rs[5];
        first = (int)rs[6];
        cpu = rs[7];
        cstart = rs[8];
        nstops = rs[9];
        have_last = (int)rs[10];
        last_state = rs[11];
        last_start = rs[12];
        last_end = rs[13];
        last_ridx = rs[14];
        last_stack = rs[15];
        last_open = rs[16];
        tick = rs[17];
    }
    Py_ssize_t nchunks = PyList_GET_SIZE(recss_list);
    Py_ssize_t ci = 0, ri = 0, chunk_len = 0;
    Py_buffer dv = {0}, rv = {0};
    int have_chunk = 0;

#define STRETCH(STOP_AT, END_STACK)                                                              \
    do {                                                                                         \
        PyObject *copy_ = PyDict_Copy(stops);                                                    \
        if (copy_ == NULL)                                                                       \
            goto fail;                                                                           \
        PyObject *item_ = Py_BuildValue("(LLLLNL)", (long long)cpu, (long long)cstart,         \
                                        (long long)(STOP_AT), (long long)(END_STACK), copy_,     \
                                        (long long)nstops);                                     \
        if (item_ == NULL || PyList_Append(stretches, item_) < 0) {                              \
            Py_XDECREF(item_);                                                                   \
            goto fail;                                                                           \
        }                                                                                        \
        Py_DECREF(item_);                                                                        \
    } while (0)

    for (;;) {
        int sentinel = 0;
        int64_t t = 0, r = 0;
        while (!have_chunk || ri >= chunk_len) {
            if (have_chunk) {
                PyBuffer_Release(&dv);
                PyBuffer_Release(&rv);
                have_chunk = 0;
            }
            if (ci >= nchunks)
                break;
            if (get_int_array(PyList_GET_ITEM(dts_list, ci), &dv, 0, 0) < 0)
                goto fail;
            if (get_int_array(PyList_GET_ITEM(recss_list, ci), &rv, 0, 0) < 0) {
                PyBuffer_Release(&dv);
                goto fail;
            }
            ci++;
            have_chunk = 1;
            ri = 0;
            chunk_len = rv.len / rv.itemsize;
            if ((dv.itemsize != 4 && dv.itemsize != 8) || (rv.itemsize != 4 && rv.itemsize != 8)
                || dv.len / dv.itemsize != chunk_len) {
                PyErr_SetString(PyExc_ValueError, "evidence_walk: malformed record chunk");
                goto fail;
            }
        }
        if (!have_chunk) {
            if (!final)
                break;
            sentinel = 1;
        } else {
            int64_t dt = dv.itemsize == 4 ? (int64_t)((uint32_t *)dv.buf)[ri] : ((int64_t *)dv.buf)[ri];
            r = rv.itemsize == 4 ? (int64_t)((uint32_t *)rv.buf)[ri] : ((int64_t *)rv.buf)[ri];
            ri++;
            tick += dt;
            t = tick_is_int ? tick * tick_i : (int64_t)((double)tick * tick_f);
        }
        long kind, to;
        int64_t sid;
        int is_open;
        if (sentinel) {
            if (state == EW_NONE || state == S_NOT_EXIST)
                break;
            t = trace_end > start ? trace_end : start;
            kind = -1;
            to = -1;
            sid = 0;
            is_open = 1;
        } else {
            kind = (long)(r & kind_bits);
            to = kind == K_STATUS ? (long)((r >> state_shift) & 7) : (long)(unsigned char)kind_to[kind];
            sid = r >> stack_shift;
            if (kind == K_STATUS && state != EW_NONE && to == state) {
                if (!stack)
                    stack = sid;
                continue;
            }
            is_open = 0;
        }
        if (state != EW_NONE && state != S_NOT_EXIST) {
            int64_t end = t > start ? t : start;
            int64_t d = end - start;
            if (state == S_WAITING) {
                long li = table_lookup(wait_table, wait_size,
                                 (stack < nstacks && ridx < nreasons) ? stack * nreasons + ridx : -1,
                                 wait_index, stack, ridx, 1);
                if (li == -3)
                    goto fail;
                if (li >= 0) {
                    LineAcc *acc = lines_get(&lines, li);
                    if (acc == NULL)
                        goto fail;
                    if (is_open) {
                        acc->open += 1;
                        acc->open_total += d;
                    } else {
                        if (vec_push(&acc->dur, d) < 0)
                            goto fail;
                        if (kind == K_UNBLOCK && sid) {
                            int hs = site_known(site_table, nstacks, sid, has_site);
                            if (hs < 0)
                                goto fail;
                            if (hs) {
                                if (vec_push(&acc->rel, d) < 0 || vec_push(&acc->relsid, sid) < 0)
                                    goto fail;
                            } else {
                                acc->dep_count += 1;
                                acc->dep_total += d;
                            }
                        }
                    }
                }
            } else if (state == S_SYSCALL) {
                long li = table_lookup(sys_table, nstacks, stack, sys_index, stack, 0, 0);
                if (li == -3)
                    goto fail;
                if (li >= 0) {
                    LineAcc *acc = lines_get(&lines, li);
                    if (acc == NULL || vec_push(&acc->dur, d) < 0)
                        goto fail;
                }
            } else if (state == S_RUNNABLE) {
                if (!is_open) {
                    if (prev_state == S_SYSCALL) {
                        int hs = site_known(site_table, nstacks, prev_stack, has_site);
                        if (hs < 0)
                            goto fail;
                        if (hs && (vec_push(&syslost, prev_stack) < 0 || vec_push(&syslost, d) < 0))
                            goto fail;
                    }
                    if (sched_on && vec_push(&sched, d) < 0)
                        goto fail;
                }
                if (stack) {
                    nstops += 1;
                    int hs = site_known(site_table, nstacks, stack, has_site);
                    if (hs < 0)
                        goto fail;
                    if (hs) {
                        PyObject *key = PyLong_FromLongLong(stack);
                        if (key == NULL)
                            goto fail;
                        PyObject *old = PyDict_GetItemWithError(stops, key);
                        long long n = 0;
                        if (old == NULL && PyErr_Occurred()) {
                            Py_DECREF(key);
                            goto fail;
                        }
                        if (old != NULL)
                            n = PyLong_AsLongLong(old);
                        PyObject *nv = PyLong_FromLongLong(n + 1);
                        int rc = nv == NULL ? -1 : PyDict_SetItem(stops, key, nv);
                        Py_XDECREF(nv);
                        Py_DECREF(key);
                        if (rc < 0)
                            goto fail;
                    }
                }
            }
            if (state == S_RUNNING || state == S_RUNNABLE) {
                if (cpu == 0 && state == S_RUNNING && PyDict_GET_SIZE(stops) == 0)
                    cstart = start;
                if (state == S_RUNNING)
                    cpu += d;
            } else {
                if (cpu >= running_min_ns && nstops >= running_min_pre)
                    STRETCH(start, stack);
                cpu = nstops = 0;
                if (PyDict_GET_SIZE(stops)) {
                    Py_DECREF(stops);
                    stops = PyDict_New();
                    if (stops == NULL)
                        goto fail;
                }
            }
            prev_state = state;
            prev_stack = stack;
            have_last = 1;
            last_state = state;
            last_start = start;
            last_end = end;
            last_ridx = ridx;
            last_stack = stack;
            last_open = is_open;
        }
        if (sentinel)
            break;
        if (first && kind == K_STATUS && trace_start)
            t = t < trace_start ? t : trace_start;
        first = 0;
        state = to;
        start = t;
        ridx = (kind == K_BLOCK || kind == K_STOP) ? (int64_t)((r >> reason_shift) & reason_mask) : 0;
        stack = (kind == K_BLOCK || kind == K_STOP || kind == K_SYSCALL || kind == K_STATUS) ? sid : 0;
    }
    if (have_chunk) {
        PyBuffer_Release(&dv);
        PyBuffer_Release(&rv);
        have_chunk = 0;
    }
    if (final && cpu >= running_min_ns && nstops >= running_min_pre)
        STRETCH(trace_end, 0);
#undef STRETCH

    PyObject *out_lines = PyList_New(lines.order.n);
    if (out_lines == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < lines.order.n; i++) {
        LineAcc *acc = &lines.accs[lines.order.v[i]];
        PyObject *item = Py_BuildValue("(LNLLNNLL)", (long long)lines.order.v[i], vec_bytes(&acc->dur),
                                       (long long)acc->open, (long long)acc->open_total, vec_bytes(&acc->rel),
                                       vec_bytes(&acc->relsid), (long long)acc->dep_count, (long long)acc->dep_total);
        if (item == NULL) {
            Py_DECREF(out_lines);
            goto fail;
        }
        PyList_SET_ITEM(out_lines, i, item);
    }
    PyObject *last;
    if (!final)
        last = Py_BuildValue("(LLLLLLLLLLLLLLLLLLO)", (long long)state, (long long)prev_state, (long long)start,
                             (long long)ridx, (long long)stack, (long long)prev_stack, (long long)first,
                             (long long)cpu, (long long)cstart, (long long)nstops, (long long)have_last,
                             (long long)last_state, (long long)last_start, (long long)last_end,
                             (long long)last_ridx, (long long)last_stack, (long long)last_open, (long long)tick,
                             stops);
    else
        last = have_last ? Py_BuildValue("(LLLLLO)", (long long)last_state, (long long)last_start,
                                         (long long)last_end, (long long)last_ridx, (long long)last_stack,
                                         last_open ? Py_True : Py_False)
                         : Py_NewRef(Py_None);
    if (last == NULL) {
        Py_DECREF(out_lines);
        goto fail;
    }
    result = Py_BuildValue("(NNNON)", out_lines, vec_bytes(&sched), vec_bytes(&syslost), stretches, last);
    goto done;
fail:
    if (have_chunk) {
        PyBuffer_Release(&dv);
        PyBuffer_Release(&rv);
    }
done:
    Py_XDECREF(stretches);
    Py_XDECREF(stops);
    lines_free(&lines);
    PyMem_Free(sched.v);
    PyMem_Free(syslost.v);
    PyBuffer_Release(&wt);
    PyBuffer_Release(&st);
    PyBuffer_Release(&ht);
    return result;
}


/* sort_int64(values, positive_only) -> n
 *     Sorts a writable buffer of int64s (an array('q')) in place, first keeping only the
 *     values > 0 if positive_only, and returns how many are kept (at the front): the sorted
 *     copy evidence statistics take percentiles from, without a Python int per value.
 *     Large buffers are radix-sorted (16-bit digits, skipping digits every value shares:
 *     durations rarely use the top bits). */
static int
cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

#define RADIX_MIN 4096

static int
radix_sort_int64(int64_t *v, Py_ssize_t n)
{
    uint64_t *a = (uint64_t *)v;
    uint64_t *tmp = PyMem_Malloc((size_t)n * sizeof(uint64_t));
    Py_ssize_t (*count)[65536] = PyMem_Calloc(4, sizeof(*count));
    if (tmp == NULL || count == NULL) {
        PyMem_Free(tmp);
        PyMem_Free(count);
        PyErr_NoMemory();
        return -1;
    }
    const uint64_t flip = (uint64_t)1 << 63;  /* order negatives first */
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t u = a[i] ^ flip;
        count[0][u & 0xFFFF]++;
        count[1][(u >> 16) & 0xFFFF]++;
        count[2][(u >> 32) & 0xFFFF]++;
        count[3][u >> 48]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (int pass = 0; pass < 4; pass++) {
        int shift = pass * 16;
        if (count[pass][((src[0] ^ flip) >> shift) & 0xFFFF] == n)
            continue;  /* every value has this digit */
        Py_ssize_t pos = 0;
        for (int d = 0; d < 65536; d++) {
            Py_ssize_t c = count[pass][d];
            count[pass][d] = pos;
            pos += c;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t u = src[i];
            dst[count[pass][((u ^ flip) >> shift) & 0xFFFF]++] = u;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, (size_t)n * sizeof(uint64_t));
    PyMem_Free(tmp);
    PyMem_Free(count);
    return 0;
}

static PyObject *
sort_int64(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "sort_int64 takes 2 arguments");
        return NULL;
    }
    int positive_only = PyObject_IsTrue(args[1]);
    if (positive_only < 0)
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_ND) < 0)
        return NULL;
    if (view.itemsize != 8 || view.format == NULL || (strcmp(view.format, "q") != 0 && strcmp(view.format, "l") != 0)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "sort_int64: expected a writable buffer of int64");
        return NULL;
    }
    int64_t *v = view.buf;
    Py_ssize_t n = view.len / 8, m = n;
    if (positive_only) {
        m = 0;
        for (Py_ssize_t i = 0; i < n; i++)
            if (v[i] > 0)
                v[m++] = v[i];
    }
    int rc = 0;
    if (m >= RADIX_MIN)
        rc = radix_sort_int64(v, m);
    else
        qsort(v, (size_t)m, sizeof(int64_t), cmp_int64);
    PyBuffer_Release(&view);
    if (rc < 0)
        return NULL;
    return PyLong_FromSsize_t(m);
}

/* -- report aggregate walk ---------------------------------------------------
 *
 * aggregate_walk(dts_list, recss_list, tbase, tick_ns, trace_start, trace_end,
 *                layout, slot, system, fallback_stack, parts, diffs, timeline)
 *     -> bytes
 *
 * The per-record loop of golens.export.aggregate.aggregate for one goroutine,
 * which stays the reference (GOLENS_TRACE_PURE=1 runs it; tests compare the
 * two on every committed trace). Self-contained: it shares no state or helper
 * with the evidence walk above, only the model's public record chunks
 * (Goroutine.record_chunks) and layout (the same tuple as evidence_walk's).
 *
 * slot(kind, stack, reason index) -> int: the index of the weight an interval
 *     is added to (kind 0 a wait, 1 on CPU, 2 a syscall), or -1 for none (a
 *     runtime-internal wait); asked once per key and call, at the moment the
 *     Python loop would first touch that weight, so that weights are created
 *     in the same order both ways. Waits are not asked for when system.
 * parts, diffs: the goroutine's group timeline, writable array('d') of
 *     6 * buckets and array('q') of 6 * (buckets + 1) (rows by GoState), or
 *     None for a goroutine without a row; timeline = (buckets, width, per_ns).
 *     Every float operation is the Python loop's, in its order, so both give
 *     the same bits.
 * Returns int64 quintuples (slot, ns, count, open_ns, open_count) as native
 * bytes, one per (kind, stack, reason) touched.
 */

typedef struct {
    int64_t k1, k2;  /* kind << 8 | reason index, stack; k1 = -1 empty */
    Py_ssize_t acc;  /* index into the accumulators, or -1: no weight */
} AggKey;

typedef struct {
    AggKey *keys;
    Py_ssize_t cap, used;
    int64_t *accs;   /* 5 int64s each */
    Py_ssize_t nacc, acccap;
} AggTable;

static uint64_t
agg_hash(int64_t k1, int64_t k2)
{
    uint64_t h = (uint64_t)k2 * 0x9E3779B97F4A7C15ull ^ (uint64_t)k1 * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 29);
}

static int
agg_grow(AggTable *t)
{
    Py_ssize_t cap = t->cap ? t->cap * 2 : 64;
    AggKey *keys = PyMem_Malloc((size_t)cap * sizeof(AggKey));
    if (keys == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < cap; i++)
        keys[i].k1 = -1;
    for (Py_ssize_t i = 0; i < t->cap; i++) {
        if (t->keys[i].k1 < 0)
            continue;
        Py_ssize_t j = (Py_ssize_t)(agg_hash(t->keys[i].k1, t->keys[i].k2) & (uint64_t)(cap - 1));
        while (keys[j].k1 >= 0)
            j = (j + 1) & (cap - 1);
        keys[j] = t->keys[i];
    }
    PyMem_Free(t->keys);
    t->keys = keys;
    t->cap = cap;
    return 0;
}

/* The accumulator of (kind, stack, reason index), asking slot() on first use: NULL for none
 * (*err stays 0) or on error (*err = 1). */
static int64_t *
agg_weight(AggTable *t, PyObject *slot, long kind, int64_t stack, int64_t ridx, int *err)
{
    int64_t k1 = (int64_t)kind << 8 | ridx, k2 = stack;
    if (t->used * 2 >= t->cap && agg_grow(t) < 0) {
        *err = 1;
        return NULL;
    }
    Py_ssize_t j = (Py_ssize_t)(agg_hash(k1, k2) & (uint64_t)(t->cap - 1));
    while (t->keys[j].k1 >= 0) {
        if (t->keys[j].k1 == k1 && t->keys[j].k2 == k2)
            return t->keys[j].acc < 0 ? NULL : t->accs + 5 * t->keys[j].acc;
        j = (j + 1) & (t->cap - 1);
    }
    PyObject *res = PyObject_CallFunction(slot, "lLL", kind, (long long)stack, (long long)ridx);
    if (res == NULL) {
        *err = 1;
        return NULL;
    }
    long long s = PyLong_AsLongLong(res);
    Py_DECREF(res);
    if (s == -1 && PyErr_Occurred()) {
        *err = 1;
        return NULL;
    }
    Py_ssize_t acc = -1;
    if (s >= 0) {
        if (t->nacc == t->acccap) {
            Py_ssize_t cap = t->acccap ? t->acccap * 2 : 16;
            int64_t *a = PyMem_Realloc(t->accs, (size_t)cap * 5 * sizeof(int64_t));
            if (a == NULL) {
                PyErr_NoMemory();
                *err = 1;
                return NULL;
            }
            t->accs = a;
            t->acccap = cap;
        }
        acc = t->nacc++;
        int64_t *a = t->accs + 5 * acc;
        a[0] = s;
        a[1] = a[2] = a[3] = a[4] = 0;
    }
    t->keys[j].k1 = k1;
    t->keys[j].k2 = k2;
    t->keys[j].acc = acc;
    t->used++;
    return acc < 0 ? NULL : t->accs + 5 * acc;
}

typedef struct {
    double *parts;   /* NULL: no timeline */
    int64_t *diffs;
    Py_ssize_t buckets;
    double start_ns, width, per_ns;
} AggTimeline;

/* aggregate()'s bucket_of: the bucket t falls in and when its successor starts. */
static void
agg_bucket_of(const AggTimeline *tl, int64_t trace_start, int64_t t, Py_ssize_t *i, double *edge)
{
    double f = (double)(t - trace_start) * tl->per_ns;
    Py_ssize_t last = tl->buckets - 1;
    *i = f < 0 ? 0 : (f >= (double)last ? last : (Py_ssize_t)f);
    *edge = *i < last ? tl->start_ns + (double)(*i + 1) * tl->width : INFINITY;
}

/* aggregate()'s spread: adds [a, b) to the row of state. */
static void
agg_spread(const AggTimeline *tl, int64_t trace_start, long state, int64_t a, int64_t b)
{
    if (tl->parts == NULL)
        return;
    double *part = tl->parts + state * tl->buckets;
    int64_t *diff = tl->diffs + state * (tl->buckets + 1);
    Py_ssize_t last = tl->buckets - 1;
    double fa = (double)(a - trace_start) * tl->per_ns, fb = (double)(b - trace_start) * tl->per_ns;
    Py_ssize_t ia = fa < 0 ? 0 : (fa >= (double)last ? last : (Py_ssize_t)fa);
    Py_ssize_t ib = fb < 0 ? 0 : (fb >= (double)last ? last : (Py_ssize_t)fb);
    if (ia == ib) {
        part[ia] += (double)(b - a);
        return;
    }
    part[ia] += ((double)(ia + 1) - fa) * tl->width;
    part[ib] += (fb - (double)ib) * tl->width;
    if (ib > ia + 1) {
        diff[ia + 1] += 1;
        diff[ib] -= 1;
    }
}

static PyObject *
aggregate_walk(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 13) {
        PyErr_SetString(PyExc_TypeError, "aggregate_walk takes 13 arguments");
        return NULL;
    }
    PyObject *dts_list = args[0], *recss_list = args[1], *slot = args[7];
    if (!PyList_Check(dts_list) || !PyList_Check(recss_list) || PyList_GET_SIZE(dts_list) != PyList_GET_SIZE(recss_list)) {
        PyErr_SetString(PyExc_TypeError, "aggregate_walk: dts and records must be lists of equal length");
        return NULL;
    }
    long long tbase = PyLong_AsLongLong(args[2]);
    if (tbase == -1 && PyErr_Occurred())
        return NULL;
    int tick_is_int = PyLong_Check(args[3]);
    long long tick_i = 0;
    double tick_f = 0;
    if (tick_is_int)
        tick_i = PyLong_AsLongLong(args[3]);
    else
        tick_f = PyFloat_AsDouble(args[3]);
    long long trace_start = PyLong_AsLongLong(args[4]);
    long long trace_end = PyLong_AsLongLong(args[5]);
    int system = PyObject_IsTrue(args[8]);
    long long fallback_stack = PyLong_AsLongLong(args[9]);
    if (system < 0 || PyErr_Occurred())
        return NULL;
    long kind_bits, state_shift, reason_shift, reason_mask, stack_shift;
    long K_STATUS, K_BLOCK, K_STOP, K_SYSCALL, K_UNBLOCK, S_NOT_EXIST, S_RUNNABLE, S_RUNNING, S_WAITING, S_SYSCALL;
    const char *kind_to;
    Py_ssize_t kind_to_len;
    if (!PyArg_ParseTuple(args[6], "lllllz#llllllllll", &kind_bits, &state_shift, &reason_shift, &reason_mask,
                          &stack_shift, &kind_to, &kind_to_len, &K_STATUS, &K_BLOCK, &K_STOP, &K_SYSCALL, &K_UNBLOCK,
                          &S_NOT_EXIST, &S_RUNNABLE, &S_RUNNING, &S_WAITING, &S_SYSCALL))
        return NULL;
    (void)K_UNBLOCK;
    if (kind_to == NULL || kind_to_len <= kind_bits || S_SYSCALL > 5 || S_RUNNABLE < 0) {
        PyErr_SetString(PyExc_ValueError, "aggregate_walk: kind_to must cover every kind, states fit 6 rows");
        return NULL;
    }
    AggTimeline tl = {0};
    if (!PyArg_ParseTuple(args[12], "ndd", &tl.buckets, &tl.width, &tl.per_ns))
        return NULL;
    if (tl.buckets < 1) {
        PyErr_SetString(PyExc_ValueError, "aggregate_walk: at least one bucket");
        return NULL;
    }
    tl.start_ns = (double)trace_start;
    Py_buffer pv = {0}, fv = {0};
    int have_timeline = args[10] != Py_None;
    if (have_timeline) {
        if (get_int_array(args[10], &pv, 8, 1) < 0)
            return NULL;
        if (get_int_array(args[11], &fv, 8, 1) < 0) {
            PyBuffer_Release(&pv);
            return NULL;
        }
        if (pv.len < 6 * tl.buckets * 8 || fv.len < 6 * (tl.buckets + 1) * 8 || pv.format == NULL
            || strcmp(pv.format, "d") != 0) {
            PyBuffer_Release(&pv);
            PyBuffer_Release(&fv);
            PyErr_SetString(PyExc_ValueError, "aggregate_walk: timeline buffers too small or not float64/int64");
            return NULL;
        }
        tl.parts = pv.buf;
        tl.diffs = fv.buf;
    }

    AggTable table = {0};
    PyObject *result = NULL;
    int err = 0;
    long state = -1;
    int64_t start = 0, ridx = 0, stack = 0;
    int first = 1;
    Py_ssize_t bi = 0;
    double edge = tl.buckets > 1 ? tl.start_ns + tl.width : INFINITY;
    int64_t tick = tbase;
    Py_ssize_t nchunks = PyList_GET_SIZE(recss_list);
    Py_buffer dv = {0}, rv = {0};

    for (Py_ssize_t ci = 0; ci < nchunks; ci++) {
        if (get_int_array(PyList_GET_ITEM(dts_list, ci), &dv, 0, 0) < 0)
            goto fail;
        if (get_int_array(PyList_GET_ITEM(recss_list, ci), &rv, 0, 0) < 0) {
            PyBuffer_Release(&dv);
            goto fail;
        }
        Py_ssize_t n = rv.len / rv.itemsize;
        if ((dv.itemsize != 4 && dv.itemsize != 8) || (rv.itemsize != 4 && rv.itemsize != 8)
            || dv.len / dv.itemsize != n) {
            PyErr_SetString(PyExc_ValueError, "aggregate_walk: malformed record chunk");
            goto fail_chunk;
        }
        for (Py_ssize_t ri = 0; ri < n; ri++) {
            int64_t dt = dv.itemsize == 4 ? (int64_t)((uint32_t *)dv.buf)[ri] : ((int64_t *)dv.buf)[ri];
            int64_t r = rv.itemsize == 4 ? (int64_t)((uint32_t *)rv.buf)[ri] : ((int64_t *)rv.buf)[ri];
            tick += dt;
            int64_t t = tick_is_int ? tick * tick_i : (int64_t)((double)tick * tick_f);
            long kind = (long)(r & kind_bits), to;
            if (kind == K_STATUS) {
                to = (long)((r >> state_shift) & 7);
                if (to == state) {
                    if (!stack)
                        stack = r >> stack_shift;
                    continue;
                }
            } else {
                to = (long)(unsigned char)kind_to[kind];
            }
            if (to > 5) {
                PyErr_SetString(PyExc_ValueError, "aggregate_walk: state out of range");
                goto fail_chunk;
            }
            if (state >= S_RUNNABLE) {
                int64_t d = t > start ? t - start : 0;
                int64_t *w = NULL;
                if (state == S_WAITING) {
                    if (!system)
                        w = agg_weight(&table, slot, 0, stack, ridx, &err);
                } else if (state == S_RUNNING) {
                    int64_t sid = r >> stack_shift;
                    if (!(sid && (kind == K_BLOCK || kind == K_STOP || kind == K_SYSCALL)))
                        sid = fallback_stack;
                    w = agg_weight(&table, slot, 1, sid, 0, &err);
                } else if (state == S_SYSCALL) {
                    w = agg_weight(&table, slot, 2, stack, 0, &err);
                }
                if (err)
                    goto fail_chunk;
                if (w != NULL) {
                    w[1] += d;
                    w[2] += 1;
                }
                if ((double)t < edge) {
                    if (tl.parts != NULL)
                        tl.parts[state * tl.buckets + bi] += (double)d;
                } else {
                    agg_spread(&tl, trace_start, state, start, start + d);
                    agg_bucket_of(&tl, trace_start, t, &bi, &edge);
                }
            } else if ((double)t >= edge) {
                agg_bucket_of(&tl, trace_start, t, &bi, &edge);
            }
            if (first && kind == K_STATUS && trace_start && t > trace_start) {
                t = trace_start;
                agg_bucket_of(&tl, trace_start, t, &bi, &edge);
            }
            first = 0;
            state = to;
            start = t;
            ridx = (kind == K_BLOCK || kind == K_STOP) ? (int64_t)((r >> reason_shift) & reason_mask) : 0;
            stack = (kind == K_BLOCK || kind == K_STOP || kind == K_SYSCALL || kind == K_STATUS) ? r >> stack_shift : 0;
        }
        PyBuffer_Release(&dv);
        PyBuffer_Release(&rv);
    }
    if (state >= S_RUNNABLE) {
        int64_t end = trace_end > start ? trace_end : start;
        int64_t *w = NULL;
        if (state == S_WAITING) {
            if (!system)
                w = agg_weight(&table, slot, 0, stack, ridx, &err);
        } else if (state == S_RUNNING) {
            w = agg_weight(&table, slot, 1, fallback_stack, 0, &err);
        } else if (state == S_SYSCALL) {
            w = agg_weight(&table, slot, 2, stack, 0, &err);
        }
        if (err)
            goto fail;
        if (w != NULL) {
            w[3] += end - start;
            w[4] += 1;
        }
        agg_spread(&tl, trace_start, state, start, end);
    }
    result = PyBytes_FromStringAndSize((const char *)table.accs, table.nacc * 5 * (Py_ssize_t)sizeof(int64_t));
    goto done;
fail_chunk:
    PyBuffer_Release(&dv);
    PyBuffer_Release(&rv);
fail:
done:
    PyMem_Free(table.keys);
    PyMem_Free(table.accs);
    if (have_timeline) {
        PyBuffer_Release(&pv);
        PyBuffer_Release(&fv);
    }
    return result;
}

/* -- Perfetto export walk -------------------------------------------------------
 *
 * state_runs(dts_list, recss_list, tbase, tick_ns, trace_start, trace_end, layout, res)
 *     -> list
 *
 * One goroutine's state intervals as Goroutine.intervals() yields them (which stays the
 * reference: golens.export.perfetto runs it without the accelerator, and tests compare the two
 * files on every committed trace), with every run of two or more consecutive intervals shorter
 * than res ns folded into one item:
 *   (0, state, start, end, reason index or -1, stack, open)   an interval;
 *   (1, start, end, count, open, ns in state 0, ..., ns in state 5)   a run.
 * The reason index is the record's for BLOCK and STOP, -1 (no reason) otherwise. Self-contained:
 * it reads only the model's public record chunks and layout (evidence_walk's tuple).
 */

typedef struct {
    int have, open;
    long state;
    int64_t start, end, ridx, stack;
} SrInterval;

static int
sr_append_interval(PyObject *out, const SrInterval *iv)
{
    PyObject *item = Py_BuildValue("(ilLLLLO)", 0, iv->state, (long long)iv->start, (long long)iv->end,
                                   (long long)iv->ridx, (long long)iv->stack, iv->open ? Py_True : Py_False);
    if (item == NULL)
        return -1;
    int rc = PyList_Append(out, item);
    Py_DECREF(item);
    return rc;
}

typedef struct {
    SrInterval first;
    int64_t n, end, ns[6];
    int open;
} SrRun;

static int
sr_flush(PyObject *out, SrRun *run)
{
    int rc = 0;
    if (run->n == 1) {
        rc = sr_append_interval(out, &run->first);
    } else if (run->n > 1) {
        PyObject *item = Py_BuildValue("(iLLLOLLLLLL)", 1, (long long)run->first.start, (long long)run->end,
                                       (long long)run->n, run->open ? Py_True : Py_False, (long long)run->ns[0],
                                       (long long)run->ns[1], (long long)run->ns[2], (long long)run->ns[3],
                                       (long long)run->ns[4], (long long)run->ns[5]);
        if (item == NULL)
            return -1;
        rc = PyList_Append(out, item);
        Py_DECREF(item);
    }
    memset(run, 0, sizeof(*run));
    return rc;
}

/* An interval ends: into the run when shorter than res, else the run (if any) and then it. */
static int
sr_take(PyObject *out, SrRun *run, const SrInterval *iv, int64_t res)
{
    int64_t d = iv->end - iv->start;
    if (d < res) {
        if (run->n == 0)
            run->first = *iv;
        run->n += 1;
        run->end = iv->end;
        run->open = iv->open;
        run->ns[iv->state] += d;
        return 0;
    }
    if (sr_flush(out, run) < 0)
        return -1;
    return sr_append_interval(out, iv);
}

static PyObject *
state_runs(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "state_runs takes 8 arguments");
        return NULL;
    }
    PyObject *dts_list = args[0], *recss_list = args[1];
    if (!PyList_Check(dts_list) || !PyList_Check(recss_list) || PyList_GET_SIZE(dts_list) != PyList_GET_SIZE(recss_list)) {
        PyErr_SetString(PyExc_TypeError, "state_runs: dts and records must be lists of equal length");
        return NULL;
    }
    long long tbase = PyLong_AsLongLong(args[2]);
    if (tbase == -1 && PyErr_Occurred())
        return NULL;
    int tick_is_int = PyLong_Check(args[3]);
    long long tick_i = 0;
    double tick_f = 0;
    if (tick_is_int)
        tick_i = PyLong_AsLongLong(args[3]);
    else
        tick_f = PyFloat_AsDouble(args[3]);
    long long trace_start = PyLong_AsLongLong(args[4]);
    long long trace_end = PyLong_AsLongLong(args[5]);
    long long res = PyLong_AsLongLong(args[7]);
    if (PyErr_Occurred())
        return NULL;
    long kind_bits, state_shift, reason_shift, reason_mask, stack_shift;
    long K_STATUS, K_BLOCK, K_STOP, K_SYSCALL, K_UNBLOCK, S_NOT_EXIST, S_RUNNABLE, S_RUNNING, S_WAITING, S_SYSCALL;
    const char *kind_to;
    Py_ssize_t kind_to_len;
    if (!PyArg_ParseTuple(args[6], "lllllz#llllllllll", &kind_bits, &state_shift, &reason_shift, &reason_mask,
                          &stack_shift, &kind_to, &kind_to_len, &K_STATUS, &K_BLOCK, &K_STOP, &K_SYSCALL, &K_UNBLOCK,
                          &S_NOT_EXIST, &S_RUNNABLE, &S_RUNNING, &S_WAITING, &S_SYSCALL))
        return NULL;
    (void)K_UNBLOCK;
    (void)S_RUNNABLE;
    (void)S_RUNNING;
    (void)S_WAITING;
    (void)S_SYSCALL;
    if (kind_to == NULL || kind_to_len <= kind_bits) {
        PyErr_SetString(PyExc_ValueError, "state_runs: kind_to must cover every kind");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    SrRun run;
    memset(&run, 0, sizeof(run));
    SrInterval cur = {0};  /* cur.have: a state is open (Python's state is not None) */
    int first = 1;
    int64_t tick = tbase;
    Py_ssize_t nchunks = PyList_GET_SIZE(recss_list);
    Py_buffer dv = {0}, rv = {0};
    for (Py_ssize_t ci = 0; ci < nchunks; ci++) {
        if (get_int_array(PyList_GET_ITEM(dts_list, ci), &dv, 0, 0) < 0)
            goto fail;
        if (get_int_array(PyList_GET_ITEM(recss_list, ci), &rv, 0, 0) < 0) {
            PyBuffer_Release(&dv);
            goto fail;
        }
        Py_ssize_t n = rv.len / rv.itemsize;
        if ((dv.itemsize != 4 && dv.itemsize != 8) || (rv.itemsize != 4 && rv.itemsize != 8)
            || dv.len / dv.itemsize != n) {
            PyErr_SetString(PyExc_ValueError, "state_runs: malformed record chunk");
            goto fail_chunk;
        }
        for (Py_ssize_t ri = 0; ri < n; ri++) {
            int64_t dt = dv.itemsize == 4 ? (int64_t)((uint32_t *)dv.buf)[ri] : ((int64_t *)dv.buf)[ri];
            int64_t r = rv.itemsize == 4 ? (int64_t)((uint32_t *)rv.buf)[ri] : ((int64_t *)rv.buf)[ri];
            tick += dt;
            int64_t t = tick_is_int ? tick * tick_i : (int64_t)((double)tick * tick_f);
            long kind = (long)(r & kind_bits);
            long to = kind == K_STATUS ? (long)((r >> state_shift) & 7) : (long)(unsigned char)kind_to[kind];
            int64_t sid = r >> stack_shift;
            if (to > 5) {
                PyErr_SetString(PyExc_ValueError, "state_runs: state out of range");
                goto fail_chunk;
            }
            if (kind == K_STATUS && cur.have && to == cur.state) {
                if (!cur.stack)
                    cur.stack = sid;
                continue;
            }
            if (cur.have && cur.state != S_NOT_EXIST) {
                cur.end = t > cur.start ? t : cur.start;
                cur.open = 0;
                if (sr_take(out, &run, &cur, res) < 0)
                    goto fail_chunk;
            }
            if (first && kind == K_STATUS && trace_start)
                t = t < trace_start ? t : trace_start;
            first = 0;
            cur.have = 1;
            cur.state = to;
            cur.start = t;
            cur.ridx = (kind == K_BLOCK || kind == K_STOP) ? (int64_t)((r >> reason_shift) & reason_mask) : -1;
            cur.stack = (kind == K_BLOCK || kind == K_STOP || kind == K_SYSCALL || kind == K_STATUS) ? sid : 0;
        }
        PyBuffer_Release(&dv);
        PyBuffer_Release(&rv);
    }
    if (cur.have && cur.state != S_NOT_EXIST) {
        cur.end = trace_end > cur.start ? trace_end : cur.start;
        cur.open = 1;
        if (sr_take(out, &run, &cur, res) < 0)
            goto fail;
    }
    if (sr_flush(out, &run) < 0)
        goto fail;
    return out;
fail_chunk:
    PyBuffer_Release(&dv);
    PyBuffer_Release(&rv);
fail:
    Py_DECREF(out);
    return NULL;
}


static PyMethodDef methods[] = {
    {"order", (PyCFunction)(void (*)(void))order, METH_FASTCALL, "Sort and compact one goroutine's records (see source)."},
    {"decode", decode, METH_O, "The varints of a batch payload as native uint64 bytes, or None if malformed."},
    {"walk", (PyCFunction)(void (*)(void))walk, METH_FASTCALL, "Walk the common events of one batch (see module source)."},
    {"sort_int64", (PyCFunction)(void (*)(void))sort_int64, METH_FASTCALL, "Sort a buffer of int64s in place (see source)."},
    {"evidence_walk", (PyCFunction)(void (*)(void))evidence_walk, METH_FASTCALL, "One goroutine's evidence walk (see module source)."},
    {"aggregate_walk", (PyCFunction)(void (*)(void))aggregate_walk, METH_FASTCALL, "One goroutine's walk for the report's aggregates (see module source)."},
    {"state_runs", (PyCFunction)(void (*)(void))state_runs, METH_FASTCALL, "One goroutine's intervals, short runs folded (see module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Compiled hot loop of golens.trace (optional).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
