/*
 * request.c - the `request:` step through osapi: placeholders filled per request, count
 * requests kept `concurrency` in flight or sent at a constant rate, pages followed, the
 * ids of created resources taken from the answers and deleted again by request_cleanup.
 * Never prints, never exits, never sends a POST twice.
 */
#include "cloud/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- placeholders ---- */

/* Fill {name} {i} {repeat} {id} and the `as:` names of tmpl for request i into out. */
static int render(const struct request_state *st, const char *tmpl, int repeat, size_t step,
		  size_t i, const char *id, struct strbuf *out, struct gb_err *err)
{
	const char *p = tmpl;
	while (*p) {
		const char *b = strchr(p, '{');
		if (!b) {
			sb_addstr(out, p);
			break;
		}
		sb_add(out, p, (size_t)(b - p));
		size_t k = 1;
		while ((b[k] >= 'a' && b[k] <= 'z') || (b[k] >= 'A' && b[k] <= 'Z') ||
		       (b[k] >= '0' && b[k] <= '9') || b[k] == '_')
			k++;
		if (k == 1 || b[k] != '}') {
			sb_addch(out, '{');
			p = b + 1;
			continue;
		}
		char word[64];
		snprintf(word, sizeof(word), "%.*s", (int)(k - 1), b + 1);
		p = b + k + 1;
		if (!strcmp(word, "name"))
			sb_addf(out, "greenbench-%s-r%d-s%zu-%zu", st->tag, repeat, step, i);
		else if (!strcmp(word, "i"))
			sb_addf(out, "%zu", i);
		else if (!strcmp(word, "repeat"))
			sb_addf(out, "%d", repeat);
		else if (!strcmp(word, "id"))
			sb_addstr(out, id ? id : "{id}"); /* NULL: the template, for the journal */
		else {
			const struct request_idset *set = NULL;
			for (size_t s = 0; s < st->n_sets; s++)
				if (!strcmp(st->sets[s].as, word))
					set = &st->sets[s];
			if (!set || !set->n)
				return gb_errf(err, GB_EXIT_ENV, "workload[%zu]: {%s} has no ids: the step "
					       "named '%s' created nothing in this repeat", step, word, word);
			sb_addstr(out, set->ids[i % set->n]);
		}
	}
	return 0;
}

/* A copy of the JSON value j with every string rendered. NULL with err. */
static json_t *render_json(const struct request_state *st, json_t *j, int repeat, size_t step,
			   size_t i, struct gb_err *err)
{
	if (json_is_string(j)) {
		struct strbuf s = STRBUF_INIT;
		json_t *out = NULL;
		if (render(st, json_string_value(j), repeat, step, i, NULL, &s, err) == 0)
			out = json_stringn(s.buf, s.len);
		sb_release(&s);
		return out;
	}
	if (json_is_object(j)) {
		json_t *out = json_object(), *v;
		const char *k;
		json_object_foreach(j, k, v) {
			json_t *c = render_json(st, v, repeat, step, i, err);
			if (!c) {
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, k, c);
		}
		return out;
	}
	if (json_is_array(j)) {
		json_t *out = json_array(), *v;
		size_t n;
		json_array_foreach(j, n, v) {
			json_t *c = render_json(st, v, repeat, step, i, err);
			if (!c) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, c);
		}
		return out;
	}
	return json_incref(j);
}

/* The string or integer at dotted field ("flavor.id") of j into out; false if absent. */
static bool field_of(json_t *j, const char *field, char *out, size_t size)
{
	char key[129];
	const char *p = field;
	while (j && *p) {
		size_t n = strcspn(p, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		j = json_object_get(j, key);
		p += n + (p[n] == '.');
	}
	if (json_is_string(j) && json_string_length(j) > 0 && json_string_length(j) < size &&
	    !strpbrk(json_string_value(j), "/?#% \t\r\n"))
		snprintf(out, size, "%s", json_string_value(j));
	else if (json_is_integer(j))
		snprintf(out, size, "%lld", (long long)json_integer_value(j));
	else
		return false;
	return true;
}

/* ---- one step ---- */

struct run;

/* One request in flight. */
struct inflight {
	struct run *run;
	size_t index;     /* the request's i */
	char *name;       /* its {name} when the step creates, else NULL */
};

struct run {
	struct osapi *api;
	const struct sc_step *step;
	size_t step_index;
	int repeat;
	struct request_state *st;
	const struct request_hooks *hooks;
	struct request_result *out;
	const char *base_path;  /* the endpoint's path ("/compute/v2.1"), for next links */
	size_t n_inflight;
	char **pages;           /* next-page paths waiting to be sent */
	size_t n_pages;
	size_t n_done;
	bool has_hook_err;
	struct gb_err hook_err;
};

static void note_unexpected(struct run *r, const struct osapi_result *res)
{
	r->out->n_unexpected++;
	if (r->out->first_error[0])
		return;
	if (res->failed && res->err.msg[0] && (res->status == 0 || !r->step->req.expect))
		snprintf(r->out->first_error, sizeof(r->out->first_error), "%s", res->err.msg);
	else
		snprintf(r->out->first_error, sizeof(r->out->first_error),
			 "%s %s: answered %d, expected %d", r->step->req.method,
			 res->call ? res->call->path : r->step->req.path, res->status,
			 r->step->req.expect);
}

/* The path of the answer's rel=next link (in any "*_links" list), relative to the
 * endpoint, or NULL. */
static char *next_page(const struct run *r, json_t *j)
{
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		size_t n = strlen(k);
		if (n < 6 || strcmp(k + n - 6, "_links") || !json_is_array(v))
			continue;
		size_t i;
		json_t *l;
		json_array_foreach(v, i, l) {
			const char *rel = json_string_value(json_object_get(l, "rel"));
			const char *href = json_string_value(json_object_get(l, "href"));
			if (!rel || !href || strcmp(rel, "next"))
				continue;
			const char *path = strstr(href, "://");
			path = path ? strchr(path + 3, '/') : href;
			if (!path)
				return NULL;
			size_t bl = strlen(r->base_path);
			if (bl && !strncmp(path, r->base_path, bl))
				path += bl;
			return path[0] == '/' ? gb_strdup(path) : NULL;
		}
	}
	return NULL;
}

static void on_done(void *ctx, const struct osapi_result *res)
{
	struct inflight *f = ctx;
	struct run *r = f->run;
	const struct sc_request *rq = &r->step->req;
	r->n_inflight--;
	r->n_done++;
	bool is_ok = rq->expect ? res->status == rq->expect : res->status >= 200 && res->status < 300;
	if (is_ok)
		r->out->n_expected++;
	else
		note_unexpected(r, res);
	if (rq->id_field && res->status >= 200 && res->status < 300) {
		char id[256];
		struct strbuf del = STRBUF_INIT;
		struct gb_err e = { GB_EXIT_ENV, "" };
		if (!field_of(res->json, rq->id_field, id, sizeof(id))) {
			r->st->n_leaked++;
			if (!r->has_hook_err) {
				r->has_hook_err = true;
				gb_errf(&r->hook_err, GB_EXIT_ENV, "workload[%zu]: the answer to %s %s has no "
					"id at '%s'; what it created (named %s) may be left over",
					r->step_index, rq->method, res->call ? res->call->path : rq->path,
					rq->id_field, f->name ? f->name : "?");
			}
		} else if (render(r->st, rq->delete_path, r->repeat, r->step_index, f->index, id, &del,
				  &e) != 0) {
			r->st->n_leaked++;
			if (!r->has_hook_err) {
				r->has_hook_err = true;
				r->hook_err = e;
			}
		} else {
			r->st->res = gb_realloc(r->st->res, (r->st->n_res + 1) * sizeof(*r->st->res));
			struct request_resource *rs = &r->st->res[r->st->n_res++];
			memset(rs, 0, sizeof(*rs));
			snprintf(rs->service, sizeof(rs->service), "%s", rq->service);
			rs->delete_path = sb_detach(&del);
			rs->name = gb_strdup(f->name ? f->name : "");
			if (rq->as) {
				struct request_idset *set = NULL;
				for (size_t s = 0; s < r->st->n_sets; s++)
					if (!strcmp(r->st->sets[s].as, rq->as))
						set = &r->st->sets[s];
				if (!set) {
					r->st->sets = gb_realloc(r->st->sets, (r->st->n_sets + 1) * sizeof(*set));
					set = &r->st->sets[r->st->n_sets++];
					memset(set, 0, sizeof(*set));
					set->as = gb_strdup(rq->as);
				}
				set->ids = gb_realloc(set->ids, (set->n + 1) * sizeof(char *));
				set->ids[set->n++] = gb_strdup(id);
			}
			if (r->hooks && r->hooks->on_created &&
			    r->hooks->on_created(r->hooks->ctx, rs->service, rs->delete_path, rs->name) != 0 &&
			    !r->has_hook_err) {
				r->has_hook_err = true;
				gb_errf(&r->hook_err, GB_EXIT_ENV, "workload[%zu]: a created resource could "
					"not be journaled", r->step_index);
			}
		}
		sb_release(&del);
	}
	if (rq->is_paged && is_ok && json_is_object(res->json)) {
		char *next = next_page(r, res->json);
		if (next) {
			r->pages = gb_realloc(r->pages, (r->n_pages + 1) * sizeof(char *));
			r->pages[r->n_pages++] = next;
		}
	}
	free(f->name);
	free(f);
}

static bool is_interrupted(const struct run *r)
{
	return r->hooks && r->hooks->interrupted && *r->hooks->interrupted;
}

/* Send request i of the step (or, with page, that next page). */
static int send_one(struct run *r, size_t i, char *page, struct gb_err *err)
{
	const struct sc_request *rq = &r->step->req;
	struct strbuf path = STRBUF_INIT, name = STRBUF_INIT;
	char *text = NULL;
	int rc = -1;
	if (page)
		sb_addstr(&path, page);
	else if (render(r->st, rq->path, r->repeat, r->step_index, i, NULL, &path, err) != 0)
		goto out;
	if (!page && rq->body) {
		json_error_t je;
		json_t *tmpl = json_loads(rq->body, JSON_DECODE_ANY, &je), *b = NULL;
		if (!tmpl) {
			gb_errf(err, GB_EXIT_USAGE, "workload[%zu]: the body is not JSON: %s", r->step_index,
				je.text);
			goto out;
		}
		b = render_json(r->st, tmpl, r->repeat, r->step_index, i, err);
		json_decref(tmpl);
		if (!b)
			goto out;
		text = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(b);
	}
	struct inflight *f = gb_calloc(1, sizeof(*f));
	f->run = r;
	f->index = i;
	if (!page && rq->id_field) {
		render(r->st, "{name}", r->repeat, r->step_index, i, NULL, &name, err);
		f->name = sb_detach(&name);
		struct strbuf tmpl = STRBUF_INIT, find = STRBUF_INIT;
		int hrc = render(r->st, rq->delete_path, r->repeat, r->step_index, i, NULL, &tmpl, err);
		if (hrc == 0 && rq->find)
			hrc = render(r->st, rq->find, r->repeat, r->step_index, i, NULL, &find, err);
		if (hrc == 0 && r->hooks && r->hooks->on_requested &&
		    r->hooks->on_requested(r->hooks->ctx, rq->service, tmpl.buf, find.buf, f->name) != 0)
			hrc = gb_errf(err, GB_EXIT_ENV, "workload[%zu]: the request could not be journaled; "
				      "not sent", r->step_index);
		sb_release(&tmpl);
		sb_release(&find);
		if (hrc != 0) {
			free(f->name);
			free(f);
			goto out;
		}
	}
	if (osapi_submit_text(r->api, rq->method, rq->service, path.buf, text, rq->microversion,
			      on_done, f, err) != 0) {
		free(f->name);
		free(f);
		goto out;
	}
	r->n_inflight++;
	r->out->n_sent++;
	rc = 0;
out:
	free(text);
	sb_release(&path);
	sb_release(&name);
	return rc;
}

static void take_calls(struct osapi *api, struct request_result *out)
{
	struct osapi_call *c = NULL;
	size_t n = osapi_take_calls(api, &c);
	if (!n) {
		free(c);
		return;
	}
	out->calls = gb_realloc(out->calls, (out->n_calls + n) * sizeof(*c));
	memcpy(out->calls + out->n_calls, c, n * sizeof(*c));
	out->n_calls += n;
	free(c); /* the paths moved into out->calls */
}

int request_step_run(struct osapi *api, const struct sc_step *step, size_t index, int repeat,
		     struct request_state *st, const struct request_hooks *hooks,
		     struct request_result *out, struct gb_err *err)
{
	memset(out, 0, sizeof(*out));
	out->started = gb_wall();
	if (!st->tag[0]) {
		unsigned char b[4];
		if (osapi_random(api, b, sizeof(b), err) != 0)
			return -1;
		snprintf(st->tag, sizeof(st->tag), "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
	}
	const char *base = NULL;
	if (osapi_endpoint(api, step->req.service, &base, err) != 0) {
		take_calls(api, out);
		return -1;
	}
	const char *bp = strstr(base, "://");
	bp = bp ? strchr(bp + 3, '/') : NULL;
	struct run r = { .api = api, .step = step, .step_index = index, .repeat = repeat, .st = st,
			 .hooks = hooks, .out = out, .base_path = bp ? bp : "" };
	struct osapi_opts *o = osapi_options(api);
	double saved_timeout = o->timeout;
	o->timeout = step->timeout;
	size_t total = (size_t)step->count, next = 0;
	double t0 = gb_now(), period = step->req.rate > 0 ? 1.0 / step->req.rate : 0;
	double last_progress = t0;
	int rc = 0;
	while (next < total || r.n_pages || r.n_inflight) {
		bool stop = is_interrupted(&r) || r.has_hook_err || rc != 0;
		double now = gb_now();
		while (!stop && r.n_pages && r.n_inflight < (size_t)step->concurrency) {
			char *page = r.pages[--r.n_pages];
			rc = send_one(&r, 0, page, err);
			free(page);
			stop = rc != 0;
		}
		while (!stop && next < total && r.n_inflight < (size_t)step->concurrency) {
			double due = t0 + (double)next * period;
			if (period > 0 && now < due)
				break;
			if (period > 0 && now - due > period / 2)
				out->n_late++;
			rc = send_one(&r, next++, NULL, err);
			stop = rc != 0;
		}
		if (stop && !r.n_inflight)
			break;
		double wait = 0.05;
		if (period > 0 && next < total && !stop) {
			double due = t0 + (double)next * period - gb_now();
			wait = due < wait ? (due > 0.0005 ? due : 0.0005) : wait;
		}
		osapi_run(api, wait);
		if (hooks && hooks->on_progress && gb_now() - last_progress >= 1.0) {
			last_progress = gb_now();
			hooks->on_progress(hooks->ctx, r.n_done, total);
		}
	}
	for (size_t i = 0; i < r.n_pages; i++)
		free(r.pages[i]);
	free(r.pages);
	o->timeout = saved_timeout;
	take_calls(api, out);
	out->finished = gb_wall();
	if (rc != 0)
		return -1;
	if (r.has_hook_err) {
		*err = r.hook_err;
		return -1;
	}
	if (is_interrupted(&r))
		return gb_errf(err, GB_EXIT_INTERRUPTED, "workload[%zu]: interrupted after %zu of %zu "
			       "requests", index, r.n_done, total);
	return 0;
}

/* ---- cleanup ---- */

struct del {
	struct request_state *st;
	size_t k;
	const struct request_hooks *hooks;
	size_t *n_inflight;
	struct strbuf *failures;
};

static void on_deleted(void *ctx, const struct osapi_result *res)
{
	struct del *d = ctx;
	struct request_resource *rs = &d->st->res[d->k];
	(*d->n_inflight)--;
	if ((res->status >= 200 && res->status < 300) || res->status == 404) {
		rs->is_deleted = true;
		if (d->hooks && d->hooks->on_deleted)
			d->hooks->on_deleted(d->hooks->ctx, rs->service, rs->delete_path);
	} else {
		if (res->err.msg[0])
			sb_addf(d->failures, "%s%s %s (%s)", d->failures->len ? "; " : "", rs->service,
				rs->delete_path, res->err.msg);
		else
			sb_addf(d->failures, "%s%s %s (status %d)", d->failures->len ? "; " : "",
				rs->service, rs->delete_path, res->status);
	}
	free(d);
}

int request_cleanup(struct osapi *api, struct request_state *st, int concurrency,
		    const struct request_hooks *hooks, struct request_result *out,
		    struct gb_err *err)
{
	struct strbuf failures = STRBUF_INIT;
	size_t n_inflight = 0, k = st->n_res;
	if (concurrency < 1)
		concurrency = 1;
	while (k > 0 || n_inflight) {
		while (k > 0 && n_inflight < (size_t)concurrency) {
			struct request_resource *rs = &st->res[--k];
			if (rs->is_deleted)
				continue;
			struct del *d = gb_calloc(1, sizeof(*d));
			*d = (struct del){ st, k, hooks, &n_inflight, &failures };
			struct gb_err e = { GB_EXIT_ENV, "" };
			if (osapi_submit_text(api, "DELETE", rs->service, rs->delete_path, NULL, NULL,
					      on_deleted, d, &e) != 0) {
				sb_addf(&failures, "%s%s", failures.len ? "; " : "", e.msg);
				free(d);
				continue;
			}
			n_inflight++;
			out->n_sent++;
		}
		if (n_inflight)
			osapi_run(api, 0.05);
	}
	take_calls(api, out);
	int rc = 0;
	if (failures.len)
		rc = gb_errf(err, GB_EXIT_ENV, "could not delete what request steps created: %s; "
			     "`greenbench restore` tries again", failures.buf);
	sb_release(&failures);
	return rc;
}

void request_result_release(struct request_result *r)
{
	osapi_calls_free(r->calls, r->n_calls);
	r->calls = NULL;
	r->n_calls = 0;
}

void request_state_free(struct request_state *st)
{
	for (size_t i = 0; i < st->n_res; i++) {
		free(st->res[i].delete_path);
		free(st->res[i].name);
	}
	free(st->res);
	for (size_t s = 0; s < st->n_sets; s++) {
		for (size_t i = 0; i < st->sets[s].n; i++)
			free(st->sets[s].ids[i]);
		free(st->sets[s].ids);
		free(st->sets[s].as);
	}
	free(st->sets);
	memset(st, 0, sizeof(*st));
}
