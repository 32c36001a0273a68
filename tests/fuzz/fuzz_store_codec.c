/* fuzz_store_codec.c - libFuzzer target for the stored form of a dump: any input either
 * fails to split or splits and joins back to exactly itself; any input given as a split
 * stream (as a damaged store would hold it) either fails with a message or joins. */
#include <stdlib.h>
#include <string.h>

#include "store/store_codec.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct strbuf s = STRBUF_INIT, back = STRBUF_INIT;
	struct gb_err err = { 0, "" };
	if (store_codec_split(data, len, &s) == 0) {
		if (store_codec_join((const unsigned char *)s.buf, s.len, &back, &err) != 0 ||
		    back.len != len || memcmp(back.buf, data, len))
			abort(); /* lossless, or not split at all */
	}
	if (store_codec_join(data, len, &back, &err) != 0 && !err.msg[0])
		abort(); /* a refusal says why */
	sb_release(&s);
	sb_release(&back);
	return 0;
}
