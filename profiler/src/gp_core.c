/* gp_core.c - the hot path of greenprof: pointer tables, function entries, per-greenlet
 * call stacks, switch handling and the C profile hook (PyEval_SetProfile).
 * Never raises into the profiled program: failures set has_oom and are reported later;
 * never holds a strong reference to a greenlet; never runs Python code except greenlet's
 * getcurrent() in poll mode. */
#include "gp.h"
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <math.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/* Internals only where no public API does it cheaply: on 3.11 and 3.12 the code object and
 * the first local of a frame are read from _PyInterpreterFrame (no reference counting on
 * the hot path); 3.13+ uses PyFrame_GetCode/PyFrame_GetVar/PyWeakref_GetRef only. */
#if PY_VERSION_HEX < 0x030B0000
#error "greenprof needs CPython 3.11 or later"
#elif PY_VERSION_HEX < 0x030D0000
#define GP_FRAME_INTERNALS 1
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
#elif PY_VERSION_HEX >= 0x03100000
#error "greenprof: CPython 3.16+ is not checked yet (review gp_core.c's frame access, then extend this guard)"
#endif
#include <greenlet/greenlet.h>

int gp_has_greenlet;
_Thread_local struct gp_hub *gp_tls_hub;

/* ---- clock --------------------------------------------------------------- */
/* Ticks are the TSC when the kernel itself uses it for CLOCK_MONOTONIC (so it is
 * invariant and synchronised across CPUs), else CLOCK_MONOTONIC nanoseconds. The TSC
 * costs ~9 ns a read here against ~22 ns for clock_gettime. */

static int use_tsc;
static gp_time cal_ticks0, cal_ns0; /* calibration origin, taken at the first enable() */

static gp_time mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gp_time)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

gp_time gp_now(void)
{
#if defined(__x86_64__)
	if (use_tsc)
		return (gp_time)__rdtsc();
#endif
	return mono_ns();
}

int64_t gp_thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void gp_clock_init(int allow_tsc)
{
	if (cal_ns0)
		return;
#if defined(__x86_64__)
	if (allow_tsc) {
		char buf[32] = "";
		FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = 0;
			fclose(f);
		}
		use_tsc = strncmp(buf, "tsc", 3) == 0;
	}
#else
	(void)allow_tsc;
#endif
	cal_ns0 = mono_ns();
	cal_ticks0 = gp_now();
}

/* A custom timer, like cProfile's Profile(timer, timeunit): with timeunit > 0 it returns
 * integers counted in timeunit seconds, else seconds (int or float), kept here as ns. It is
 * Python code run from the profile hook or the greenlet tracer: while it runs the hub
 * ignores events (its own calls are not profiled) and refuses enable()/disable(); the
 * exception state of the profiled code is saved around it; a failure is reported as
 * unraisable and the last good value is used, so time never runs backwards into garbage. */
gp_time gp_timer_now(struct gp_profiler *p)
{
	struct gp_hub *h = p->hub;
	if (!p->timer || (h && h->in_timer))
		return p->timer_last;
	if (h)
		h->in_timer = 1;
#if PY_VERSION_HEX >= 0x030C0000
	PyObject *saved = PyErr_GetRaisedException();
#else
	PyObject *st, *sv, *stb;
	PyErr_Fetch(&st, &sv, &stb);
#endif
	gp_time t = p->timer_last;
	PyObject *r = PyObject_CallNoArgs(p->timer);
	if (r && p->timeunit > 0) {
		long long v = PyLong_AsLongLong(r);
		if (!(v == -1 && PyErr_Occurred()))
			t = (gp_time)v;
	} else if (r) {
		double d = PyFloat_AsDouble(r);
		if (!(d == -1.0 && PyErr_Occurred())) {
			if (isfinite(d) && fabs(d) < 9.2e9)
				t = (gp_time)floor(d * 1e9);
			else
				PyErr_Format(PyExc_OverflowError, "greenprof: the timer returned %R, not a time in seconds", r);
		}
	}
	Py_XDECREF(r);
	if (PyErr_Occurred())
		PyErr_WriteUnraisable(p->timer);
#if PY_VERSION_HEX >= 0x030C0000
	PyErr_SetRaisedException(saved);
#else
	PyErr_Restore(st, sv, stb);
#endif
	if (h)
		h->in_timer = 0;
	p->timer_last = t;
	return t;
}

double gp_seconds_per_tick(void)
{
	if (!use_tsc)
		return 1e-9;
	gp_time ns = mono_ns(), ticks = gp_now();
	while (ns - cal_ns0 < 20000000) { /* calibrate over at least 20 ms, once */
		ns = mono_ns();
		ticks = gp_now();
	}
	return (double)(ns - cal_ns0) * 1e-9 / (double)(ticks - cal_ticks0);
}

/* ---- greenlet C API ---------------------------------------------------- */

/* Loads greenlet's C API if the program has imported greenlet (never imports it: a
 * service in native-thread mode must not get greenlet or eventlet from its profiler, and
 * without greenlet imported there are no greenlets to follow). Tried again at each
 * enable() until the program imports it; loaded once for the process. */
int gp_greenlet_load(void)
{
	if (gp_has_greenlet)
		return 1;
	PyObject *mods = PyImport_GetModuleDict();
	PyObject *m = mods ? PyDict_GetItemString(mods, "greenlet") : NULL; /* borrowed */
	if (!m)
		return 0;
	PyGreenlet_Import();
	if (_PyGreenlet_API)
		gp_has_greenlet = 1;
	PyErr_Clear();
	return gp_has_greenlet;
}

PyObject *gp_current_greenlet(void)
{
	if (!gp_has_greenlet)
		return NULL;
	PyObject *g = (PyObject *)PyGreenlet_GetCurrent();
	if (!g)
		PyErr_Clear();
	return g;
}

int gp_is_greenlet(PyObject *o)
{
	return gp_has_greenlet && PyGreenlet_Check(o);
}

/* ---- pointer tables ---------------------------------------------------- */

static size_t hash_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x = (x >> 4) * UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(x >> 29);
}

static size_t hash_pair(const void *a, const void *b)
{
	uint64_t x = ((uint64_t)(uintptr_t)a >> 4) * UINT64_C(0x9E3779B97F4A7C15);
	x ^= ((uint64_t)(uintptr_t)b >> 4) * UINT64_C(0xC2B2AE3D27D4EB4F);
	return (size_t)(x >> 29);
}

size_t gp_ptab_capacity(const struct gp_ptab *t)
{
	return t->mask ? t->mask + 1 : 0;
}

void gp_ptab_free(struct gp_ptab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

static void *ptab_get(const struct gp_ptab *t, const void *key)
{
	if (!t->mask)
		return NULL;
	size_t i = hash_ptr(key) & t->mask;
	for (;;) {
		void *k = t->keys[i];
		if (k == key)
			return t->vals[i];
		if (!k)
			return NULL;
		i = (i + 1) & t->mask;
	}
}

/* Insert into a table known to have room and not to hold key. */
static void ptab_insert_raw(struct gp_ptab *t, size_t h, void *key, void *val)
{
	size_t i = h & t->mask;
	while (t->keys[i])
		i = (i + 1) & t->mask;
	t->keys[i] = key;
	t->vals[i] = val;
	t->count++;
}

/* Grow to hold one more; pairs says the table is keyed by struct gp_sub pairs. */
static int ptab_reserve(struct gp_ptab *t, int pairs)
{
	size_t cap = gp_ptab_capacity(t);
	if ((t->count + 1) * 4 <= cap * 3) /* load factor at most 3/4 */
		return 0;
	size_t ncap = cap ? cap * 2 : 64;
	struct gp_ptab n = {calloc(ncap, sizeof(void *)), calloc(ncap, sizeof(void *)), ncap - 1, 0};
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (size_t i = 0; i < cap; i++) {
		if (!t->keys[i])
			continue;
		size_t h;
		if (pairs) {
			struct gp_sub *s = t->vals[i];
			h = hash_pair(s->caller, s->callee);
		} else {
			h = hash_ptr(t->keys[i]);
		}
		ptab_insert_raw(&n, h, t->keys[i], t->vals[i]);
	}
	gp_ptab_free(t);
	*t = n;
	return 0;
}

static int ptab_put(struct gp_ptab *t, void *key, void *val)
{
	if (ptab_reserve(t, 0) < 0)
		return -1;
	ptab_insert_raw(t, hash_ptr(key), key, val);
	return 0;
}

/* ---- entries and edges ------------------------------------------------- */

/* Zeroed memory from the profiler's slabs; NULL when out of memory. */
static void *slab_alloc(struct gp_profiler *p, size_t size)
{
	size = (size + 7) & ~(size_t)7; /* entries and edges hold only 8-byte fields */
	struct gp_slab *s = p->slabs;
	if (!s || s->cap - s->used < size) {
		size_t cap = 64 * 1024 - sizeof(struct gp_slab);
		s = calloc(1, sizeof(struct gp_slab) + cap);
		if (!s)
			return NULL;
		s->cap = cap;
		s->next = p->slabs;
		p->slabs = s;
	}
	void *r = (char *)s->data + s->used;
	s->used += size;
	return r;
}

/* The type in self's MRO whose tp_methods defines ml (cProfile names a method by the type
 * that defines it, not by the instance's subclass), else self's own type. */
static PyTypeObject *defining_type(PyObject *self, PyMethodDef *ml)
{
	PyObject *mro = Py_TYPE(self)->tp_mro;
	if (mro && PyTuple_Check(mro)) {
		for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); i++) {
			PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
			for (PyMethodDef *m = t->tp_methods; m && m->ml_name; m++)
				if (m == ml)
					return t;
		}
	}
	return Py_TYPE(self);
}

/* A label for a builtin like _lsprof's: "<built-in method mod.name>" or
 * "<method 'name' of 'type' objects>". New reference, NULL on failure. */
static PyObject *cfunc_label(PyCFunctionObject *fn)
{
	PyObject *self = fn->m_self;
	const char *name = fn->m_ml->ml_name;
	if (self == NULL || PyModule_Check(self)) {
		PyObject *mod = fn->m_module;
		if (mod && PyUnicode_Check(mod))
			return PyUnicode_FromFormat("<built-in method %U.%s>", mod, name);
		if (self && PyModule_Check(self)) {
			const char *mn = PyModule_GetName(self);
			if (mn)
				return PyUnicode_FromFormat("<built-in method %s.%s>", mn, name);
			PyErr_Clear();
		}
		return PyUnicode_FromFormat("<built-in method %s>", name);
	}
	return PyUnicode_FromFormat("<method '%s' of '%s' objects>", name, defining_type(self, fn->m_ml)->tp_name);
}

static struct gp_entry *entry_new(struct gp_profiler *p, void *key, PyObject *label)
{
	struct gp_entry *e = slab_alloc(p, sizeof(*e));
	if (!e || ptab_put(&p->entries, key, e) < 0) {
		Py_XDECREF(label);
		p->has_oom = 1;
		return NULL;
	}
	e->label = label; /* steals */
	return e;
}

static struct gp_entry *entry_for_code(struct gp_profiler *p, PyCodeObject *co)
{
	struct gp_entry *e = ptab_get(&p->entries, co);
	if (e)
		return e;
	Py_INCREF(co);
	e = entry_new(p, co, (PyObject *)co);
	if (e && PyUnicode_CompareWithASCIIString(co->co_name, "__init__") == 0 && co->co_argcount >= 1)
		e->is_init = 1;
	return e;
}

static struct gp_entry *entry_for_cfunc(struct gp_profiler *p, PyCFunctionObject *fn)
{
	struct gp_entry *e = ptab_get(&p->entries, fn->m_ml);
	if (e)
		return e;
	PyObject *label = cfunc_label(fn);
	if (!label) {
		PyErr_Clear();
		p->has_oom = 1;
		return NULL;
	}
	e = entry_new(p, fn->m_ml, label);
	if (e && fn->m_self && gp_is_greenlet(fn->m_self) && strcmp(fn->m_ml->ml_name, "switch") == 0)
		e->is_gswitch = 1;
	return e;
}

struct gp_entry *gp_switch_entry(struct gp_profiler *p)
{
	if (!p->switch_entry) {
		static const char switch_key = 0; /* a unique address */
		Py_INCREF(Py_None);
		p->switch_entry = entry_new(p, (void *)&switch_key, Py_None);
	}
	return p->switch_entry;
}

static struct gp_sub *sub_get(struct gp_profiler *p, struct gp_entry *caller, struct gp_entry *callee)
{
	struct gp_sub *last = callee->last_sub;
	if (last && last->caller == caller)
		return last;
	struct gp_ptab *t = &p->subs;
	if (t->mask) {
		size_t i = hash_pair(caller, callee) & t->mask;
		for (;;) {
			struct gp_sub *s = t->vals[i];
			if (!s)
				break;
			if (s->caller == caller && s->callee == callee)
				return callee->last_sub = s;
			i = (i + 1) & t->mask;
		}
	}
	struct gp_sub *s = ptab_reserve(t, 1) < 0 ? NULL : slab_alloc(p, sizeof(*s));
	if (!s) {
		p->has_oom = 1;
		return NULL;
	}
	s->caller = caller;
	s->callee = callee;
	callee->last_sub = s;
	ptab_insert_raw(t, hash_pair(caller, callee), s, s);
	return s;
}

void gp_profiler_clear_tables(struct gp_profiler *p)
{
	for (size_t i = 0; i < gp_ptab_capacity(&p->entries); i++) {
		struct gp_entry *e = p->entries.vals[i];
		if (e)
			Py_XDECREF(e->label);
	}
	while (p->slabs) {
		struct gp_slab *s = p->slabs;
		p->slabs = s->next;
		free(s);
	}
	gp_ptab_free(&p->entries);
	gp_ptab_free(&p->subs);
	p->switch_entry = NULL;
	while (p->freelist) {
		struct gp_ctx *c = p->freelist;
		p->freelist = c->prev;
		free(c);
		p->n_contexts--;
	}
}

/* ---- call contexts ----------------------------------------------------- */

static struct gp_ctx *ctx_alloc(struct gp_profiler *p)
{
	struct gp_ctx *c = p->freelist;
	if (c) {
		p->freelist = c->prev;
		return c;
	}
	c = malloc(sizeof(*c));
	if (!c)
		p->has_oom = 1;
	else
		p->n_contexts++;
	return c;
}

static void ctx_release(struct gp_profiler *p, struct gp_ctx *c)
{
	c->prev = p->freelist;
	p->freelist = c;
}

/* The profile clock of gs's stack: wall ticks, or with clock="cpu" the thread CPU time
 * the greenlet itself used, in ns (CPU spent while it was switched out excluded), or the
 * custom timer's value. wall and cpu are the values the caller read already. */
static inline gp_time prof_clock(struct gp_profiler *p, const struct gp_gstate *gs, gp_time wall, int64_t cpu)
{
	if (p->clock == GP_CLOCK_WALL)
		return wall;
	if (p->clock == GP_CLOCK_CPU)
		return cpu - gs->cpu_excluded;
	return gp_timer_now(p);
}

static inline gp_time prof_now(struct gp_profiler *p, const struct gp_gstate *gs)
{
	if (p->clock == GP_CLOCK_WALL)
		return gp_now();
	if (p->clock == GP_CLOCK_CPU)
		return gp_thread_cpu_ns() - gs->cpu_excluded;
	return gp_timer_now(p);
}

static void ctx_push(struct gp_profiler *p, struct gp_gstate *gs, struct gp_entry *e)
{
	struct gp_ctx *c = ctx_alloc(p);
	if (!c)
		return;
	c->entry = e;
	c->subt = 0;
	c->prev = gs->top;
	c->is_switch = 0;
	c->sub = NULL;
	e->reclevel++;
	if ((p->flags & GP_SUBCALLS) && c->prev) {
		c->sub = sub_get(p, c->prev->entry, e);
		if (c->sub)
			c->sub->reclevel++;
	}
	gs->top = c;
	c->t0 = prof_now(p, gs);
}

static void ctx_pop(struct gp_profiler *p, struct gp_gstate *gs, gp_time now)
{
	struct gp_ctx *c = gs->top;
	if (!c)
		return;
	gp_time tt = now - c->t0;
	gp_time it = tt - c->subt;
	if (c->prev)
		c->prev->subt += tt;
	gs->top = c->prev;
	struct gp_entry *e = c->entry;
	if (c->is_switch || --e->reclevel == 0)
		e->tt += tt;
	else
		e->reccallcount++;
	e->it += it;
	e->callcount++;
	struct gp_sub *s = c->sub;
	if (s) {
		if (c->is_switch || --s->reclevel == 0)
			s->tt += tt;
		else
			s->reccallcount++;
		s->it += it;
		s->callcount++;
	}
	ctx_release(p, c);
}

/* ---- greenlet stacks ----------------------------------------------------- */

static void levels_add(struct gp_gstate *gs, int d)
{
	for (struct gp_ctx *c = gs->top; c; c = c->prev) {
		if (c->is_switch)
			continue;
		c->entry->reclevel += d;
		if (c->sub)
			c->sub->reclevel += d;
	}
}

/* The owner's share of a greenlet's run: begins when it starts or resumes running,
 * ends when it switches out or the profile is disabled. */
void gp_run_begin(struct gp_gstate *gs, gp_time now)
{
	gs->run_t0 = now;
	gs->cpu_t0 = gp_thread_cpu_ns();
}

/* Ends the run at (now, cpu); cpu_t0 then marks when it switched out. */
static void run_end(struct gp_profiler *p, struct gp_gstate *gs, gp_time now, int64_t cpu)
{
	p->cpu_ns += cpu - gs->cpu_t0;
	p->run_ticks += now - gs->run_t0;
	gs->cpu_t0 = cpu;
}

/* Switch out: release recursion levels, push the synthetic wait under the top frame. */
static void gstate_suspend(struct gp_gstate *gs, gp_time now)
{
	struct gp_profiler *p = gs->owner;
	if (gs->is_suspended || !p)
		return;
	int64_t cpu = gp_thread_cpu_ns();
	run_end(p, gs, now, cpu);
	p->n_switches++;
	levels_add(gs, -1);
	gs->is_suspended = 1;
	if (!gs->top)
		return;
	struct gp_entry *e = gp_switch_entry(p);
	struct gp_ctx *c = e ? ctx_alloc(p) : NULL;
	if (!c)
		return;
	c->entry = e;
	c->subt = 0;
	c->prev = gs->top;
	c->is_switch = 1;
	c->sub = (p->flags & GP_SUBCALLS) ? sub_get(p, gs->top->entry, e) : NULL;
	c->t0 = prof_clock(p, gs, now, cpu);
	gs->top = c;
}

/* Switch in: end the synthetic wait, take the recursion levels back. */
static void gstate_resume(struct gp_gstate *gs, gp_time now)
{
	if (!gs->is_suspended)
		return;
	int64_t cpu = gp_thread_cpu_ns();
	if (gs->owner && gs->owner->clock == GP_CLOCK_CPU)
		gs->cpu_excluded += cpu - gs->cpu_t0; /* the CPU other greenlets used meanwhile */
	if (gs->top && gs->top->is_switch)
		ctx_pop(gs->owner, gs, prof_clock(gs->owner, gs, now, cpu));
	levels_add(gs, +1);
	gs->is_suspended = 0;
	gs->run_t0 = now;
	gs->cpu_t0 = cpu;
}

/* Forget every open call without accounting it. */
static void gstate_discard(struct gp_gstate *gs)
{
	if (!gs->owner)
		return;
	if (!gs->is_suspended)
		levels_add(gs, -1);
	while (gs->top) {
		struct gp_ctx *c = gs->top;
		gs->top = c->prev;
		ctx_release(gs->owner, c);
	}
	gs->is_suspended = 0;
}

/* Account every open call as ending now (disable()). */
void gp_gstate_flush(struct gp_profiler *p, struct gp_gstate *gs, gp_time now)
{
	if (!gs->is_suspended)
		run_end(p, gs, now, gp_thread_cpu_ns()); /* the resume below only closes the wait */
	gstate_resume(gs, now);
	gp_time pnow = prof_clock(p, gs, now, p->clock == GP_CLOCK_CPU ? gp_thread_cpu_ns() : 0);
	while (gs->top)
		ctx_pop(p, gs, pnow);
}

/* The thread's stack (no greenlet) is always alive; a greenlet's stack is alive while its
 * weak reference still points at a greenlet at that address. */
static int gstate_is_alive(const struct gp_gstate *gs, const void *key)
{
	if (!gs->is_greenlet)
		return 1;
	if (!gs->ref)
		return 0;
#if PY_VERSION_HEX >= 0x030D0000
	PyObject *o = NULL;
	if (PyWeakref_GetRef(gs->ref, &o) < 0) {
		PyErr_Clear();
		return 0;
	}
	int alive = o == (PyObject *)key;
	Py_XDECREF(o);
	return alive;
#else
	return PyWeakref_GET_OBJECT(gs->ref) == (PyObject *)key;
#endif
}

static void gstate_free(struct gp_gstate *gs)
{
	gstate_discard(gs);
	Py_XDECREF(gs->ref);
	free(gs);
}

/* Rebuild the table keeping gstates for which keep() says yes. */
static void hub_filter(struct gp_hub *h, int (*keep)(struct gp_gstate *, void *), void *arg)
{
	struct gp_ptab *t = &h->gstates;
	size_t cap = gp_ptab_capacity(t);
	for (size_t i = 0; i < cap; i++) {
		struct gp_gstate *gs = t->vals[i];
		if (!gs || keep(gs, arg))
			continue;
		if (h->current == gs)
			h->current = NULL;
		gstate_free(gs);
		t->vals[i] = NULL;
	}
	/* reinsert the survivors so probing stays valid */
	struct gp_ptab n = {0};
	for (size_t i = 0; i < cap; i++) {
		if (t->vals[i] && ptab_put(&n, t->keys[i], t->vals[i]) < 0) {
			/* out of memory: keep the old table, drop nothing further */
			gp_ptab_free(&n);
			for (size_t j = 0; j < cap; j++)
				if (!t->vals[j])
					t->keys[j] = (void *)1; /* never a real greenlet: acts as a tombstone */
			return;
		}
	}
	gp_ptab_free(t);
	*t = n;
}

static int keep_alive(struct gp_gstate *gs, void *arg)
{
	(void)arg;
	return gstate_is_alive(gs, gs->key);
}

static int keep_not_owned(struct gp_gstate *gs, void *arg)
{
	return gs->owner != (struct gp_profiler *)arg;
}

void gp_hub_drop_owned(struct gp_hub *h, struct gp_profiler *p)
{
	gp_time now = gp_now();
	size_t cap = gp_ptab_capacity(&h->gstates);
	for (size_t i = 0; i < cap; i++) {
		struct gp_gstate *gs = h->gstates.vals[i];
		if (gs && gs->owner == p && gstate_is_alive(gs, gs->key))
			gp_gstate_flush(p, gs, now);
	}
	hub_filter(h, keep_not_owned, p);
}

void gp_hub_free(struct gp_hub *h)
{
	size_t cap = gp_ptab_capacity(&h->gstates);
	for (size_t i = 0; i < cap; i++)
		if (h->gstates.vals[i])
			gstate_free(h->gstates.vals[i]);
	gp_ptab_free(&h->gstates);
	Py_XDECREF(h->prev_gtrace);
	free(h);
}

/* Give greenlet (or the thread when greenlet is NULL) a stack owned by p, unless another
 * live session owns it already. Returns the stack, or NULL. */
struct gp_gstate *gp_gstate_claim(struct gp_hub *h, PyObject *greenlet, struct gp_profiler *p)
{
	void *key = greenlet ? (void *)greenlet : (void *)h;
	struct gp_gstate *gs = ptab_get(&h->gstates, key);
	if (gs && gstate_is_alive(gs, key)) {
		if (gs->owner)
			return gs->owner == p ? gs : NULL;
		gs->owner = p;
		gs->is_suspended = 1; /* levels are not held until it runs */
		return gs;
	}
	if (gs) { /* a dead greenlet's address, reused: start afresh */
		gstate_discard(gs);
		Py_CLEAR(gs->ref);
	} else {
		if (h->gstates.count + 1 >= h->sweep_at) {
			hub_filter(h, keep_alive, NULL);
			h->sweep_at = h->gstates.count * 2 + 64;
		}
		gs = calloc(1, sizeof(*gs));
		if (!gs || ptab_put(&h->gstates, key, gs) < 0) {
			free(gs);
			p->has_oom = 1;
			return NULL;
		}
		gs->key = key;
	}
	if (greenlet) {
		gs->is_greenlet = 1;
		gs->ref = PyWeakref_NewRef(greenlet, NULL);
		if (!gs->ref) {
			PyErr_Clear(); /* counts as dead: dropped at the next lookup or sweep */
			p->has_oom = 1;
		}
	}
	gs->owner = p;
	gs->top = NULL;
	gs->is_suspended = 1;
	return gs;
}

static struct gp_profiler *hub_all_session(struct gp_hub *h)
{
	for (struct gp_profiler *p = h->sessions; p; p = p->next)
		if (p->flags & GP_SCOPE_ALL)
			return p;
	return NULL;
}

void gp_switch_to(struct gp_hub *h, PyObject *target)
{
	gp_time now = gp_now();
	if (h->current)
		gstate_suspend(h->current, now);
	struct gp_gstate *gs = ptab_get(&h->gstates, target);
	if (gs && !gstate_is_alive(gs, target)) {
		gstate_discard(gs);
		gs->owner = NULL;
		Py_CLEAR(gs->ref);
		gs = NULL;
	}
	if (!gs || !gs->owner) {
		struct gp_profiler *all = hub_all_session(h);
		gs = all ? gp_gstate_claim(h, target, all) : NULL;
	}
	if (gs)
		gstate_resume(gs, now);
	h->current = gs;
	h->current_key = target;
}

/* ---- the profile hook -------------------------------------------------- */

/* A greenlet subclass's __init__ ran in a profiled greenlet: the new greenlet is
 * "spawned from" it (eventlet's GreenThread), so it joins the same session. */
static void claim_from_init(struct gp_hub *h, struct gp_profiler *p, PyFrameObject *frame)
{
#ifdef GP_FRAME_INTERNALS
	_PyInterpreterFrame *f = frame->f_frame;
	PyObject *self = f->localsplus[0];
	if (self && PyCell_Check(self))
		self = PyCell_GET(self);
	if (self && gp_is_greenlet(self) && !PyGreenlet_STARTED((PyGreenlet *)self))
		gp_gstate_claim(h, self, p);
#else
	/* the first argument's name (usually "self"), read through the public API */
	PyCodeObject *code = PyFrame_GetCode(frame);
	PyObject *names = PyCode_GetVarnames(code);
	Py_DECREF(code);
	if (!names) {
		PyErr_Clear();
		return;
	}
	PyObject *self = NULL;
	if (PyTuple_Check(names) && PyTuple_GET_SIZE(names) > 0)
		self = PyFrame_GetVar(frame, PyTuple_GET_ITEM(names, 0));
	Py_DECREF(names);
	if (!self) {
		PyErr_Clear();
		return;
	}
	if (gp_is_greenlet(self) && !PyGreenlet_STARTED((PyGreenlet *)self))
		gp_gstate_claim(h, self, p);
	Py_DECREF(self);
#endif
}

/* A profiled greenlet starts a greenlet with switch(): it joins the same session. */
static void claim_from_switch(struct gp_hub *h, struct gp_profiler *p, PyCFunctionObject *fn)
{
	PyObject *g = fn->m_self;
	if (g && gp_is_greenlet(g) && !PyGreenlet_STARTED((PyGreenlet *)g))
		gp_gstate_claim(h, g, p);
}

int gp_profile_cb(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
	/* obj is an enabled session of this thread: its hub is the thread's hub (no TLS lookup) */
	struct gp_hub *h = ((struct gp_profiler *)obj)->hub;
	if (!h || h->in_timer)
		return 0;
	if (h->poll) {
		PyObject *g = (PyObject *)PyGreenlet_GetCurrent();
		if (!g) {
			PyErr_Clear();
		} else {
			Py_DECREF(g); /* the running greenlet stays alive */
			if ((void *)g != h->current_key)
				gp_switch_to(h, g);
		}
	}
	struct gp_gstate *gs = h->current;
	if (!gs)
		return 0;
	struct gp_profiler *p = gs->owner;
	struct gp_entry *e;
	switch (what) {
	case PyTrace_CALL:
#ifdef GP_FRAME_INTERNALS
		e = entry_for_code(p, frame->f_frame->f_code);
#else
		{
			/* the frame holds its code: a borrowed use after the decref is safe */
			PyCodeObject *code = PyFrame_GetCode(frame);
			Py_DECREF(code);
			e = entry_for_code(p, code);
		}
#endif
		if (!e)
			break;
		if (e->is_init && !(p->flags & GP_SCOPE_ALL))
			claim_from_init(h, p, frame);
		ctx_push(p, gs, e);
		break;
	case PyTrace_RETURN:
		ctx_pop(p, gs, prof_now(p, gs));
		break;
	case PyTrace_C_CALL:
		if (!(p->flags & GP_BUILTINS) || !PyCFunction_Check(arg))
			break;
		e = entry_for_cfunc(p, (PyCFunctionObject *)arg);
		if (!e)
			break;
		if (e->is_gswitch && !(p->flags & GP_SCOPE_ALL))
			claim_from_switch(h, p, (PyCFunctionObject *)arg);
		ctx_push(p, gs, e);
		break;
	case PyTrace_C_RETURN:
	case PyTrace_C_EXCEPTION:
		if ((p->flags & GP_BUILTINS) && PyCFunction_Check(arg))
			ctx_pop(p, gs, prof_now(p, gs));
		break;
	default:
		break;
	}
	return 0;
}
