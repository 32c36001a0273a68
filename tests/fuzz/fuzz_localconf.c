/*
 * fuzz_localconf.c - libFuzzer target: local.conf parsing and the INI merge
 * of every parsed setting into the input itself. Must never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>

#include "host/localconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct localconf *lc = NULL;
	struct gb_err err;
	if (localconf_parse("fuzz.conf", (const char *)data, size, &lc, &err) != 0)
		return 0;
	struct strbuf ini = STRBUF_INIT;
	sb_add(&ini, data, size);
	for (size_t i = 0; i < lc->n_settings && i < 64; i++)
		localconf_ini_set(&ini, "fuzz.ini", lc->settings[i].section, lc->settings[i].key,
				  lc->settings[i].value, &err);
	localconf_localrc(lc, "NUMBER_FAKE_NOVA_COMPUTE");
	sb_release(&ini);
	localconf_free(lc);
	return 0;
}
