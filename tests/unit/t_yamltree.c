/* t_yamltree.c - the one YAML reader (base/yamltree.c): positions, what each document's
 * rules refuse or allow, limits, lookups, and that the three documents read through it
 * (scenario, units file, clouds.yaml) report its errors with their own names. */
#include <stdlib.h>
#include <string.h>

#include "base/yamltree.h"
#include "cloud/clouds.h"
#include "lib/tap.h"
#include "scenario/scenario.h"
#include "units/unitsfile.h"

static const struct yt_rules strict = {
	.noun = "thing", .nouns = "things", .max_bytes = 4096, .max_depth = 3, .max_nodes = 12,
};
static const struct yt_rules lax = {
	.noun = "thing", .nouns = "things", .max_bytes = 4096, .max_depth = 3, .max_nodes = 12,
	.allow_anchors = true, .allow_tags = true, .has_secrets = true,
};

/* Parse text; the root (caller frees) or NULL with the message in err. */
static struct yt_node *parse(const struct yt_rules *r, const char *text, struct gb_err *err)
{
	struct yt_node *root = NULL;
	err->msg[0] = '\0';
	if (yamltree_parse("t.yaml", text, strlen(text), r, &root, err) != 0)
		return NULL;
	return root;
}

static void refused(const struct yt_rules *r, const char *text, const char *want, const char *desc)
{
	struct gb_err err;
	struct yt_node *root = parse(r, text, &err);
	if (!ok(!root && !strcmp(err.msg, want), "%s", desc))
		diag("got: %s", root ? "a tree" : err.msg);
	yamltree_free(root);
}

static void test_tree(void)
{
	struct gb_err err;
	struct yt_node *root = parse(&strict, "a: 1\nb:\n  - x\n  - 'y'\nc: \n", &err);
	if (!ok(root != NULL, "a small document parses (%s)", err.msg))
		return;
	ok(root->kind == YT_MAP && root->n_kids == 6 && root->line == 1 && root->col == 1,
	   "root: a mapping of 3 pairs at 1:1");
	const struct yt_node *b = yamltree_get(root, "b");
	ok(b && b->kind == YT_SEQ && b->n_kids == 2 && b->line == 3 && b->col == 3,
	   "b: a list of 2 at 3:3");
	ok(b && b->kids[1]->kind == YT_SCALAR && !strcmp(b->kids[1]->str, "y") && !b->kids[1]->is_plain &&
		   b->kids[1]->line == 4 && b->kids[1]->col == 5,
	   "b[1]: the quoted scalar 'y' at 4:5, not plain");
	ok(yamltree_is_null(yamltree_get(root, "c")) && !yamltree_is_null(yamltree_get(root, "a")),
	   "c: an empty value reads as null, a: 1 does not");
	ok(yamltree_find(root, "c") == 4 && yamltree_find(root, "zz") == -1 && yamltree_get(b, "x") == NULL,
	   "find: the key's index; -1 for no such key; get on a list is NULL");
	yamltree_free(root);

	root = parse(&strict, "a: 1\na: 2\n", &err);
	ok(root && yamltree_find(root, "a") == 0 && !strcmp(yamltree_get(root, "a")->str, "1"),
	   "a key given twice: find and get see the first (documents refuse duplicates themselves)");
	yamltree_free(root);
	root = parse(&strict, "# only a comment\n", &err);
	ok(root == NULL && !err.msg[0], "a document of only comments: no tree, no error");
	root = parse(&strict, "k: \"a\\0b\"\n", &err);
	ok(root && yamltree_get(root, "k")->len == 3 && strlen(yamltree_get(root, "k")->str) == 1 &&
		   yamltree_find(root, "a") == -1,
	   "a NUL inside a quoted scalar is kept in len for the document to refuse");
	yamltree_free(root);
}

static void test_rules(void)
{
	refused(&strict, "a: &x 1\nb: 2\n", "t.yaml:1:4: anchor '&x': aliases are not allowed in things; "
		"write each value out", "anchor refused by rules that do not allow it");
	refused(&lax, "a: &x 1\nb: *x\n", "t.yaml:2:4: alias '*x': aliases are not allowed in things; "
		"write each value out", "alias refused even where anchors are allowed");
	refused(&strict, "a: !!str 1\n", "t.yaml:1:4: tag 'tag:yaml.org,2002:str': tags are not allowed "
		"in things; remove it", "tag refused by rules that do not allow it");
	struct gb_err err;
	struct yt_node *root = parse(&lax, "a: &x !!str 1\n", &err);
	ok(root && !strcmp(yamltree_get(root, "a")->str, "1"), "anchor and tag accepted (and ignored) where allowed");
	yamltree_free(root);
	refused(&strict, "a: 1\n---\nb: 2\n", "t.yaml:2:1: a second YAML document; a file holds one thing, "
		"split it into two files", "a second document refused");
	refused(&strict, "a: [[[1]]]\n", "t.yaml:1:6: nested deeper than 3 levels; a thing never needs that",
		"nesting past max_depth refused at the container that goes too deep");
	refused(&strict, "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\n",
		"t.yaml:1:37: more than 12 YAML nodes; a thing is small, this file is not one",
		"more than max_nodes refused at the node past the cap");
	char big[5000];
	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(&strict, big, "t.yaml: larger than 4096 bytes; a thing is small, this file is not one",
		"input larger than max_bytes refused before parsing");
	refused(&strict, "a: caf\xc3\n", "t.yaml:1:7: not valid UTF-8 (byte 0xc3); a thing must be UTF-8 text",
		"bad UTF-8 named by its byte");
	refused(&lax, "a: caf\xc3\n", "t.yaml:1:7: not valid UTF-8; a thing must be UTF-8 text",
		"bad UTF-8 in a document with secrets: the byte is not quoted");
	refused(&strict, "a: \"x\x01\"\n", "t.yaml:1:6: control character U+0001; a thing must be plain text "
		"(tabs and newlines only)", "a control character named");
	refused(&lax, "a: \"x\x01\"\n", "t.yaml:1:6: control character; a thing must be plain text (tabs and "
		"newlines only)", "a control character in a document with secrets: not named");
	refused(&strict, "a: [1, 2\n", "t.yaml:2:1: YAML syntax error: did not find expected ',' or ']' "
		"(while parsing a flow sequence at line 1)", "a syntax error has its position and context");
}

/* The three documents read through it say their own names. */
static void test_documents(void)
{
	struct gb_err err = { 0, "" };
	struct scenario *sc = NULL;
	static const char sc_text[] = "name: x\nworkload: *w\n";
	ok(scenario_load_buffer("s.yaml", NULL, sc_text, sizeof(sc_text) - 1, &sc, &err) != 0 &&
		   !strcmp(err.msg, "s.yaml:2:11: alias '*w': aliases are not allowed in scenarios; write "
				    "each value out"),
	   "scenario: the reader's message names scenarios (%s)", err.msg);
	struct unitsfile *uf = NULL;
	static const char uf_text[] = "version: 1\nbackend: !!str systemd\nunits: {a: {}}\n";
	ok(unitsfile_load_buffer("u.yaml", uf_text, sizeof(uf_text) - 1, &uf, &err) == 0 && uf &&
		   uf->n_units == 1,
	   "units file: a tag is accepted, as before the one reader (%s)", err.msg);
	unitsfile_free(uf);
	uf = NULL;
	static const char uf_bad[] = "version: 1\nbackend: systemd\n---\n";
	ok(unitsfile_load_buffer("u.yaml", uf_bad, sizeof(uf_bad) - 1, &uf, &err) != 0 &&
		   !strcmp(err.msg, "u.yaml:3:1: a second YAML document; a file holds one units file, split it "
				    "into two files"),
	   "units file: the reader's message names a units file (%s)", err.msg);
	struct os_creds c;
	static const char cl_text[] = "base: &b {auth_url: 'http://k/v3', username: u, password: pw-1, "
				      "project_name: p}\nclouds:\n  devstack:\n    auth: {auth_url: 'http://k/v3', "
				      "username: u, password: pw-1, project_name: p}\n";
	ok(clouds_parse_buffer("c.yaml", cl_text, sizeof(cl_text) - 1, "devstack", &c, &err) == 0,
	   "clouds.yaml: an anchor that is never used is accepted, as before the one reader (%s)", err.msg);
	os_creds_free(&c);
	static const char cl_two[] = "clouds: {}\n---\nclouds: {}\n";
	ok(clouds_parse_buffer("c.yaml", cl_two, sizeof(cl_two) - 1, "devstack", &c, &err) != 0 &&
		   !strcmp(err.msg, "c.yaml:2:1: a second YAML document; a file holds one clouds.yaml file, "
				    "split it into two files"),
	   "clouds.yaml: the reader's message names a clouds.yaml file (%s)", err.msg);
}

int main(void)
{
	test_tree();
	test_rules();
	test_documents();
	return done_testing();
}
