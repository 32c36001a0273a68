/* fuzz_pstats.c - libFuzzer target for the cProfile dump reader: any input either fails
 * with a message or parses; what parses must survive write + re-read unchanged in shape. */
#include <stdlib.h>
#include <string.h>

#include "profile/collect.h"
#include "profile/pstats.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	/* the dump-name parser sees the same bytes as a file name */
	if (len < 1100) {
		char name[1100], *t, *r;
		long pid;
		memcpy(name, data, len);
		name[len] = '\0';
		if (collect_parse_name(name, &t, &r, &pid) == 0) {
			if (!strchr(t, ':') || strncmp(r, "req-", 4) * strncmp(r, "seq-", 4) || pid < 0)
				abort();
			free(t);
			free(r);
		}
	}
	struct pstats *ps = NULL;
	struct gb_err err = { 0, "" };
	if (pstats_parse(data, len, "fuzz", &ps, &err)) {
		if (ps || strncmp(err.msg, "fuzz: ", 6))
			abort(); /* a failure must leave nothing and name the input */
		return 0;
	}
	struct strbuf out = STRBUF_INIT;
	pstats_write_marshal(ps, &out);
	struct pstats *back = NULL;
	if (pstats_parse((const unsigned char *)out.buf, out.len, "rewritten", &back, &err))
		abort(); /* what we write we must read */
	struct pstats_totals a, b;
	pstats_totals(ps, &a);
	pstats_totals(back, &b);
	if (back->n_listed != ps->n_listed || a.total_calls != b.total_calls ||
	    a.prim_calls != b.prim_calls)
		abort();
	struct strbuf other = STRBUF_INIT;
	pstats_write_json(ps, &other);
	pstats_write_callgrind(ps, "fuzz", &other);
	pstats_write_collapsed(ps, &other);
	sb_release(&other);
	pstats_free(back);
	pstats_free(ps);
	sb_release(&out);
	return 0;
}
