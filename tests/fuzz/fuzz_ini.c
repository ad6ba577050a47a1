/*
 * fuzz_ini: ini_parse() on arbitrary bytes, and the round trip.
 *
 * On success the tree keeps ini.h's promises: types, names and keys are
 * non-empty words of [A-Za-z0-9_.-]; values are non-empty, trimmed, free of
 * control characters and of inline comments; keys are unique per section;
 * line numbers ascend and lie inside the text; the lookup helpers find what
 * is there. The tree is then written back as INI text, each header and entry
 * on its original line, and must parse to the same tree, line numbers
 * included. On failure: -EINVAL or -ENOMEM with a message, and @out left
 * empty. The input is passed as it is (not NUL-terminated), so ASan sees any
 * read past it.
 */
#include "tests/fuzz/fuzzcheck.h"

#include "common/ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lookups cost O(sections) each: check them on this many sections only. */
#define FUZZ_LOOKUP_SECTIONS 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	return 0;
}

static int is_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void check_value(const struct ini_entry *e)
{
	size_t n = strlen(e->value), i;

	FUZZ_CHECKF(n > 0, "line %d: empty value", e->line);
	FUZZ_CHECKF(!is_blank(e->value[0]) && !is_blank(e->value[n - 1]),
		    "line %d: value '%s' is not trimmed", e->line, e->value);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)e->value[i];

		FUZZ_CHECKF(c == '\t' || (c >= 0x20 && c != 0x7f),
			    "line %d: control character 0x%02x in the value", e->line, c);
		FUZZ_CHECKF(!(i > 0 && (c == ';' || c == '#') && is_blank(e->value[i - 1])),
			    "line %d: value '%s' holds an inline comment", e->line, e->value);
	}
}

/* Lines in the text, as ini_parse() counts them (a last line without '\n' counts). */
static int count_lines(const char *buf, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n + (len > 0 && buf[len - 1] != '\n');
}

static void check_tree(const struct ini *ini, const char *buf, size_t len)
{
	int last_line = 0, nlines = count_lines(buf, len);
	size_t i, j, k;

	FUZZ_CHECK(ini->filename && !strcmp(ini->filename, "fuzz.ini"));
	FUZZ_CHECK(ini->n_sections == 0 || ini->sections != NULL);
	for (i = 0; i < ini->n_sections; i++) {
		const struct ini_section *sec = &ini->sections[i];

		FUZZ_CHECKF(sec->type && is_word(sec->type), "section %zu: type '%s'", i,
			    sec->type ? sec->type : "(null)");
		FUZZ_CHECKF(!sec->name || is_word(sec->name), "section %zu: name '%s'", i,
			    sec->name);
		FUZZ_CHECKF(sec->line > last_line && sec->line <= nlines,
			    "section %zu on line %d (after %d, of %d)", i, sec->line, last_line,
			    nlines);
		last_line = sec->line;
		for (j = 0; j < sec->n_entries; j++) {
			const struct ini_entry *e = &sec->entries[j];

			FUZZ_CHECKF(e->key && is_word(e->key), "line %d: key '%s'", e->line,
				    e->key ? e->key : "(null)");
			FUZZ_CHECK(e->value != NULL);
			check_value(e);
			FUZZ_CHECKF(e->line > last_line && e->line <= nlines,
				    "entry on line %d (after %d, of %d)", e->line, last_line, nlines);
			last_line = e->line;
			for (k = 0; k < j; k++)
				FUZZ_CHECKF(strcmp(sec->entries[k].key, e->key),
					    "line %d: key '%s' twice in a section", e->line, e->key);
			FUZZ_CHECK(ini_entry_find(sec, e->key) == e);
		}
		FUZZ_CHECK(ini_entry_find(sec, "key with blanks") == NULL);
	}
}

static void check_lookups(const struct ini *ini)
{
	size_t i, n = ini->n_sections, k, count;

	if (n > FUZZ_LOOKUP_SECTIONS)
		n = FUZZ_LOOKUP_SECTIONS;
	for (i = 0; i < n; i++) {
		const struct ini_section *sec = &ini->sections[i], *found;

		found = ini_section_find(ini, sec->type, sec->name);
		FUZZ_CHECKF(found && found <= sec && !strcmp(found->type, sec->type),
			    "ini_section_find('%s') for section %zu", sec->type, i);
		FUZZ_CHECK(!sec->name ? !found->name : found->name && !strcmp(found->name, sec->name));
		for (k = 0, count = 0; k < ini->n_sections; k++)
			count += !strcmp(ini->sections[k].type, sec->type);
		FUZZ_CHECK(ini_count_sections(ini, sec->type) == count);
		if (found == sec && sec->n_entries)
			FUZZ_CHECK(ini_get(ini, sec->type, sec->name, sec->entries[0].key) ==
				   sec->entries[0].value);
	}
	FUZZ_CHECK(ini_section_find(ini, "no such type!", NULL) == NULL);
	FUZZ_CHECK(ini_get(ini, "no such type!", NULL, "key") == NULL);
}

/* The tree as INI text, each header and entry on its own original line. */
static char *write_tree(const struct ini *ini, size_t *len)
{
	FILE *mem;
	char *text = NULL;
	int line = 1;
	size_t i, j;

	mem = open_memstream(&text, len);
	FUZZ_CHECK(mem != NULL);
	for (i = 0; i < ini->n_sections; i++) {
		const struct ini_section *sec = &ini->sections[i];

		for (; line < sec->line; line++)
			fputc('\n', mem);
		if (sec->name)
			fprintf(mem, "[%s %s]\n", sec->type, sec->name);
		else
			fprintf(mem, "[%s]\n", sec->type);
		line++;
		for (j = 0; j < sec->n_entries; j++) {
			for (; line < sec->entries[j].line; line++)
				fputc('\n', mem);
			/* No blank before the value: "k =#x" holds "#x", "k = #x" a comment. */
			fprintf(mem, "%s =%s\n", sec->entries[j].key, sec->entries[j].value);
			line++;
		}
	}
	FUZZ_CHECK(fclose(mem) == 0);
	return text;
}

static void check_same(const struct ini *a, const struct ini *b)
{
	size_t i, j;

	FUZZ_CHECKF(a->n_sections == b->n_sections, "%zu sections came back as %zu",
		    a->n_sections, b->n_sections);
	for (i = 0; i < a->n_sections; i++) {
		const struct ini_section *x = &a->sections[i], *y = &b->sections[i];

		FUZZ_CHECKF(!strcmp(x->type, y->type) && x->line == y->line &&
			    (x->name ? y->name && !strcmp(x->name, y->name) : !y->name) &&
			    x->n_entries == y->n_entries,
			    "section %zu ([%s] line %d) came back different", i, x->type, x->line);
		for (j = 0; j < x->n_entries; j++)
			FUZZ_CHECKF(!strcmp(x->entries[j].key, y->entries[j].key) &&
				    !strcmp(x->entries[j].value, y->entries[j].value) &&
				    x->entries[j].line == y->entries[j].line,
				    "line %d: '%s = %s' came back as line %d: '%s = %s'",
				    x->entries[j].line, x->entries[j].key, x->entries[j].value,
				    y->entries[j].line, y->entries[j].key, y->entries[j].value);
	}
}

static void check_round_trip(const struct ini *ini)
{
	struct ini back;
	size_t len;
	char *text;
	int rc;

	text = write_tree(ini, &len);
	rc = ini_parse(text, len, "fuzz.ini", &back);
	FUZZ_CHECKF(rc == 0, "the written tree does not parse back (%d):\n%s", rc, text);
	check_same(ini, &back);
	ini_free(&back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct ini ini;
	int rc;

	fuzz_clear_last_error();
	rc = ini_parse(buf, size, "fuzz.ini", &ini);
	if (rc) {
		FUZZ_CHECK_ERROR(rc, -EINVAL, -ENOMEM, -ENOMEM);
		FUZZ_CHECK(ini.n_sections == 0 && !ini.sections && !ini.filename);
		ini_free(&ini);
		return 0;
	}
	check_tree(&ini, buf, size);
	check_lookups(&ini);
	check_round_trip(&ini);
	ini_free(&ini);
	return 0;
}
