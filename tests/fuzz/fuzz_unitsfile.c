/*
 * fuzz_unitsfile.c - libFuzzer target: the units file parser (YAML, aliases
 * refused). Must never crash or leak, whatever the bytes.
 */
#include <stdint.h>
#include <stdlib.h>

#include "units/unitsfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unitsfile *uf = NULL;
	struct gb_err err;
	if (unitsfile_load_buffer("fuzz.yaml", (const char *)data, size, &uf, &err) == 0)
		unitsfile_free(uf);
	return 0;
}
