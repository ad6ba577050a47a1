/*
 * test_plot: the plotting layer. Most tests assert on the generated gnuplot
 * script text (title, axis labels, the shaded window at the right ms, one
 * titled clause per task, quoting), which needs no gnuplot. The rest run the
 * real gnuplot and check the files it wrote (PNG signature and IHDR size,
 * SVG width), its error reporting, the timeout and that no child is left
 * behind; they skip when gnuplot is not installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "plots/gnuplot.h"
#include "plots/progress.h"
#include "plots/timeseries.h"

#define PROGRESS_CSV TEST_FIXTURES "/plot-progress/progress.csv"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_plot.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	log_set_quiet(1);
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static void path_in(const struct fixture *f, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", f->dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int have_gnuplot(void)
{
	char exe[PATH_MAX];

	return gnuplot_find(exe, sizeof(exe)) == 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- script text ----------------------------------------------------------- */

static void test_plot_progress_script_has_labels_window_and_tasks(void **state)
{
	struct gnuplot_window w = { 300000000, 500000000 };
	struct plot_progress_opts o = {
		.in_csv = PROGRESS_CSV, .out_base = "/out/fig",
		.title = "Two tasks on one CPU", .windows = &w, .nwindows = 1,
	};
	char *s = NULL;

	(void)state;
	assert_int_equal(plot_progress_script(&o, &s), 0);
	assert_non_null(strstr(s, "set title 'Two tasks on one CPU'\n"));
	assert_non_null(strstr(s, "set xlabel 'time since start (ms)'\n"));
	assert_non_null(strstr(s, "set ylabel 'progress (%)'\n"));
	/* 300 ms .. 500 ms, full graph height, translucent, labelled. */
	assert_non_null(strstr(s, "set object rectangle from 300.000, graph 0 to "
			       "500.000, graph 1"));
	assert_non_null(strstr(s, "transparent solid"));
	assert_non_null(strstr(s, "set label 'host contention' at 400.000, graph"));
	/* One titled line per task, in order, each with its own data block. */
	assert_int_equal(count_of(s, "title 'task 0'"), 1);
	assert_int_equal(count_of(s, "title 'task 1'"), 1);
	assert_int_equal(count_of(s, "' title '"), 2);
	assert_true(strstr(s, "title 'task 0'") < strstr(s, "title 'task 1'"));
	assert_int_equal(count_of(s, "<< EOD\n"), 2);
	assert_non_null(strstr(s, "$task0 using 1:2 with steps"));
	assert_non_null(strstr(s, "$task1 using 1:2 with steps"));
	/* The fixture's last stamps: task 0 at 980 ms, task 1 at 1000 ms. */
	assert_non_null(strstr(s, "\n980.000 100.000\nEOD\n"));
	assert_non_null(strstr(s, "\n1000.000 100.000\nEOD\n"));
	assert_non_null(strstr(s, "set output '/out/fig.png'\n"));
	assert_non_null(strstr(s, "set output '/out/fig.svg'\n"));
	assert_non_null(strstr(s, "pngcairo"));
	free(s);
}

static void test_plot_progress_script_default_title_no_window(void **state)
{
	struct plot_progress_opts o = { .in_csv = PROGRESS_CSV, .out_base = "fig" };
	char *s = NULL;

	(void)state;
	assert_int_equal(plot_progress_script(&o, &s), 0);
	assert_non_null(strstr(s, "set title 'Progress per task'\n"));
	assert_null(strstr(s, "set object"));
	assert_null(strstr(s, "host contention"));
	free(s);
}

static void test_plot_progress_kvm_mini_columns(void **state)
{
	struct fixture *f = *state;
	char csv[128], *s = NULL;
	struct plot_progress_opts o = { .in_csv = csv, .out_base = "fig" };

	/* kvm-mini layout, rows interleaved and out of time order, one vcpu. */
	path_in(f, "kvm.csv", csv, sizeof(csv));
	write_text(csv, "t_ns,vcpu,task,unit,progress_pct\n"
			"2000000,0,1,1,50\n"
			"1000000,0,0,1,50\n"
			"3000000,0,0,2,100\n"
			"4000000,0,1,2,100\n");
	assert_int_equal(plot_progress_script(&o, &s), 0);
	assert_int_equal(count_of(s, "title 'task 0'"), 1);
	assert_int_equal(count_of(s, "title 'task 1'"), 1);
	assert_null(strstr(s, "vcpu"));
	assert_non_null(strstr(s, "$task0 << EOD\n0.000 0.000\n1.000 50.000\n3.000 100.000\nEOD\n"));
	free(s);

	/* Two vcpus with the same task numbers: one line per (vcpu, task). */
	write_text(csv, "t_ns,vcpu,task,unit,progress_pct\n"
			"1000000,0,0,1,100\n"
			"1000000,1,0,1,100\n");
	assert_int_equal(plot_progress_script(&o, &s), 0);
	assert_int_equal(count_of(s, "title 'vcpu 0 task 0'"), 1);
	assert_int_equal(count_of(s, "title 'vcpu 1 task 0'"), 1);
	free(s);
}

static void test_plot_progress_many_points_lines_only(void **state)
{
	struct fixture *f = *state;
	char csv[128], *s = NULL;
	struct plot_progress_opts o = { .in_csv = csv, .out_base = "fig" };
	FILE *fp;

	path_in(f, "many.csv", csv, sizeof(csv));
	fp = fopen(csv, "w");
	assert_non_null(fp);
	fprintf(fp, "proc,unit,t_ns,progress_pct\n");
	for (int i = 1; i <= 500; i++)
		fprintf(fp, "0,%d,%d,%.1f\n", i, i * 1000000, i / 5.0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(plot_progress_script(&o, &s), 0);
	assert_null(strstr(s, "with points"));
	assert_int_equal(count_of(s, "with steps"), 1);
	free(s);

	/* The fixture has 20 stamps per task: those are marked. */
	o.in_csv = PROGRESS_CSV;
	assert_int_equal(plot_progress_script(&o, &s), 0);
	assert_int_equal(count_of(s, "with points"), 2);
	free(s);
}

static void test_plot_progress_missing_column_named(void **state)
{
	struct fixture *f = *state;
	char csv[128], *s = NULL;
	struct plot_progress_opts o = { .in_csv = csv, .out_base = "fig" };

	path_in(f, "nopct.csv", csv, sizeof(csv));
	write_text(csv, "proc,unit,t_ns\n0,1,1000\n");
	assert_int_equal(plot_progress_script(&o, &s), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(log_last_error(), "missing column 'progress_pct'"));
	assert_non_null(strstr(log_last_error(), csv));

	write_text(csv, "unit,t_ns,progress_pct\n1,1000,5\n");
	assert_int_equal(plot_progress_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "'task' or 'proc'"));

	write_text(csv, "proc,unit,t_ns,progress_pct\n");
	assert_int_equal(plot_progress_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "no progress rows"));

	write_text(csv, "proc,unit,t_ns,progress_pct\n0,1,soon,5\n");
	assert_int_equal(plot_progress_script(&o, &s), -EINVAL);
}

static void test_plot_progress_bad_window_rejected(void **state)
{
	struct gnuplot_window w[2] = { { 0, 1000 }, { 5000, 5000 } };
	struct plot_progress_opts o = {
		.in_csv = PROGRESS_CSV, .out_base = "fig", .windows = w, .nwindows = 2,
	};
	char *s = NULL;

	(void)state;
	assert_int_equal(plot_progress_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "window 1"));
	assert_int_equal(gnuplot_windows_check(w, 1), 0);
}

/* ---- quoting --------------------------------------------------------------- */

static void test_plot_quote_single_quote_doubled(void **state)
{
	char buf[64], *s = NULL;
	struct plot_progress_opts o = {
		.in_csv = PROGRESS_CSV, .out_base = "/tmp/it's here", .title = "Bob's \"run\" \\n",
	};

	(void)state;
	assert_int_equal(gnuplot_quote("it's.png", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "'it''s.png'");
	assert_int_equal(gnuplot_quote("", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "''");
	assert_int_equal(gnuplot_quote("a\\b\"c$d", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "'a\\b\"c$d'");
	assert_int_equal(gnuplot_quote("two\nlines", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(gnuplot_quote("abcdef", buf, 8), -ENAMETOOLONG);
	assert_int_equal(gnuplot_quote("abcde", buf, 8), 0);
	assert_string_equal(buf, "'abcde'");
	assert_int_equal(gnuplot_quote("abcd'", buf, 8), -ENAMETOOLONG);

	assert_int_equal(plot_progress_script(&o, &s), 0);
	assert_non_null(strstr(s, "set output '/tmp/it''s here.png'\n"));
	assert_non_null(strstr(s, "set title 'Bob''s \"run\" \\n'\n"));
	free(s);

	o.title = "evil\nsystem 'rm -rf /'";
	assert_int_equal(plot_progress_script(&o, &s), -EINVAL);
	assert_null(s);
}

static void test_plot_gnuplot_script_buffer_grows(void **state)
{
	struct gnuplot_script sc;
	char *out = NULL;

	(void)state;
	gnuplot_script_init(&sc);
	for (int i = 0; i < 1000; i++)
		gnuplot_script_add(&sc, "line %d\n", i);
	gnuplot_script_quoted(&sc, "q'q");
	assert_int_equal(gnuplot_script_take(&sc, &out), 0);
	assert_non_null(strstr(out, "line 0\nline 1\n"));
	assert_non_null(strstr(out, "line 999\n'q''q'"));
	free(out);

	gnuplot_script_init(&sc);
	gnuplot_script_quoted(&sc, "bad\r");
	gnuplot_script_add(&sc, "more\n");
	assert_int_equal(gnuplot_script_take(&sc, &out), -EINVAL);
	assert_null(out);
}

/* ---- time series ------------------------------------------------------------ */

static void write_timeseries_inputs(const struct fixture *f, char *guest, char *host,
				    size_t len)
{
	path_in(f, "guest.csv", guest, len);
	path_in(f, "host.csv", host, len);
	write_text(guest, "t_ns,cpu,user_pct,steal_pct\n"
			  "100000000,0,90,1\n"
			  "100000000,1,11,22\n"
			  "200000000,0,40,55\n"
			  "200000000,1,12,23\n"
			  "300000000,0,,\n"
			  "400000000,0,88,2\n");
	write_text(host, "t_ns,cpu,user_pct,steal_pct\n"
			 "100000000,0,95,0\n"
			 "200000000,0,97,0\n"
			 "300000000,0,96,0\n");
}

static void test_plot_timeseries_script_filters_and_labels(void **state)
{
	struct fixture *f = *state;
	char guest[128], host[128], *s = NULL;
	struct plot_series ser[3] = {
		{ .csv_path = guest, .y_col = "steal_pct", .label = "guest %steal",
		  .filter_col = "cpu", .filter_val = "0" },
		{ .csv_path = guest, .y_col = "user_pct", .label = "guest %user",
		  .filter_col = "cpu", .filter_val = "0" },
		{ .csv_path = host, .y_col = "user_pct", .label = "host %user cpu0" },
	};
	struct gnuplot_window w = { 150000000, 250000000 };
	struct plot_timeseries_opts o = {
		.series = ser, .nseries = 3, .out_base = "ts", .title = "%steal and %user",
		.ylabel = "% of CPU time", .windows = &w, .nwindows = 1,
	};

	write_timeseries_inputs(f, guest, host, sizeof(guest));
	assert_int_equal(plot_timeseries_script(&o, &s), 0);
	assert_non_null(strstr(s, "set title '%steal and %user'\n"));
	assert_non_null(strstr(s, "set ylabel '% of CPU time'\n"));
	assert_non_null(strstr(s, "set xlabel 'time since start (ms)'\n"));
	/* cpu=0 rows only; the empty cell at 300 ms breaks the line. */
	assert_non_null(strstr(s, "$series0 << EOD\n100.000 1\n200.000 55\n\n400.000 2\nEOD\n"));
	assert_non_null(strstr(s, "$series1 << EOD\n100.000 90\n200.000 40\n\n400.000 88\nEOD\n"));
	assert_null(strstr(s, " 22\n"));
	assert_non_null(strstr(s, "$series2 << EOD\n100.000 95\n200.000 97\n300.000 96\nEOD\n"));
	/* Same file same dash, the other file dashed. */
	assert_non_null(strstr(s, "dashtype 1 title 'guest %steal'"));
	assert_non_null(strstr(s, "dashtype 1 title 'guest %user'"));
	assert_non_null(strstr(s, "dashtype 2 title 'host %user cpu0'"));
	assert_non_null(strstr(s, "from 150.000, graph 0 to 250.000, graph 1"));
	assert_non_null(strstr(s, "set xrange [0:400.000]"));
	free(s);
}

static void test_plot_timeseries_errors_name_the_problem(void **state)
{
	struct fixture *f = *state;
	char guest[128], host[128], *s = NULL;
	struct plot_series ser = { .csv_path = guest, .y_col = "steal_pct",
				   .filter_col = "cpu", .filter_val = "7" };
	struct plot_timeseries_opts o = { .series = &ser, .nseries = 1, .out_base = "ts" };

	write_timeseries_inputs(f, guest, host, sizeof(guest));
	assert_int_equal(plot_timeseries_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "no rows with cpu=7"));

	ser.filter_col = "node";
	assert_int_equal(plot_timeseries_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "missing column 'node'"));

	ser.filter_col = NULL;
	ser.y_col = "iowait_pct";
	assert_int_equal(plot_timeseries_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "missing column 'iowait_pct'"));

	ser.y_col = "steal_pct";
	ser.x_col = "t_us";
	assert_int_equal(plot_timeseries_script(&o, &s), -EINVAL);
	assert_non_null(strstr(log_last_error(), "missing column 't_us'"));

	ser.x_col = NULL;
	ser.csv_path = "/nonexistent/steal.csv";
	assert_true(plot_timeseries_script(&o, &s) < 0);
	assert_non_null(strstr(log_last_error(), "/nonexistent/steal.csv"));
	assert_null(s);
}

/* ---- real gnuplot runs ---------------------------------------------------- */

static void test_plot_progress_png_and_svg_sizes(void **state)
{
	struct fixture *f = *state;
	struct gnuplot_window w = { 300000000, 500000000 };
	char base[128], png[160], svg[160];
	struct plot_progress_opts o = {
		.in_csv = PROGRESS_CSV, .out_base = base, .title = "t",
		.windows = &w, .nwindows = 1, .width = 800, .height = 500, .save_script = 1,
	};
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char *img;
	char *text, gp[160];
	size_t len;
	struct stat st;

	if (!have_gnuplot())
		skip();
	path_in(f, "fig", base, sizeof(base));
	assert_int_equal(plot_progress(&o), 0);

	snprintf(png, sizeof(png), "%s.png", base);
	img = (unsigned char *)read_file(png, &len);
	assert_non_null(img);
	assert_true(len > 33);
	assert_memory_equal(img, sig, sizeof(sig));
	assert_memory_equal(img + 12, "IHDR", 4);
	assert_int_equal(be32(img + 16), 800);
	assert_int_equal(be32(img + 20), 500);
	free(img);

	snprintf(svg, sizeof(svg), "%s.svg", base);
	text = read_file(svg, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "<svg"));
	assert_non_null(strstr(text, "width=\"800\""));
	assert_non_null(strstr(text, "height=\"500\""));
	assert_non_null(strstr(text, "host contention"));
	free(text);

	/* The saved script names the final files, not the temporary ones. */
	snprintf(gp, sizeof(gp), "%s.gp", base);
	text = read_file(gp, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "set output '"));
	assert_null(strstr(text, ".tmp."));
	free(text);

	/* No temporary file left behind. */
	snprintf(png, sizeof(png), "%s.png.tmp.%ld", base, (long)getpid());
	assert_int_equal(stat(png, &st), -1);
}

static void test_plot_progress_quoted_name_real_run(void **state)
{
	struct fixture *f = *state;
	char base[128], png[160];
	struct plot_progress_opts o = { .in_csv = PROGRESS_CSV, .out_base = base };
	struct stat st;

	if (!have_gnuplot())
		skip();
	path_in(f, "it's a \"plot\"", base, sizeof(base));
	assert_int_equal(plot_progress(&o), 0);
	snprintf(png, sizeof(png), "%s.png", base);
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 1000);
}

static void test_plot_timeseries_real_run(void **state)
{
	struct fixture *f = *state;
	char guest[128], host[128], base[128], png[160];
	struct plot_series ser[2] = {
		{ .csv_path = guest, .y_col = "steal_pct", .label = "guest %steal",
		  .filter_col = "cpu", .filter_val = "0" },
		{ .csv_path = host, .y_col = "user_pct", .label = "host %user" },
	};
	struct plot_timeseries_opts o = { .series = ser, .nseries = 2, .out_base = base,
					  .ylabel = "%" };
	struct stat st;

	if (!have_gnuplot())
		skip();
	write_timeseries_inputs(f, guest, host, sizeof(guest));
	path_in(f, "ts", base, sizeof(base));
	assert_int_equal(plot_timeseries(&o), 0);
	snprintf(png, sizeof(png), "%s.png", base);
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 1000);
	snprintf(png, sizeof(png), "%s.svg", base);
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 1000);
}

static void test_plot_gnuplot_error_carries_message(void **state)
{
	struct fixture *f = *state;
	char base[160];
	struct plot_progress_opts o = { .in_csv = PROGRESS_CSV, .out_base = base };
	struct stat st;

	if (!have_gnuplot())
		skip();
	assert_int_equal(gnuplot_run("set grid\nplot nosuchfn(x)\n", NULL), -EIO);
	assert_non_null(strstr(log_last_error(), "undefined function: nosuchfn"));
	assert_non_null(strstr(log_last_error(), "script line 2"));

	/* An output directory that does not exist: named, nothing created. */
	path_in(f, "no/such/dir/fig", base, sizeof(base));
	assert_int_equal(plot_progress(&o), -ENOENT);
	assert_non_null(strstr(log_last_error(), "no/such/dir/fig.png: directory "));
	assert_non_null(strstr(log_last_error(), "no/such/dir: No such file or directory"));
	path_in(f, "no", base, sizeof(base));
	assert_int_equal(stat(base, &st), -1);

	/* A directory where BASE.svg goes: refused before gnuplot draws anything. */
	path_in(f, "taken.svg", base, sizeof(base));
	assert_int_equal(mkdir(base, 0755), 0);
	path_in(f, "taken", base, sizeof(base));
	assert_int_equal(plot_progress(&o), -EISDIR);
	assert_non_null(strstr(log_last_error(), "taken.svg: Is a directory"));
	path_in(f, "taken.png", base, sizeof(base));
	assert_int_equal(stat(base, &st), -1);
	path_in(f, "taken.svg", base, sizeof(base));
	assert_int_equal(rmdir(base), 0);
}

static void test_plot_gnuplot_workdir_and_relative_output(void **state)
{
	struct fixture *f = *state;
	char png[128];
	struct stat st;

	if (!have_gnuplot())
		skip();
	assert_int_equal(gnuplot_run("set terminal png size 200,100\nset output 'rel.png'\n"
				     "plot x\nunset output\n", f->dir), 0);
	path_in(f, "rel.png", png, sizeof(png));
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 100);

	assert_int_equal(gnuplot_run("plot x\n", "/nonexistent-dir"), -EIO);
	assert_non_null(strstr(log_last_error(), "cannot chdir"));
}

static void test_plot_gnuplot_timeout_kills_and_reaps(void **state)
{
	int status;

	(void)state;
	if (!have_gnuplot())
		skip();
	assert_int_equal(gnuplot_run_timeout("pause 30\n", NULL, 300), -ETIMEDOUT);
	assert_non_null(strstr(log_last_error(), "killed"));
	/* The killed child was reaped: nothing is left to wait for. */
	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	/* And a normal run leaves nothing either. */
	assert_int_equal(gnuplot_run("print 1\n", NULL), 0);
	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* ---- gnuplot missing --------------------------------------------------------- */

static void test_plot_gnuplot_missing_says_install(void **state)
{
	struct fixture *f = *state;
	char exe[PATH_MAX], base[128], *old, *saved = NULL;
	struct plot_progress_opts o = { .in_csv = PROGRESS_CSV, .out_base = base };

	assert_int_equal(gnuplot_find_in(f->dir, exe, sizeof(exe)), GNUPLOT_EMISSING);
	assert_string_equal(log_last_error(),
			    "gnuplot not found: install gnuplot-nox (apt-get install gnuplot-nox)");
	assert_int_equal(gnuplot_find_in("", exe, sizeof(exe)), GNUPLOT_EMISSING);
	assert_int_equal(gnuplot_find_in("::", exe, sizeof(exe)), GNUPLOT_EMISSING);
	assert_true(GNUPLOT_EMISSING != -ENOENT);

	/* Found in the second directory of a list when it is there. */
	if (have_gnuplot()) {
		assert_int_equal(gnuplot_find_in("/nonexistent:/usr/bin", exe, sizeof(exe)), 0);
		assert_string_equal(exe, "/usr/bin/gnuplot");
		assert_int_equal(gnuplot_find_in("/usr/bin", exe, 8), -ENAMETOOLONG);
	}

	/* The whole path through plot_progress(), PATH pointing at an empty dir. */
	old = getenv("PATH");
	if (old)
		saved = strdup(old);
	assert_int_equal(setenv("PATH", f->dir, 1), 0);
	path_in(f, "fig", base, sizeof(base));
	assert_int_equal(plot_progress(&o), GNUPLOT_EMISSING);
	assert_non_null(strstr(log_last_error(), "install gnuplot-nox"));
	if (saved) {
		setenv("PATH", saved, 1);
		free(saved);
	} else {
		unsetenv("PATH");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plot_progress_script_has_labels_window_and_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_script_default_title_no_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_kvm_mini_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_many_points_lines_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_missing_column_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_bad_window_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_quote_single_quote_doubled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_gnuplot_script_buffer_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_timeseries_script_filters_and_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_timeseries_errors_name_the_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_png_and_svg_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_quoted_name_real_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_timeseries_real_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_gnuplot_error_carries_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_gnuplot_workdir_and_relative_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_gnuplot_timeout_kills_and_reaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_gnuplot_missing_says_install, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
