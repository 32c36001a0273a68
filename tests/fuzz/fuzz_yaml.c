/*
 * fuzz_yaml.c - libFuzzer target for the one YAML reader (base/yamltree.c) and the three
 * documents read through it: scenario, units file, clouds.yaml. Any bytes must give a
 * well-formed tree or one message naming "fuzz.yaml", and each document a loaded value
 * or one such message; never a crash, a leak, a hang or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/yamltree.h"
#include "cloud/clouds.h"
#include "scenario/scenario.h"
#include "units/unitsfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A message is one line naming the input. */
static void check_message(const struct gb_err *err)
{
	if (strncmp(err->msg, "fuzz.yaml", 9) || strchr(err->msg, '\n'))
		abort();
}

/* The tree's invariants: positions from 1, mappings of pairs, scalars NUL-terminated,
 * no deeper than the rules allow. Returns the node count. */
static size_t check_tree(const struct yt_node *n, int depth, int max_depth)
{
	if (!n || n->line < 1 || n->col < 1 || depth > max_depth + 1)
		abort();
	switch (n->kind) {
	case YT_SCALAR:
		if (!n->str || n->str[n->len] != '\0' || n->n_kids)
			abort();
		return 1;
	case YT_MAP:
		if (n->n_kids % 2)
			abort();
		/* fall through */
	case YT_SEQ: {
		if (n->str)
			abort();
		size_t count = 1;
		for (size_t i = 0; i < n->n_kids; i++)
			count += check_tree(n->kids[i], depth + 1, max_depth);
		return count;
	}
	default:
		abort();
	}
}

static void fuzz_tree(const char *text, size_t size, const struct yt_rules *r)
{
	struct yt_node *root = NULL;
	struct gb_err err = { 0, "" };
	if (yamltree_parse("fuzz.yaml", text, size, r, &root, &err) == 0) {
		if (root && check_tree(root, 1, r->max_depth) > r->max_nodes)
			abort();
		const struct yt_node *k = root && root->kind == YT_MAP && root->n_kids ? root->kids[0] : NULL;
		if (k && k->kind == YT_SCALAR && strlen(k->str) == k->len && yamltree_find(root, k->str) != 0)
			abort(); /* the first key is found first */
		yamltree_free(root);
	} else {
		if (root)
			abort();
		check_message(&err);
	}
}

static void fuzz_scenario(const char *text, size_t size)
{
	struct scenario *sc = NULL;
	struct gb_err err = { 0, "" };
	int rc = scenario_load_buffer("fuzz.yaml", "/nonexistent", text, size, &sc, &err);
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
	} else if (rc != -1 || sc) {
		abort(); /* a failure returns nothing */
	} else {
		check_message(&err);
	}
}

static void fuzz_unitsfile(const char *text, size_t size)
{
	struct unitsfile *uf = NULL;
	struct gb_err err = { 0, "" };
	if (unitsfile_load_buffer("fuzz.yaml", text, size, &uf, &err) == 0) {
		if (!uf || uf->version != 1)
			abort();
		for (size_t i = 0; i < uf->n_units; i++)
			if (uf->units[i].argv && uf->units[i].argv[0][0] != '/')
				abort(); /* programs are absolute paths */
		unitsfile_free(uf);
	} else {
		check_message(&err);
	}
}

static void fuzz_clouds(const char *text, size_t size)
{
	struct os_creds c;
	struct gb_err err = { 0, "" };
	if (clouds_parse_buffer("fuzz.yaml", text, size, "devstack", &c, &err) == 0) {
		if (!c.auth_url || !c.password)
			abort(); /* a resolved cloud has what keystone needs */
		os_creds_free(&c);
	} else {
		check_message(&err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct yt_rules strict = { .noun = "document", .nouns = "documents",
		.max_bytes = 1 << 20, .max_depth = 8, .max_nodes = 2000 };
	static const struct yt_rules lax = { .noun = "document", .nouns = "documents",
		.max_bytes = 1 << 20, .max_depth = 64, .max_nodes = 200000, .allow_anchors = true,
		.allow_tags = true, .has_secrets = true };
	const char *text = (const char *)data;
	fuzz_tree(text, size, &strict);
	fuzz_tree(text, size, &lax);
	fuzz_scenario(text, size);
	fuzz_unitsfile(text, size);
	fuzz_clouds(text, size);
	return 0;
}
