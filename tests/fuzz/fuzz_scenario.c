/*
 * fuzz_scenario.c - libFuzzer target for the scenario loader: any bytes must
 * give either a scenario or one message naming "fuzz.yaml", never a crash,
 * a leak, a hang or undefined behaviour. Touches no file (buffer API only).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *sc = NULL;
	struct gb_err err = { 0, "" };
	int rc = scenario_load_buffer("fuzz.yaml", "/nonexistent", (const char *)data, size, &sc, &err);
	if (rc == 0) {
		/* a loaded scenario honours the schema's invariants */
		if (!sc || !sc->name || sc->repeat < 1 || sc->repeat > 1000 || sc->fake_computes < -1 ||
		    sc->fake_computes > 1000)
			abort();
		for (size_t i = 0; i < sc->n_steps; i++)
			if (sc->steps[i].concurrency < 1 || sc->steps[i].concurrency > sc->steps[i].count ||
			    !sc->steps[i].image || !sc->steps[i].flavor)
				abort();
		for (size_t i = 0; i < sc->n_slas; i++)
			if (sc->slas[i].kind == SC_SLA_PROFILE &&
			    (sc->slas[i].profile_index < 0 || (size_t)sc->slas[i].profile_index >= sc->n_profiles))
				abort();
		scenario_free(sc);
	} else {
		/* a failure returns nothing and says where */
		if (rc != -1 || sc || strncmp(err.msg, "fuzz.yaml", 9) || strchr(err.msg, '\n'))
			abort();
	}
	return 0;
}
