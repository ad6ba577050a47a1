/*
 * Unit tests of bench/table.c: rows from raw values (spread, baseline,
 * ratio of the medians), rows without numbers, and both renderings read
 * back: results.csv through csvio, RESULTS.md as text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bench/table.h"
#include "common/csvio.h"

#include "tests/support/files.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* @got within @eps of @want, saying both when not. */
static void assert_close(double got, double want, double eps)
{
	if (!(fabs(got - want) <= eps))
		fail_msg("got %.17g, want %.17g (within %g)", got, want, eps);
}

static struct bench_table *new_table(void)
{
	struct bench_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->date_utc, sizeof(t->date_utc), "2026-11-26T18:00:00Z");
	t->mode = "full";
	snprintf(t->host.cpu_model, sizeof(t->host.cpu_model), "Test CPU");
	snprintf(t->host.kernel, sizeof(t->host.kernel), "Linux 6.1");
	snprintf(t->host.cpus_online, sizeof(t->host.cpus_online), "0-1");
	t->host.ncpus_online = 2;
	snprintf(t->host.kvm_module, sizeof(t->host.kvm_module), "kvm_pvm");
	snprintf(t->host.kvm_dev_error, sizeof(t->host.kvm_dev_error), "No such file");
	snprintf(t->load_before, sizeof(t->load_before), "1.00 2.00 3.00");
	snprintf(t->load_after, sizeof(t->load_after), "1.50 2.00 3.00");
	return t;
}

static void test_bench_table_add_takes_ratio_of_medians(void **state)
{
	struct bench_table *t = new_table();
	const double v[] = { 12, 10, 11 }, b[] = { 4, 6, 5, NAN };
	const double zero = 0;
	struct bench_row *r;

	(void)state;
	r = bench_add(t, 2, "x.y", "a figure", "ms", v, 3, "the floor", b, 4);
	assert_non_null(r);
	assert_int_equal(r->status, BENCH_MEASURED);
	assert_int_equal(r->value.n, 3);
	assert_int_equal(r->base.n, 3);
	assert_close(r->value.median, 11, 0);
	assert_close(r->base.median, 5, 0);
	assert_close(r->ratio, 2.2, 1e-12);
	/* a baseline of 0 has no ratio */
	r = bench_add(t, 7, "z", "delay", "%", v, 3, "expected 0", &zero, 1);
	assert_non_null(r);
	assert_true(isnan(r->ratio));
	assert_int_equal(t->n, 2);
	free(t);
}

static void test_bench_table_renders_csv_and_md(void **state)
{
	struct bench_table *t = new_table();
	const double v[] = { 0.5, 1.5 }, b[] = { 1000.25 };
	char dir[256], csv[300], md[300];
	struct csv_table ct;
	double x;
	char *text;

	(void)state;
	assert_int_equal(support_mkdtemp(dir, sizeof(dir), "bench-table"), 0);
	snprintf(csv, sizeof(csv), "%s/results.csv", dir);
	snprintf(md, sizeof(md), "%s/RESULTS.md", dir);
	t->ran[0] = t->ran[3] = 1;
	snprintf(t->title[0], sizeof(t->title[0]), "Start-up");
	snprintf(t->title[3], sizeof(t->title[3]), "Steal accuracy");
	bench_method(t, 1, "Method %d,", 1);
	bench_method(t, 1, " continued.");
	assert_non_null(bench_add(t, 1, "startup.x", "with | a bar", "ms", v, 2, "`true`", b, 1));
	assert_non_null(bench_add_missing(t, 4, "steal.kvm", "kvm-mini steal",
					  BENCH_UNMEASURABLE, "no /dev/kvm"));
	assert_int_equal(bench_write_csv(t, csv), 0);
	assert_int_equal(bench_write_md(t, md), 0);

	assert_int_equal(csv_table_load(csv, &ct), 0);
	assert_int_equal(ct.ncols, bench_csv_ncols);
	assert_int_equal(ct.nrows, 2);
	assert_string_equal(csv_table_cell(&ct, 0, (size_t)csv_table_col(&ct, "id")), "startup.x");
	assert_int_equal(csv_table_f(&ct, 0, (size_t)csv_table_col(&ct, "median"), &x), 0);
	assert_close(x, 1.0, 1e-9);
	assert_int_equal(csv_table_f(&ct, 0, (size_t)csv_table_col(&ct, "ratio"), &x), 0);
	assert_close(x, 1.0 / 1000.25, 1e-6);
	assert_string_equal(csv_table_cell(&ct, 1, (size_t)csv_table_col(&ct, "status")),
			    "not measurable here");
	assert_string_equal(csv_table_cell(&ct, 1, (size_t)csv_table_col(&ct, "note")),
			    "no /dev/kvm");
	assert_int_equal(csv_table_f(&ct, 1, (size_t)csv_table_col(&ct, "median"), &x), 0);
	assert_true(isnan(x));
	assert_string_equal(csv_table_cell(&ct, 1, (size_t)csv_table_col(&ct, "kvm_module")),
			    "kvm_pvm");
	csv_table_free(&ct);

	text = support_read_file(md);
	assert_non_null(text);
	assert_non_null(strstr(text, "on 2026-11-26T18:00:00Z, full mode"));
	assert_non_null(strstr(text, "| online CPUs | 0-1 (2) |"));
	assert_non_null(strstr(text, "| /dev/kvm | not usable: No such file |"));
	assert_non_null(strstr(text, "## 1. Start-up\n\nMethod 1, continued.\n"));
	/* a '|' inside a cell would split it */
	assert_non_null(strstr(text, "| startup.x | with / a bar | ms | 2 | 1 | 0.75..1.25 | "
				     "0.5..1.5 | `true` | 1000 (1000..1000, 1) | 0.0009998 |"));
	assert_non_null(strstr(text, "## 4. Steal accuracy"));
	assert_non_null(strstr(text, "| steal.kvm | kvm-mini steal | | | *not measurable here* "
				     "| no /dev/kvm |"));
	assert_null(strstr(text, "## 2."));
	free(text);
	free(t);
	support_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_table_add_takes_ratio_of_medians),
		cmocka_unit_test(test_bench_table_renders_csv_and_md),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
