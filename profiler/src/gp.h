/* gp.h - shared types of the greenprof extension: function entries, caller edges,
 * call contexts, per-greenlet stacks and the per-thread hub that routes events.
 * Internal to profiler/src; nothing here is visible from Python except via greenprof.c.
 * Never holds a strong reference to a greenlet (only weak references). */
#ifndef GP_H
#define GP_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <stdint.h>
#include <stddef.h>

typedef int64_t gp_time; /* clock ticks: TSC or CLOCK_MONOTONIC ns (see gp_core.c) */

/* Open-addressing pointer map (linear probing, power-of-two capacity). */
struct gp_ptab {
	void **keys;      /* NULL = empty slot */
	void **vals;
	size_t mask;      /* capacity - 1, 0 when unallocated */
	size_t count;     /* occupied slots */
};

/* One profiled function (its key, a code object or PyMethodDef, is in the table). */
struct gp_entry {
	PyObject *label;     /* strong ref: code object, or str label for builtins, None for the switch entry */
	gp_time tt;          /* cumulative time of outermost calls */
	gp_time it;          /* inline time: in this function, callees excluded */
	long callcount;      /* calls finished */
	long reccallcount;   /* of which recursive */
	int reclevel;        /* open contexts of this entry on the running stack */
	struct gp_sub *last_sub;  /* edge into this entry found last (a one-slot cache) */
	unsigned char is_init;    /* a code object named __init__ (may construct a greenlet) */
	unsigned char is_gswitch; /* greenlet.switch: may start a new greenlet */
};

/* One caller -> callee edge. */
struct gp_sub {
	struct gp_entry *caller;
	struct gp_entry *callee;
	gp_time tt, it;
	long callcount, reccallcount;
	int reclevel;
};

/* One open call on a greenlet's stack. */
struct gp_ctx {
	gp_time t0;          /* start of the call */
	gp_time subt;        /* cumulative time of finished callees */
	struct gp_entry *entry;
	struct gp_sub *sub;  /* edge from the caller, NULL at the bottom */
	struct gp_ctx *prev; /* the caller's context */
	int is_switch;       /* synthetic "<greenlet switch>" context */
};

struct gp_profiler;

/* The call stack of one greenlet (or of the thread without greenlet). */
struct gp_gstate {
	void *key;                  /* greenlet address (identity only, never dereferenced) */
	PyObject *ref;              /* strong ref to a weakref to the greenlet, NULL without greenlet */
	struct gp_profiler *owner;  /* session profiling it, NULL when out of scope */
	struct gp_ctx *top;         /* innermost open call */
	int is_suspended;           /* switched out: levels released, switch context pushed */
	int is_greenlet;            /* keyed by a greenlet (else the thread without greenlet) */
	gp_time run_t0;             /* while running for its owner: when it began to run (ticks) */
	int64_t cpu_t0;             /* ... and the thread CPU clock then (ns); while switched out:
				     * the thread CPU clock when it switched out */
	int64_t cpu_excluded;       /* clock="cpu": thread CPU used while it was switched out */
};

/* Per-thread router: one C profile hook for all sessions of the thread. */
struct gp_hub {
	struct gp_ptab gstates;        /* greenlet address -> struct gp_gstate */
	size_t sweep_at;               /* sweep dead greenlets when gstates.count reaches this */
	struct gp_gstate *current;     /* stack of the running greenlet, NULL if not profiled */
	void *current_key;             /* address of the running greenlet */
	struct gp_profiler *sessions;  /* enabled profilers of this thread (linked by next) */
	int n_sessions;
	int has_gtrace;                /* our greenlet.settrace callback is installed */
	int poll;                      /* detect switches by polling getcurrent() per event */
	int in_timer;                  /* a session's custom timer is running: events are ignored,
				        * enable()/disable() refused */
	PyObject *prev_gtrace;         /* greenlet tracer we replaced (strong ref or NULL) */
};

#define GP_BUILTINS 1
#define GP_SUBCALLS 2
#define GP_SCOPE_ALL 4

/* What a session's contexts are timed with (struct gp_profiler.clock). */
enum gp_clock { GP_CLOCK_WALL = 0, GP_CLOCK_CPU, GP_CLOCK_TIMER };

/* Bump allocator for entries and edges: freed all at once by clear(). */
struct gp_slab {
	struct gp_slab *next;
	size_t used;         /* bytes handed out from data */
	size_t cap;          /* bytes in data */
	max_align_t data[];
};

struct gp_profiler {
	PyObject_HEAD
	struct gp_slab *slabs;         /* storage of entries and edges (newest first) */
	struct gp_ptab entries;        /* key -> struct gp_entry */
	struct gp_ptab subs;           /* (caller, callee) -> struct gp_sub, hashed by pair */
	struct gp_entry *switch_entry; /* the synthetic "<greenlet switch>" entry */
	struct gp_ctx *freelist;       /* recycled contexts */
	int flags;                     /* GP_BUILTINS | GP_SUBCALLS | GP_SCOPE_ALL */
	int is_enabled;
	int clock;                     /* enum gp_clock: wall ticks, the greenlet's own CPU (ns),
				        * or the custom timer's values */
	PyObject *timer;               /* GP_CLOCK_TIMER: the callable (strong ref) */
	double timeunit;               /* > 0: the timer returns ints of this many seconds;
				        * 0: it returns seconds, kept as ns */
	gp_time timer_last;            /* the timer's last good value (used when it fails) */
	int has_oom;                   /* an allocation failed while profiling: stats incomplete */
	struct gp_hub *hub;            /* hub of the enabling thread while enabled */
	struct gp_profiler *next;      /* next session on the hub */
	long n_contexts;               /* contexts allocated (memory report) */
	/* the call's own execution, summed over enable()..disable() periods and over the
	 * greenlets it owns: a greenlet's share ends at each switch out and restarts at
	 * each switch back in, so other greenlets and other processes are not counted */
	int64_t cpu_ns;                /* thread CPU time (CLOCK_THREAD_CPUTIME_ID) while running */
	gp_time run_ticks;             /* wall time while one of its greenlets was running */
	gp_time wall_ticks;            /* wall time between enable() and disable() */
	gp_time enabled_at;            /* when the current enable() began */
	long n_switches;               /* switches out of its greenlets */
};

/* gp_core.c */
extern int gp_has_greenlet;            /* the greenlet C API is loaded */
extern _Thread_local struct gp_hub *gp_tls_hub;
gp_time gp_now(void);
gp_time gp_timer_now(struct gp_profiler *p); /* call p's custom timer (never raises) */
int64_t gp_thread_cpu_ns(void);      /* CLOCK_THREAD_CPUTIME_ID of the calling thread */
void gp_run_begin(struct gp_gstate *gs, gp_time now); /* gs starts running for its owner */
void gp_clock_init(int allow_tsc);   /* once, before the first profile */
double gp_seconds_per_tick(void);    /* conversion for statistics */
int gp_profile_cb(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg);
void gp_switch_to(struct gp_hub *h, PyObject *target);
struct gp_gstate *gp_gstate_claim(struct gp_hub *h, PyObject *greenlet, struct gp_profiler *p);
void gp_gstate_flush(struct gp_profiler *p, struct gp_gstate *gs, gp_time now);
void gp_hub_drop_owned(struct gp_hub *h, struct gp_profiler *p);
void gp_hub_free(struct gp_hub *h);
void gp_profiler_clear_tables(struct gp_profiler *p);
struct gp_entry *gp_switch_entry(struct gp_profiler *p);
size_t gp_ptab_capacity(const struct gp_ptab *t);
void gp_ptab_free(struct gp_ptab *t);
PyObject *gp_current_greenlet(void); /* new ref, or NULL without greenlet (no error set) */
int gp_greenlet_load(void);           /* import greenlet's C API once; 1 if available */
int gp_is_greenlet(PyObject *o);

#endif
