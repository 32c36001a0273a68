/* fuzz_clouds.c - libFuzzer target for the clouds.yaml reader: any bytes give a resolved
 * cloud or one error sentence, never a crash, leak or hang. Cloud name: "devstack". */
#include <stdint.h>

#include "cloud/clouds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct os_creds c;
	struct gb_err err = { 0 };
	if (clouds_parse_buffer("fuzz.yaml", (const char *)data, size, "devstack", &c, &err) == 0)
		os_creds_free(&c);
	return 0;
}
