/*
 * test_policies_plot: the policy comparison chart. Most tests read the
 * generated script (one bar per policy and series at a known x, whiskers
 * only where an sd is known, labels that say what the bars and whiskers
 * are), which needs no gnuplot; one draws the chart for real and checks the
 * PNG and SVG, and skips when gnuplot is not installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "plots/gnuplot.h"
#include "plots/policies.h"

/* Three policies, three repetitions each: work as a fraction of baseline. */
static const struct plot_policy_row three[3] = {
	{ .name = "dedicated", .work_mean = 0.99, .work_sd = 0.01,
	  .delay_mean_pct = 0.4, .delay_sd_pct = 0.1, .steal_mean_pct = 0.3,
	  .steal_sd_pct = 0.1, .nreps = 3 },
	{ .name = "shared", .work_mean = 0.5, .work_sd = 0.03,
	  .delay_mean_pct = 49.5, .delay_sd_pct = 1.5, .steal_mean_pct = 48.25,
	  .steal_sd_pct = 2, .nreps = 3 },
	{ .name = "overcommit", .note = "no hog", .work_mean = NAN, .work_sd = NAN,
	  .delay_mean_pct = 50, .delay_sd_pct = 0.5, .steal_mean_pct = 49,
	  .steal_sd_pct = 0.25, .nreps = 3 },
};

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The data block "$NAME << EOD\n...EOD\n", copied (caller frees). */
static char *block(const char *script, const char *name)
{
	char head[64];
	const char *start, *end;
	char *out;

	snprintf(head, sizeof(head), "%s << EOD\n", name);
	start = strstr(script, head);
	assert_non_null(start);
	start += strlen(head);
	end = strstr(start, "EOD\n");
	assert_non_null(end);
	out = strndup(start, (size_t)(end - start));
	assert_non_null(out);
	return out;
}

static int setup(void **state)
{
	(void)state;
	log_set_quiet(1);
	return 0;
}

static void test_policies_plot_script_bars_per_policy(void **state)
{
	struct plot_policies_opts o = {
		.rows = three, .nrows = 3, .work_unit = PLOT_WORK_FRAC, .out_base = "/out/pol",
		.title = "pinning: policies compared",
	};
	char *s = NULL, *b;

	(void)state;
	assert_int_equal(plot_policies_script(&o, &s), 0);
	/* Work (slot -1), delay (0) and steal (+1) around each policy's x. */
	b = block(s, "$bars0");
	assert_string_equal(b, "-0.2667 99 100 \"99%\"\n0.7333 50 53 \"50%\"\n");
	free(b);
	b = block(s, "$bars1");
	assert_string_equal(b, "0.0000 0.4 0.5 \"0.4%\"\n1.0000 49.5 51 \"50%\"\n"
			       "2.0000 50 50.5 \"50%\"\n");
	free(b);
	b = block(s, "$bars2");
	assert_string_equal(b, "0.2667 0.3 0.4 \"0.3%\"\n1.2667 48.25 50.25 \"48%\"\n"
			       "2.2667 49 49.25 \"49%\"\n");
	free(b);
	/* Whiskers: x, mean, sd; none for the work rate overcommit lacks. */
	b = block(s, "$err0");
	assert_string_equal(b, "-0.2667 99 1\n0.7333 50 3\n");
	free(b);

	/* One bar series per quantity, each with whiskers and value labels. */
	assert_int_equal(count_of(s, "with boxes"), 3);
	assert_int_equal(count_of(s, "with yerrorbars"), 3);
	assert_int_equal(count_of(s, "with labels"), 3);
	assert_non_null(strstr(s, "title 'work rate (% of baseline)'"));
	assert_non_null(strstr(s, "title 'host run delay (% of wall time)'"));
	assert_non_null(strstr(s, "title 'guest steal (% of wall time)'"));
	assert_null(strstr(s, "axes x1y2"));
	/* Policies on the x axis in order, the note in brackets. */
	assert_non_null(strstr(s, "set xtics nomirror scale 0 ('dedicated' 0, 'shared' 1, "
			       "'overcommit [no hog]' 2)\n"));
	assert_null(strstr(s, "rotate"));
	assert_non_null(strstr(s, "set title 'pinning: policies compared'\n"));
	assert_non_null(strstr(s, "set xlabel 'policy (bars: mean of 3 runs; whiskers: "
			       "mean +/- 1 sd)'\n"));
	assert_non_null(strstr(s, "set ylabel 'percent (of what: see the key)'\n"));
	/* 100 % plus headroom for the label above the tallest whisker. */
	assert_non_null(strstr(s, "set yrange [0:115]\n"));
	assert_non_null(strstr(s, "set xrange [-0.6:2.6]\n"));
	assert_non_null(strstr(s, "set key below"));
	assert_non_null(strstr(s, "set output '/out/pol.png'\n"));
	assert_non_null(strstr(s, "set output '/out/pol.svg'\n"));
	free(s);
}

static void test_policies_plot_missing_values_left_out(void **state)
{
	struct plot_policy_row rows[2];
	struct plot_policies_opts o = {
		.rows = rows, .nrows = 2, .work_unit = PLOT_WORK_FRAC, .out_base = "pol",
	};
	char *s = NULL, *b;

	(void)state;
	/* The native backend: no guest, so no steal at all; one run each. */
	memcpy(rows, three, sizeof(rows));
	for (int i = 0; i < 2; i++) {
		rows[i].steal_mean_pct = NAN;
		rows[i].work_sd = rows[i].delay_sd_pct = NAN;
		rows[i].nreps = 1;
	}
	assert_int_equal(plot_policies_script(&o, &s), 0);
	assert_null(strstr(s, "$bars2"));
	assert_null(strstr(s, "guest steal"));
	assert_int_equal(count_of(s, "with boxes"), 2);
	/* Two series: slots at -0.2 and +0.2. */
	b = block(s, "$bars1");
	assert_string_equal(b, "0.2000 0.4 0.4 \"0.4%\"\n1.2000 49.5 49.5 \"50%\"\n");
	free(b);
	/* No sd anywhere: no whiskers, and the axis label says why. */
	assert_null(strstr(s, "yerrorbars"));
	assert_non_null(strstr(s, "set xlabel 'policy (one run each: bars are that run, "
			       "no spread to show)'\n"));
	assert_non_null(strstr(s, "set title 'Policies compared: work rate and steal'\n"));
	free(s);
}

static void test_policies_plot_units_per_second_on_right_axis(void **state)
{
	struct plot_policy_row rows[3];
	struct plot_policies_opts o = {
		.rows = rows, .nrows = 3, .work_unit = PLOT_WORK_UPS, .out_base = "pol",
	};
	char *s = NULL, *b;

	(void)state;
	memcpy(rows, three, sizeof(rows));
	rows[0].work_mean = 990;
	rows[0].work_sd = 10;
	rows[1].work_mean = 500;
	rows[1].work_sd = 30;
	rows[1].nreps = 5;
	assert_int_equal(plot_policies_script(&o, &s), 0);
	b = block(s, "$bars0");
	assert_string_equal(b, "-0.2667 990 1000 \"990\"\n0.7333 500 530 \"500\"\n");
	free(b);
	assert_non_null(strstr(s, "$bars0 using 1:2 axes x1y2 with boxes"));
	assert_non_null(strstr(s, "$err0 using 1:2:3 axes x1y2 with yerrorbars"));
	assert_null(strstr(s, "$bars1 using 1:2 axes"));
	assert_non_null(strstr(s, "set y2label 'work rate (units/s)'\n"));
	assert_non_null(strstr(s, "set y2range [0:1150]\n"));
	assert_non_null(strstr(s, "set ylabel '% of wall time'\n"));
	assert_non_null(strstr(s, "title 'work rate (units/s, right axis)'"));
	assert_non_null(strstr(s, "mean of 3 to 5 runs"));
	free(s);
}

static void test_policies_plot_crowded_labels_stand_up(void **state)
{
	struct plot_policy_row rows[14];
	char names[14][40];
	struct plot_policies_opts o = {
		.rows = rows, .nrows = 14, .work_unit = PLOT_WORK_FRAC, .out_base = "pol",
	};
	char *s = NULL;

	(void)state;
	for (int i = 0; i < 14; i++) {
		snprintf(names[i], sizeof(names[i]), "policy-with-a-long-name-%d", i);
		rows[i] = three[1];
		rows[i].name = names[i];
	}
	assert_int_equal(plot_policies_script(&o, &s), 0);
	assert_non_null(strstr(s, "rotate by 90 right"));
	/* 42 bars: value labels would collide, so there are none. */
	assert_null(strstr(s, "with labels"));
	assert_int_equal(count_of(s, "with boxes"), 3);
	free(s);
}

static void test_policies_plot_bad_input_rejected(void **state)
{
	struct plot_policy_row rows[2];
	struct plot_policies_opts o = {
		.rows = rows, .nrows = 2, .work_unit = PLOT_WORK_FRAC, .out_base = "pol",
	};
	char *s = NULL;

	(void)state;
	memcpy(rows, three, sizeof(rows));
	o.nrows = 0;
	assert_int_equal(plot_policies_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "no policies"));
	o.nrows = 2;

	rows[1].name = "";
	assert_int_equal(plot_policies_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "policy 1 has no name"));
	rows[1].name = "shared";

	for (int i = 0; i < 2; i++)
		rows[i].work_mean = rows[i].delay_mean_pct = rows[i].steal_mean_pct = NAN;
	assert_int_equal(plot_policies_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "no policy has"));
	memcpy(rows, three, sizeof(rows));

	/* Names are quoted; a line break cannot be, so it is refused. */
	rows[0].name = "it's";
	assert_int_equal(plot_policies_script(&o, &s), 0);
	assert_non_null(strstr(s, "('it''s' 0, 'shared' 1)"));
	free(s);
	o.title = "two\nlines";
	assert_int_equal(plot_policies_script(&o, &s), -EINVAL);
	assert_null(s);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_policies_plot_real_png_and_svg(void **state)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	char dir[] = "/tmp/test_policies_plot.XXXXXX", base[64], path[80], exe[PATH_MAX];
	struct plot_policies_opts o = {
		.rows = three, .nrows = 3, .work_unit = PLOT_WORK_FRAC, .out_base = base,
		.width = 800, .height = 500,
	};
	unsigned char head[24];
	char text[8192];
	size_t n;
	FILE *fp;

	(void)state;
	if (gnuplot_find(exe, sizeof(exe)) != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(base, sizeof(base), "%s/policies", dir);
	assert_int_equal(plot_policies(&o), 0);

	snprintf(path, sizeof(path), "%s.png", base);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(head, 1, sizeof(head), fp), sizeof(head));
	fclose(fp);
	assert_memory_equal(head, sig, sizeof(sig));
	assert_memory_equal(head + 12, "IHDR", 4);
	assert_int_equal(be32(head + 16), 800);
	assert_int_equal(be32(head + 20), 500);
	assert_int_equal(unlink(path), 0);

	snprintf(path, sizeof(path), "%s.svg", base);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(text, "<svg"));
	assert_non_null(strstr(text, "width=\"800\""));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies_plot_script_bars_per_policy),
		cmocka_unit_test(test_policies_plot_missing_values_left_out),
		cmocka_unit_test(test_policies_plot_units_per_second_on_right_axis),
		cmocka_unit_test(test_policies_plot_crowded_labels_stand_up),
		cmocka_unit_test(test_policies_plot_bad_input_rejected),
		cmocka_unit_test(test_policies_plot_real_png_and_svg),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
