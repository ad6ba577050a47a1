/*
 * test_plot_progress: the plot-progress binary end to end. Runs the built
 * tool (TEST_BINDIR) on the progress fixture and checks the PNG and SVG it
 * writes, and its exit codes: 2 for usage errors such as a bad --window, 1
 * for a CSV it cannot plot, 4 when gnuplot is not on PATH. The tool's
 * stderr is captured to a file in the test's own temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOOL_PATH TEST_BINDIR "/plot-progress"
#define PROGRESS_CSV TEST_FIXTURES "/plot-progress/progress.csv"

struct fixture {
	char dir[64];
	char out[128];                 /* captured stdout of the last run */
	char err[128];                 /* captured stderr of the last run */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_plot_progress.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->out, sizeof(f->out), "%s/stdout", f->dir);
	snprintf(f->err, sizeof(f->err), "%s/stderr", f->dir);
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

/*
 * Run the tool with @args (NULL-terminated, without argv[0]); when @path_env
 * is set the child's PATH is replaced by it. Returns the exit status, or -1
 * if the child did not exit normally.
 */
static int run_tool(const struct fixture *f, const char *path_env, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	int status;
	pid_t pid;

	argv[n++] = TOOL_PATH;
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(f->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int e = open(f->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(99);
		if (path_env && setenv("PATH", path_env, 1) != 0)
			_exit(99);
		execv(TOOL_PATH, (char *const *)argv);
		_exit(98);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path, size_t *len)
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

static int file_contains(const char *path, const char *needle)
{
	size_t len;
	char *text = slurp(path, &len);
	int found = text && strstr(text, needle) != NULL;

	free(text);
	return found;
}

static int have_gnuplot(void)
{
	return access("/usr/bin/gnuplot", X_OK) == 0 || access("/bin/gnuplot", X_OK) == 0;
}

static void test_plot_progress_writes_png_and_svg(void **state)
{
	struct fixture *f = *state;
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	char base[128], png[160], svg[160];
	unsigned char *img;
	char *text;
	size_t len;

	if (!have_gnuplot())
		skip();
	snprintf(base, sizeof(base), "%s/fig", f->dir);
	{
		const char *args[] = { "--in", PROGRESS_CSV, "--out", base, "--title",
				       "two tasks", "--window", "300ms:500ms", "-w", "0.9s:1s",
				       NULL };

		assert_int_equal(run_tool(f, NULL, args), 0);
	}
	snprintf(png, sizeof(png), "%s.png", base);
	img = (unsigned char *)slurp(png, &len);
	assert_non_null(img);
	assert_true(len > 1000);
	assert_memory_equal(img, sig, sizeof(sig));
	/* IHDR: the default 1000 x 600. */
	assert_int_equal((img[16] << 24 | img[17] << 16 | img[18] << 8 | img[19]), 1000);
	assert_int_equal((img[20] << 24 | img[21] << 16 | img[22] << 8 | img[23]), 600);
	free(img);

	snprintf(svg, sizeof(svg), "%s.svg", base);
	text = slurp(svg, &len);
	assert_non_null(text);
	assert_true(len > 1000);
	assert_non_null(strstr(text, "<svg"));
	assert_non_null(strstr(text, "two tasks"));
	assert_non_null(strstr(text, "task 1"));
	free(text);
	/* Nothing on stdout: it carries data, and this tool has none. */
	text = slurp(f->out, &len);
	assert_non_null(text);
	assert_int_equal(len, 0);
	free(text);
}

static void test_plot_progress_bad_window_exits_2(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"300ms", "500ms:300ms", "300ms:300ms", "abc:1s", "100:200", "1s:2s:3s",
		":1s", "1s:",
	};
	char base[128], png[160];
	struct stat st;

	snprintf(base, sizeof(base), "%s/fig", f->dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "--in", PROGRESS_CSV, "--out", base, "--window", bad[i],
				       NULL };

		assert_int_equal(run_tool(f, NULL, args), 2);
		assert_true(file_contains(f->err, "plot-progress: error:"));
		assert_true(file_contains(f->err, "--help"));
	}
	snprintf(png, sizeof(png), "%s.png", base);
	assert_int_equal(stat(png, &st), -1);
}

static void test_plot_progress_usage_errors_exit_2(void **state)
{
	struct fixture *f = *state;
	const char *no_in[] = { "--out", "x", NULL };
	const char *no_out[] = { "--in", PROGRESS_CSV, NULL };
	const char *unknown[] = { "--in", PROGRESS_CSV, "--out", "x", "--colour", NULL };
	const char *extra[] = { "--in", PROGRESS_CSV, "--out", "x", "more", NULL };
	const char *no_value[] = { "--in", PROGRESS_CSV, "--out", NULL };

	assert_int_equal(run_tool(f, NULL, no_in), 2);
	assert_true(file_contains(f->err, "--in is required"));
	assert_int_equal(run_tool(f, NULL, no_out), 2);
	assert_true(file_contains(f->err, "--out is required"));
	assert_int_equal(run_tool(f, NULL, unknown), 2);
	assert_true(file_contains(f->err, "--colour"));
	assert_int_equal(run_tool(f, NULL, extra), 2);
	assert_true(file_contains(f->err, "'more'"));
	assert_int_equal(run_tool(f, NULL, no_value), 2);
}

static void test_plot_progress_help_and_version(void **state)
{
	struct fixture *f = *state;
	const char *help[] = { "--help", NULL };
	const char *version[] = { "--version", NULL };

	assert_int_equal(run_tool(f, NULL, help), 0);
	assert_true(file_contains(f->out, "Usage: plot-progress"));
	assert_true(file_contains(f->out, "--window START:END"));
	assert_int_equal(run_tool(f, NULL, version), 0);
	assert_true(file_contains(f->out, "plot-progress (stealscope)"));
}

static void test_plot_progress_bad_csv_exits_1(void **state)
{
	struct fixture *f = *state;
	char csv[128];
	const char *args[] = { "--in", csv, "--out", "unused", NULL };
	FILE *fp;

	snprintf(csv, sizeof(csv), "%s/bad.csv", f->dir);
	fp = fopen(csv, "w");
	assert_non_null(fp);
	fputs("proc,unit,t_ns\n0,1,1000\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(run_tool(f, NULL, args), 1);
	assert_true(file_contains(f->err, "missing column 'progress_pct'"));

	snprintf(csv, sizeof(csv), "%s/absent.csv", f->dir);
	assert_int_equal(run_tool(f, NULL, args), 1);
	assert_true(file_contains(f->err, "absent.csv"));
}

static void test_plot_progress_without_gnuplot_exits_4(void **state)
{
	struct fixture *f = *state;
	char base[128];
	const char *args[] = { "--in", PROGRESS_CSV, "--out", base, NULL };

	snprintf(base, sizeof(base), "%s/fig", f->dir);
	/* PATH is only our empty temporary directory: no gnuplot there. */
	assert_int_equal(run_tool(f, f->dir, args), 4);
	assert_true(file_contains(f->err, "install gnuplot-nox"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plot_progress_writes_png_and_svg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_bad_window_exits_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_usage_errors_exit_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_help_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_bad_csv_exits_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plot_progress_without_gnuplot_exits_4, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
