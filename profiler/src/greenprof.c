/* greenprof.c - the _greenprof module: the Profiler type (enable/disable/clear/getstats),
 * the greenlet switch tracer and is_profiled(). Python-facing glue only; the hot path
 * lives in gp_core.c. Never writes files and never prints: greenprof/__init__.py does. */
#include "gp.h"
#include <math.h>

static PyObject *switch_tracer; /* the builtin we hand to greenlet.settrace */

/* ---- greenlet tracer ------------------------------------------------------ */

static PyObject *gp_switch_trace(PyObject *mod, PyObject *const *args, Py_ssize_t nargs)
{
	(void)mod;
	if (nargs != 2 || !PyTuple_Check(args[1]) || PyTuple_GET_SIZE(args[1]) != 2) {
		PyErr_SetString(PyExc_TypeError, "_switch_trace(event, (origin, target))");
		return NULL;
	}
	struct gp_hub *h = gp_tls_hub;
	if (!h)
		Py_RETURN_NONE;
	gp_switch_to(h, PyTuple_GET_ITEM(args[1], 1));
	if (h->prev_gtrace)
		return PyObject_Vectorcall(h->prev_gtrace, args, 2, NULL);
	Py_RETURN_NONE;
}

static int gtrace_install(struct gp_hub *h)
{
	PyObject *prev = PyObject_CallMethod(PyImport_AddModule("greenlet"), "settrace", "O", switch_tracer);
	if (!prev)
		return -1;
	if (prev == Py_None)
		Py_DECREF(prev);
	else
		h->prev_gtrace = prev;
	h->has_gtrace = 1;
	return 0;
}

static void gtrace_uninstall(struct gp_hub *h)
{
	if (!h->has_gtrace)
		return;
	PyObject *gm = PyImport_AddModule("greenlet");
	PyObject *cur = gm ? PyObject_CallMethod(gm, "gettrace", NULL) : NULL;
	if (cur == switch_tracer) {
		PyObject *r = PyObject_CallMethod(gm, "settrace", "O", h->prev_gtrace ? h->prev_gtrace : Py_None);
		Py_XDECREF(r);
	}
	Py_XDECREF(cur);
	PyErr_Clear();
	h->has_gtrace = 0;
}

/* ---- Profiler type ------------------------------------------------------------ */

struct gp_profiler_obj {
	struct gp_profiler p;
	int use_poll;
};

static int prof_init(PyObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = {"timer", "timeunit", "subcalls", "builtins", "scope", "switch", "clock", NULL};
	struct gp_profiler_obj *o = (struct gp_profiler_obj *)self;
	PyObject *timer = NULL;
	double timeunit = 0.0;
	int subcalls = 1, builtins = 1;
	const char *scope = "default", *sw = "trace", *clock = "wall";
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|Odppsss:Profiler", kwlist, &timer, &timeunit,
					 &subcalls, &builtins, &scope, &sw, &clock))
		return -1;
	if (timer == Py_None)
		timer = NULL;
	if (timer && !PyCallable_Check(timer)) {
		PyErr_Format(PyExc_TypeError, "greenprof.Profile: timer must be callable, not %.100s", Py_TYPE(timer)->tp_name);
		return -1;
	}
	if (timeunit < 0 || !isfinite(timeunit)) {
		PyErr_SetString(PyExc_ValueError, "greenprof.Profile: timeunit must be a finite number >= 0");
		return -1;
	}
	if (o->p.is_enabled) {
		PyErr_SetString(PyExc_RuntimeError, "greenprof.Profile: cannot re-initialise an enabled profiler");
		return -1;
	}
	int flags = (subcalls ? GP_SUBCALLS : 0) | (builtins ? GP_BUILTINS : 0);
	if (strcmp(scope, "all") == 0)
		flags |= GP_SCOPE_ALL;
	else if (strcmp(scope, "default") != 0) {
		PyErr_Format(PyExc_ValueError, "greenprof.Profile: scope must be 'default' or 'all', not '%s'", scope);
		return -1;
	}
	if (strcmp(sw, "poll") == 0)
		o->use_poll = 1;
	else if (strcmp(sw, "trace") == 0)
		o->use_poll = 0;
	else {
		PyErr_Format(PyExc_ValueError, "greenprof.Profile: switch must be 'trace' or 'poll', not '%s'", sw);
		return -1;
	}
	if (strcmp(clock, "wall") != 0 && strcmp(clock, "cpu") != 0) {
		PyErr_Format(PyExc_ValueError, "greenprof.Profile: clock must be 'wall' or 'cpu', not '%s'", clock);
		return -1;
	}
	if (timer && strcmp(clock, "cpu") == 0) {
		PyErr_SetString(PyExc_ValueError, "greenprof.Profile: give either a timer or clock='cpu', not both");
		return -1;
	}
	o->p.clock = timer ? GP_CLOCK_TIMER : strcmp(clock, "cpu") == 0 ? GP_CLOCK_CPU : GP_CLOCK_WALL;
	Py_XINCREF(timer);
	Py_XSETREF(o->p.timer, timer);
	o->p.timeunit = timer ? timeunit : 0.0;
	o->p.timer_last = 0;
	o->p.flags = flags;
	return 0;
}

/* A custom timer may call enable()/disable(): refused while it runs (the hook is mid-event). */
static int refuse_in_timer(const char *what)
{
	if (gp_tls_hub && gp_tls_hub->in_timer) {
		PyErr_Format(PyExc_RuntimeError, "greenprof: cannot %s a profiler from inside a profiler's timer", what);
		return -1;
	}
	return 0;
}

static void hub_set_hook(struct gp_hub *h)
{
	if (h->sessions)
		PyEval_SetProfile(gp_profile_cb, (PyObject *)h->sessions);
	else
		PyEval_SetProfile(NULL, NULL);
}

static PyObject *prof_enable(PyObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = {"subcalls", "builtins", NULL};
	struct gp_profiler_obj *o = (struct gp_profiler_obj *)self;
	struct gp_profiler *p = &o->p;
	int subcalls = -1, builtins = -1;
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "|pp:enable", kwlist, &subcalls, &builtins))
		return NULL;
	if (refuse_in_timer("enable") < 0)
		return NULL;
	if (p->is_enabled) {
		PyErr_SetString(PyExc_RuntimeError, "greenprof: this Profile is already enabled; call disable() before enabling it again");
		return NULL;
	}
	if (subcalls >= 0)
		p->flags = subcalls ? (p->flags | GP_SUBCALLS) : (p->flags & ~GP_SUBCALLS);
	if (builtins >= 0)
		p->flags = builtins ? (p->flags | GP_BUILTINS) : (p->flags & ~GP_BUILTINS);
	if (PySys_Audit("cProfile.Profile.enable", NULL) < 0) /* same audit event as cProfile */
		return NULL;
	gp_clock_init(getenv("GREENPROF_NO_TSC") == NULL);
	int has_greenlet = gp_greenlet_load();
	struct gp_hub *h = gp_tls_hub;
	int is_new_hub = 0;
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h)
			return PyErr_NoMemory();
		h->poll = o->use_poll && has_greenlet;
		h->sweep_at = 64;
		is_new_hub = 1;
	}
	PyObject *cur = gp_current_greenlet();
	const char *why = NULL;
	if (h->n_sessions > 0) {
		struct gp_profiler *q;
		for (q = h->sessions; q; q = q->next)
			if (q->flags & GP_SCOPE_ALL)
				why = "greenprof: another Profile with scope='all' is active in this thread; disable it first";
		if (!why && (p->flags & GP_SCOPE_ALL))
			why = "greenprof: scope='all' needs the thread to itself, but another Profile is active in this thread";
		if (!why && !cur)
			why = "greenprof: another Profile is active in this thread (and without greenlet there is only one stack)";
	}
	struct gp_gstate *gs = NULL;
	if (!why) {
		gs = gp_gstate_claim(h, cur, p);
		if (!gs)
			why = p->has_oom ? "greenprof: out of memory" :
			      "greenprof: this greenlet is already profiled by another Profile; disable it first";
	}
	Py_XDECREF(cur); /* gstates hold weak references only */
	if (why) {
		if (is_new_hub)
			gp_hub_free(h);
		PyErr_SetString(PyExc_RuntimeError, why);
		return NULL;
	}
	if (is_new_hub) {
		gp_tls_hub = h;
		if (has_greenlet && !h->poll && gtrace_install(h) < 0) {
			gp_hub_drop_owned(h, p);
			gp_tls_hub = NULL;
			gp_hub_free(h);
			return NULL;
		}
	}
	gs->is_suspended = 0; /* it is running now, with an empty stack */
	p->enabled_at = gp_now();
	gp_run_begin(gs, p->enabled_at);
	h->current = gs;
	h->current_key = gs->key;
	p->next = h->sessions;
	h->sessions = p;
	h->n_sessions++;
	p->hub = h;
	p->is_enabled = 1;
	Py_INCREF(self); /* an enabled profiler stays alive until disable() */
	hub_set_hook(h);
	Py_RETURN_NONE;
}

static int prof_disable_impl(struct gp_profiler *p)
{
	struct gp_hub *h = p->hub;
	if (h != gp_tls_hub) {
		PyErr_SetString(PyExc_RuntimeError, "greenprof: disable() must be called from the thread that called enable()");
		return -1;
	}
	p->wall_ticks += gp_now() - p->enabled_at;
	gp_hub_drop_owned(h, p);
	struct gp_profiler **pp = &h->sessions;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	p->next = NULL;
	h->n_sessions--;
	p->hub = NULL;
	p->is_enabled = 0;
	hub_set_hook(h);
	if (h->n_sessions == 0) {
		gtrace_uninstall(h);
		gp_tls_hub = NULL;
		gp_hub_free(h);
	}
	return 0;
}

static PyObject *prof_disable(PyObject *self, PyObject *unused)
{
	struct gp_profiler *p = &((struct gp_profiler_obj *)self)->p;
	if (refuse_in_timer("disable") < 0)
		return NULL;
	if (!p->is_enabled)
		Py_RETURN_NONE;
	if (prof_disable_impl(p) < 0)
		return NULL;
	Py_DECREF(self); /* the reference taken by enable(); the caller still holds one */
	if (p->has_oom) {
		PyErr_SetString(PyExc_MemoryError, "greenprof: memory ran out while profiling; the statistics are incomplete");
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyObject *prof_clear(PyObject *self, PyObject *unused)
{
	struct gp_profiler *p = &((struct gp_profiler_obj *)self)->p;
	if (p->is_enabled) {
		PyErr_SetString(PyExc_RuntimeError, "greenprof: clear() while enabled is not supported; disable() first");
		return NULL;
	}
	gp_profiler_clear_tables(p);
	p->has_oom = 0;
	p->cpu_ns = 0;
	p->run_ticks = p->wall_ticks = 0;
	p->n_switches = 0;
	Py_RETURN_NONE;
}

/* times() -> {"cpu_ns", "wall_ns", "run_ns", "wait_ns", "switches"}: the call's own thread
 * CPU time, its wall time, the part of it one of its greenlets was running, the rest
 * (switched out), and its switches out; summed since the last clear(). */
static PyObject *prof_times(PyObject *self, PyObject *unused)
{
	struct gp_profiler *p = &((struct gp_profiler_obj *)self)->p;
	if (p->is_enabled) {
		PyErr_SetString(PyExc_RuntimeError, "greenprof: times() are only available after disable()");
		return NULL;
	}
	double spt = p->wall_ticks ? gp_seconds_per_tick() : 1e-9;
	long long wall = (long long)((double)p->wall_ticks * spt * 1e9 + 0.5);
	long long run = (long long)((double)p->run_ticks * spt * 1e9 + 0.5);
	if (run > wall)
		run = wall;
	return Py_BuildValue("{sLsLsLsLsl}", "cpu_ns", (long long)p->cpu_ns, "wall_ns", wall, "run_ns", run,
			     "wait_ns", wall - run, "switches", p->n_switches);
}

/* getstats_raw() -> (entries, edges):
 *   entries: list of (label, callcount, reccallcount, totaltime, inlinetime); label is a
 *            code object, a str for builtins, or None for the greenlet switch entry.
 *   edges:   list of (caller_index, callee_index, callcount, reccallcount, totaltime, inlinetime). */
static PyObject *prof_getstats_raw(PyObject *self, PyObject *unused)
{
	struct gp_profiler *p = &((struct gp_profiler_obj *)self)->p;
	if (p->is_enabled) {
		PyErr_SetString(PyExc_RuntimeError, "greenprof: statistics are only available after disable()");
		return NULL;
	}
	double spt = p->clock == GP_CLOCK_TIMER ? (p->timeunit > 0 ? p->timeunit : 1e-9) :
		     p->clock == GP_CLOCK_CPU || !p->entries.count ? 1e-9 : gp_seconds_per_tick();
	PyObject *entries = PyList_New(0), *edges = PyList_New(0), *index = PyDict_New(), *res = NULL;
	if (!entries || !edges || !index)
		goto out;
	for (size_t i = 0; i < gp_ptab_capacity(&p->entries); i++) {
		struct gp_entry *e = p->entries.vals[i];
		if (!e)
			continue;
		PyObject *key = PyLong_FromVoidPtr(e), *pos = PyLong_FromSsize_t(PyList_GET_SIZE(entries));
		PyObject *t = Py_BuildValue("(Olldd)", e->label, e->callcount, e->reccallcount, e->tt * spt, e->it * spt);
		int bad = !key || !pos || !t || PyDict_SetItem(index, key, pos) < 0 || PyList_Append(entries, t) < 0;
		Py_XDECREF(key);
		Py_XDECREF(pos);
		Py_XDECREF(t);
		if (bad)
			goto out;
	}
	for (size_t i = 0; i < gp_ptab_capacity(&p->subs); i++) {
		struct gp_sub *s = p->subs.vals[i];
		if (!s || !s->callcount)
			continue;
		PyObject *kc = PyLong_FromVoidPtr(s->caller), *ke = PyLong_FromVoidPtr(s->callee);
		PyObject *ic = kc ? PyDict_GetItemWithError(index, kc) : NULL;
		PyObject *ie = ke ? PyDict_GetItemWithError(index, ke) : NULL;
		PyObject *t = (ic && ie) ? Py_BuildValue("(OOlldd)", ic, ie, s->callcount, s->reccallcount,
							  s->tt * spt, s->it * spt) : NULL;
		int bad = !t || PyList_Append(edges, t) < 0;
		Py_XDECREF(kc);
		Py_XDECREF(ke);
		Py_XDECREF(t);
		if (bad)
			goto out;
	}
	res = PyTuple_Pack(2, entries, edges);
out:
	Py_XDECREF(entries);
	Py_XDECREF(edges);
	Py_XDECREF(index);
	return res;
}

/* memory_usage() -> bytes held by the profiler's tables, entries, edges and contexts. */
static PyObject *prof_memory_usage(PyObject *self, PyObject *unused)
{
	struct gp_profiler *p = &((struct gp_profiler_obj *)self)->p;
	size_t n = (gp_ptab_capacity(&p->entries) + gp_ptab_capacity(&p->subs)) * 2 * sizeof(void *);
	for (struct gp_slab *s = p->slabs; s; s = s->next)
		n += sizeof(*s) + s->cap;
	n += (size_t)p->n_contexts * sizeof(struct gp_ctx);
	for (size_t i = 0; i < gp_ptab_capacity(&p->entries); i++) {
		struct gp_entry *e = p->entries.vals[i];
		if (e && e->label && PyUnicode_Check(e->label))
			n += (size_t)PyUnicode_GET_LENGTH(e->label) + sizeof(PyUnicodeObject);
	}
	return PyLong_FromSize_t(n);
}

static PyObject *prof_is_enabled(PyObject *self, void *closure)
{
	return PyBool_FromLong(((struct gp_profiler_obj *)self)->p.is_enabled);
}

static PyObject *prof_scope(PyObject *self, void *closure)
{
	return PyUnicode_FromString((((struct gp_profiler_obj *)self)->p.flags & GP_SCOPE_ALL) ? "all" : "default");
}

static void prof_dealloc(PyObject *self)
{
	struct gp_profiler *p = &((struct gp_profiler_obj *)self)->p;
	/* enable() holds a reference, so an enabled profiler is never deallocated */
	gp_profiler_clear_tables(p);
	Py_CLEAR(p->timer);
	Py_TYPE(self)->tp_free(self);
}

static PyMethodDef prof_methods[] = {
	{"enable", (PyCFunction)(void (*)(void))prof_enable, METH_VARARGS | METH_KEYWORDS,
	 "enable(subcalls=True, builtins=True)\nStart collecting profiling information."},
	{"disable", prof_disable, METH_NOARGS, "disable()\nStop collecting profiling information."},
	{"clear", prof_clear, METH_NOARGS, "clear()\nForget all statistics (profiler must be disabled)."},
	{"getstats_raw", prof_getstats_raw, METH_NOARGS, "getstats_raw() -> (entries, edges)"},
	{"times", prof_times, METH_NOARGS,
	 "times() -> dict of cpu_ns, wall_ns, run_ns, wait_ns, switches (after disable())"},
	{"memory_usage", prof_memory_usage, METH_NOARGS, "memory_usage() -> bytes held by the profiler"},
	{NULL, NULL, 0, NULL},
};

static PyObject *prof_clock(PyObject *self, void *closure)
{
	static const char *const names[] = {"wall", "cpu", "timer"};
	return PyUnicode_FromString(names[((struct gp_profiler_obj *)self)->p.clock]);
}

static PyGetSetDef prof_getset[] = {
	{"clock", prof_clock, NULL, "'wall', 'cpu' or 'timer' (a custom timer): what the statistics' times measure", NULL},
	{"is_enabled", prof_is_enabled, NULL, "True between enable() and disable()", NULL},
	{"scope", prof_scope, NULL, "'default' or 'all'", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject prof_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	/* 16 characters like "_lsprof.Profiler": pstats sizes its columns by the longest
	 * function name, which in a runctx() profile is this type's disable method, so a
	 * profile prints column for column like cProfile's (CPython's test_cprofile checks) */
	.tp_name = "_greenprof.Probe",
	.tp_basicsize = sizeof(struct gp_profiler_obj),
	.tp_dealloc = prof_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "Probe(timer=None, timeunit=0.0, subcalls=True, builtins=True, scope='default', switch='trace', clock='wall')\n"
		  "Greenlet-aware deterministic profiler (C core of greenprof.Profile).",
	.tp_methods = prof_methods,
	.tp_getset = prof_getset,
	.tp_init = prof_init,
	.tp_new = PyType_GenericNew,
};

/* ---- module ------------------------------------------------------------------ */

static PyObject *gp_is_profiled(PyObject *mod, PyObject *unused)
{
	struct gp_hub *h = gp_tls_hub;
	return PyBool_FromLong(h && h->current && h->current->owner);
}

/* _hub_stats() -> (greenlet stacks tracked by this thread's hub, sessions), (0, 0) if none */
static PyObject *gp_hub_stats(PyObject *mod, PyObject *unused)
{
	struct gp_hub *h = gp_tls_hub;
	return Py_BuildValue("(nn)", h ? (Py_ssize_t)h->gstates.count : 0, h ? (Py_ssize_t)h->n_sessions : 0);
}

static PyMethodDef module_methods[] = {
	{"_hub_stats", gp_hub_stats, METH_NOARGS, "_hub_stats() -> (tracked greenlet stacks, sessions) of this thread"},
	{"_switch_trace", (PyCFunction)(void (*)(void))gp_switch_trace, METH_FASTCALL,
	 "greenlet.settrace callback used while profiling"},
	{"is_profiled", gp_is_profiled, METH_NOARGS,
	 "is_profiled() -> True if the running greenlet is being profiled by a greenprof Profile"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT, "_greenprof", "Greenlet-aware profiler core (see greenprof).", -1, module_methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__greenprof(void);
PyMODINIT_FUNC PyInit__greenprof(void)
{
	if (PyType_Ready(&prof_type) < 0)
		return NULL;
	PyObject *m = PyModule_Create(&module_def);
	if (!m)
		return NULL;
	Py_INCREF(&prof_type);
	if (PyModule_AddObject(m, "Probe", (PyObject *)&prof_type) < 0) {
		Py_DECREF(&prof_type);
		Py_DECREF(m);
		return NULL;
	}
	Py_INCREF(&prof_type);
	if (PyModule_AddObject(m, "Profiler", (PyObject *)&prof_type) < 0) { /* the old name */
		Py_DECREF(&prof_type);
		Py_DECREF(m);
		return NULL;
	}
	switch_tracer = PyObject_GetAttrString(m, "_switch_trace"); /* kept for the process */
	if (!switch_tracer) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
