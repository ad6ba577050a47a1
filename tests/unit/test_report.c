/*
 * Unit tests for experiments/report and cmd-report: a tiny synthetic results
 * directory (spec.ini, meta.json, summary.csv written with the project's own
 * summary writer, a fake PNG) is built in a fresh mkdtemp() directory and
 * report.html is checked for the escaped title, the table values, the plots
 * that exist (and only those), the INCOMPLETE banner, the reading with the
 * right numbers, the native wording, skipped policies and missing files.
 * The plain-language reading is also tested on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/resdir.h"
#include "experiments/commands.h"
#include "experiments/report.h"
#include "experiments/summary.h"
#include "tests/support/files.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define assert_contains(hay, needle)                                                    \
	do {                                                                            \
		if (!strstr((hay), (needle)))                                           \
			fail_msg("report does not contain \"%s\"", (needle));           \
	} while (0)

#define assert_not_contains(hay, needle)                                                \
	do {                                                                            \
		if (strstr((hay), (needle)))                                            \
			fail_msg("report contains \"%s\"", (needle));                   \
	} while (0)

#define MS 1e6

static char dir[64];

static int setup_dir(void **state)
{
	(void)state;
	return support_mkdtemp(dir, sizeof(dir), "report");
}

static int teardown_dir(void **state)
{
	(void)state;
	return support_rmtree(dir);
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *slurp_report(void)
{
	char path[PATH_MAX], *buf;

	snprintf(path, sizeof(path), "%s/report.html", dir);
	buf = support_read_file(path);
	assert_non_null(buf);
	return buf;
}

/* report_write() on the test directory, which must succeed; the page, to free. */
static char *write_report(void)
{
	assert_int_equal(report_write(dir), 0);
	return slurp_report();
}

static const char classic_spec[] =
	"[experiment]\n"
	"name = sched-virt\n"
	"description = 1 vCPU on CPU 0 <script>alert(1)</script> & co\n"
	"backend = kvm-mini\n"
	"duration = 3s\n"
	"\n"
	"[vm]\n"
	"vcpus = 1\n"
	"pin = 0\n"
	"\n"
	"[contention hog]\n"
	"cpu = 0\n"
	"start = 1s\n"
	"duration = 1s\n";

static const char classic_meta[] =
	"{\n"
	"  \"tool\": \"stealscope\",\n"
	"  \"version\": \"0.1.0\",\n"
	"  \"command_line\": [\"stealscope\", \"run\", \"sched-virt\", \"--out\", \"/tmp/x y\"],\n"
	"  \"started_utc\": \"2026-11-26T15:57:00Z\",\n"
	"  \"host\": {\n"
	"    \"kernel\": \"Linux 6.1.0-test #1 SMP\",\n"
	"    \"machine\": \"x86_64\",\n"
	"    \"cpu_model\": \"Test CPU <fast>\",\n"
	"    \"cpus_online\": \"0-1\",\n"
	"    \"ncpus_online\": 2,\n"
	"    \"kvm_module\": \"kvm_pvm\",\n"
	"    \"kvm_dev_usable\": true,\n"
	"    \"kvm_dev_error\": null\n"
	"  }\n"
	"}\n";

/* A phase_summary with every figure NaN. */
static void nan_summary(struct phase_summary *s)
{
	double *f = (double *)s;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(double); i++)
		f[i] = NAN;
}

/* The classic's contended phase: the numbers of the reading in report.h. */
static void contended_numbers(struct phase_summary *s)
{
	nan_summary(s);
	s->units_done = 245;
	s->work_rate_ups = 245;
	s->work_rate_frac_of_baseline = 0.51;
	s->longest_stall_ns = 4.1 * MS;
	s->p99_gap_ns = 3.9 * MS;
	s->guest_steal_pct = 49.1;
	s->guest_tick_steal_pct = 49.0;
	s->host_delay_pct = 49.6;
	s->steal_diff_pct = -0.5;
	s->host_usr_pct = 99.0;
	s->host_sys_pct = 1.0;
	s->host_steal_pct = 0.0;
}

/* A summary.csv with a baseline (run delay @baseline_delay_pct) and a contended phase. */
static void write_summary_delay(const char *policy, int guest, double baseline_delay_pct)
{
	struct summary_key k = { policy, NULL, 0 };
	struct phase_summary s;
	char path[PATH_MAX];
	struct csvw *w;

	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	w = summary_csv_open(path);
	assert_non_null(w);
	contended_numbers(&s);
	s.work_rate_ups = 480;
	s.work_rate_frac_of_baseline = 1;
	s.guest_steal_pct = s.steal_diff_pct = 0.2;
	s.host_delay_pct = baseline_delay_pct;
	s.guest_tick_steal_pct = 0;
	s.longest_stall_ns = 1.2 * MS;
	s.p99_gap_ns = 1.1 * MS;
	k.phase = "baseline";
	if (!guest)
		s.guest_steal_pct = s.guest_tick_steal_pct = s.steal_diff_pct = NAN;
	assert_int_equal(summary_csv_rep(w, &k, 0, &s), 0);
	contended_numbers(&s);
	if (!guest)
		s.guest_steal_pct = s.guest_tick_steal_pct = s.steal_diff_pct = NAN;
	k.phase = "contended";
	assert_int_equal(summary_csv_rep(w, &k, 0, &s), 0);
	assert_int_equal(csvw_commit(w), 0);
}

static void write_summary(const char *policy, int guest)
{
	write_summary_delay(policy, guest, 0.2);
}

static void classic_dir(void)
{
	put("spec.ini", classic_spec);
	put("meta.json", classic_meta);
	write_summary("default", 1);
	put("progress-default.png", "\x89PNG\r\n\x1a\n");
	put("progress-default.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
}

static void test_report_classic(void **state)
{
	char *html;

	(void)state;
	classic_dir();
	assert_int_equal(report_write(dir), 0);
	assert_int_equal(support_count_entries(dir, ".tmp."), 0);
	html = slurp_report();

	/* title and description, escaped */
	assert_contains(html, "<title>sched-virt \xe2\x80\x94 stealscope report</title>");
	assert_contains(html, "<h1>sched-virt</h1>");
	assert_contains(html, "1 vCPU on CPU 0 &lt;script&gt;alert(1)&lt;/script&gt; &amp; co");
	assert_not_contains(html, "<script");
	assert_not_contains(html, "INCOMPLETE");
	assert_not_contains(html, "interrupted");

	/* the reading, with the numbers of the contended phase */
	assert_contains(html, "<p class=\"reading\">While a host busy loop shared CPU 0 with the "
			"vCPU (1s to 2s), the vCPU spent 49.6% of its time runnable but waiting "
			"(host run delay); the guest&#39;s own steal clock reported 49.1% and its "
			"tick accounting 49%; progress stalled for up to 4.1 ms (p99 gap 3.9 ms); "
			"work rate fell to 51% of the baseline.</p>");

	/* the table: units in the headers, values, absent figures as a dash */
	assert_contains(html, "<th>host run delay<span class=\"u\">%</span></th>");
	assert_contains(html, "<th>longest stall<span class=\"u\">ms</span></th>");
	assert_contains(html, "<tr><td>default</td><td>contended</td><td>0</td><td>1 run</td>"
			"<td class=\"n\">245</td><td class=\"n\">245.0</td>"
			"<td class=\"n\">51.0</td><td class=\"n\">&ndash;</td>"
			"<td class=\"n\">4.10</td><td class=\"n\">3.90</td>"
			"<td class=\"n\">49.1</td><td class=\"n\">49.0</td>"
			"<td class=\"n\">49.6</td><td class=\"n\">-0.5</td>");
	assert_contains(html, "<td>baseline</td>");

	/* the plot that exists, with its SVG; none for the one that does not */
	assert_contains(html, "<img src=\"progress-default.png\"");
	assert_contains(html, "<a href=\"progress-default.svg\">SVG</a>");
	assert_not_contains(html, "steal-default.png");
	assert_not_contains(html, "policies.png");

	/* what was run */
	assert_contains(html, "<dt>Kernel</dt><dd>Linux 6.1.0-test #1 SMP</dd>");
	assert_contains(html, "<dt>CPU model</dt><dd>Test CPU &lt;fast&gt;</dd>");
	assert_contains(html, "<dt>KVM module</dt><dd>kvm_pvm</dd>");
	assert_contains(html, "<dt>/dev/kvm</dt><dd>usable</dd>");
	assert_contains(html, "<dt>Backend</dt><dd>kvm-mini</dd>");
	assert_contains(html, "<dd>stealscope run sched-virt --out &#39;/tmp/x y&#39;</dd>");
	assert_contains(html, "<pre>[experiment]\nname = sched-virt\n");
	/* self-contained: no script, no external URL */
	assert_not_contains(html, "http://");
	assert_not_contains(html, "https://");
	free(html);
}

/* A baseline the host disturbed: said beside the reading, as the runner says it. */
static void test_report_noisy_baseline_warned(void **state)
{
	char *html;

	(void)state;
	classic_dir();
	html = write_report();
	assert_not_contains(html, "<p class=\"warning\">");
	free(html);

	write_summary_delay("default", 1, SUMMARY_QUIET_BASELINE_PCT);  /* at the limit: quiet */
	html = write_report();
	assert_not_contains(html, "<p class=\"warning\">");
	free(html);

	write_summary_delay("default", 1, 7.3);
	html = write_report();
	assert_contains(html, "<p class=\"warning\">The baseline was not quiet: vCPU 0 spent "
			"7.3% of the time waiting before any host contention started (other load "
			"on the CPU?), so the contended figures and every fraction of the baseline "
			"are measured against a disturbed reference.</p>");
	free(html);
}

static void test_report_incomplete_banner(void **state)
{
	char *html;

	(void)state;
	classic_dir();
	put(RESDIR_INCOMPLETE, "run not finished\n");
	html = write_report();
	assert_contains(html, "<div class=\"banner\">This run was interrupted; the figures cover "
			"what was measured.</div>");
	free(html);
}

static void test_report_native_has_no_guest_view(void **state)
{
	char spec[sizeof(classic_spec) + 16], *p, *html;

	(void)state;
	snprintf(spec, sizeof(spec), "%s", classic_spec);
	p = strstr(spec, "kvm-mini");
	memcpy(p, "native  ", 8);          /* same length: "backend = native  " */
	put("spec.ini", spec);
	write_summary("default", 0);
	html = write_report();
	assert_contains(html, "<p class=\"reading\">Native backend: no guest, host run delay of "
			"the vCPU threads only. While a host busy loop shared CPU 0 with the vCPU "
			"thread (1s to 2s), the vCPU thread spent 49.6% of its time runnable but "
			"waiting (host run delay); progress stalled for up to 4.1 ms (p99 gap 3.9 "
			"ms); work rate fell to 51% of the baseline; this machine&#39;s own "
			"/proc/stat steal on those CPUs was 0.0%.</p>");
	assert_not_contains(html, "steal clock");
	/* no meta.json here: said, not guessed */
	assert_contains(html, "meta.json is missing or unreadable");
	assert_contains(html, "<dt>Backend</dt><dd>native</dd>");
	free(html);
}

static const char comparison_spec[] =
	"[experiment]\n"
	"name = pinning\n"
	"description = policies\n"
	"duration = 3s\n"
	"repeat = 2\n"
	"[vm]\n"
	"pin = 0\n"
	"[contention hog]\n"
	"cpu = 0\n"
	"[policy dedicated]\n"
	"description = vCPU alone on CPU 1\n"
	"vm.pin = 1\n"
	"[policy quota]\n"
	"description = limited to 50%\n"
	"vm.quota = 50\n"
	"contention = none\n";

static void test_report_comparison_means_and_skips(void **state)
{
	struct summary_key k = { "dedicated", "contended", 0 };
	struct phase_summary reps[2];
	struct phase_spread sp;
	char path[PATH_MAX], *html;
	struct csvw *w;

	(void)state;
	put("spec.ini", comparison_spec);
	put("meta.json", classic_meta);
	contended_numbers(&reps[0]);
	contended_numbers(&reps[1]);
	reps[0].host_delay_pct = 1.0;
	reps[1].host_delay_pct = 3.0;
	reps[0].work_rate_frac_of_baseline = reps[1].work_rate_frac_of_baseline = NAN;
	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	w = summary_csv_open(path);
	assert_non_null(w);
	assert_int_equal(summary_csv_rep(w, &k, 0, &reps[0]), 0);
	assert_int_equal(summary_csv_rep(w, &k, 1, &reps[1]), 0);
	summary_aggregate(reps, 2, &sp);
	assert_int_equal(summary_csv_spread(w, &k, &sp), 0);
	assert_int_equal(csvw_commit(w), 0);
	snprintf(path, sizeof(path), "%s/quota", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put("quota/SKIPPED", "requires cgroup-cpu-max: <no> cgroup v2 cpu controller\n");
	put("policies.png", "\x89PNG\r\n\x1a\n");

	html = write_report();
	/* one mean row (of 2), neither the repetitions nor sd/min/max */
	assert_contains(html, "<td>dedicated</td><td>contended</td><td>0</td><td>mean of 2</td>");
	assert_not_contains(html, "<td>0</td><td>0</td>");
	assert_not_contains(html, "<td>sd</td>");
	assert_contains(html, "<td class=\"n\">2.0</td>");     /* mean host delay */
	/* the reading: vCPU on CPU 1, hog on CPU 0, no baseline phase */
	assert_contains(html, "While a host busy loop ran on CPU 0 (0s to 3s), the vCPU spent "
			"2.0% of its time runnable but waiting (host run delay)");
	assert_contains(html, "; work rate was 245.0 units/s.</p>");
	assert_contains(html, "<h3>Policy dedicated</h3>");
	assert_contains(html, "<p class=\"skipped\">Skipped: requires cgroup-cpu-max: &lt;no&gt; "
			"cgroup v2 cpu controller</p>");
	assert_contains(html, "<h2>Skipped policies</h2>");
	assert_contains(html, "<li><b>quota</b>: requires cgroup-cpu-max: &lt;no&gt; cgroup v2 "
			"cpu controller</li>");
	assert_contains(html, "<img src=\"policies.png\"");
	assert_contains(html, "Phases: contended [0s, 3s); 2 repetitions.");
	free(html);
}

/* Without SKIPPED files, meta.json's per-policy status and reason are used. */
static void test_report_meta_policy_status(void **state)
{
	char *html;

	(void)state;
	put("spec.ini", comparison_spec);
	put("meta.json",
	    "{\"tool\": \"stealscope\", \"backend\": \"native\", \"host\": {},\n"
	    " \"policies\": [\n"
	    "  {\"name\": \"dedicated\", \"status\": \"failed\", \"reason\": \"thread <died>\"},\n"
	    "  {\"name\": \"quota\", \"status\": \"skipped\",\n"
	    "   \"reason\": \"needs cgroup-cpu-max: no cpu controller\"}]}\n");
	html = write_report();
	assert_contains(html, "<p class=\"skipped\">Failed: thread &lt;died&gt;. What it "
			"measured before that is shown below.</p>");
	assert_contains(html, "<li><b>quota</b>: needs cgroup-cpu-max: no cpu controller</li>");
	assert_not_contains(html, "<li><b>dedicated</b>");
	/* the run-wide backend of meta.json */
	assert_contains(html, "<dt>Backend</dt><dd>native</dd>");
	free(html);
}

/* --backend auto: the choice and its reason in "What was run"; the steal caption's window. */
static void test_report_backend_auto_and_steal_window(void **state)
{
	char *html;

	(void)state;
	classic_dir();
	put("meta.json",
	    "{\"tool\": \"stealscope\", \"backend\": \"native\", \"backend_requested\": \"auto\",\n"
	    " \"backend_reason\": \"kvm-mini needs /dev/kvm: No such file or directory\",\n"
	    " \"host\": {}}\n");
	put("steal-default.png", "\x89PNG\r\n\x1a\n");
	html = write_report();
	assert_contains(html, "<dt>Backend</dt><dd>native (chosen by --backend auto: kvm-mini "
			"needs /dev/kvm: No such file or directory)</dd>");
	/* sample_interval 10ms (the default): 5 samples make the 50 ms window */
	assert_contains(html, "<img src=\"steal-default.png\"");
	assert_contains(html, "each point over a sliding window of 50ms (5 samples)");
	free(html);

	/* without auto, the backend alone */
	put("meta.json", "{\"tool\": \"stealscope\", \"backend\": \"native\", "
	    "\"backend_requested\": \"native\", \"host\": {}}\n");
	html = write_report();
	assert_contains(html, "<dt>Backend</dt><dd>native</dd>");
	assert_not_contains(html, "--backend auto");
	free(html);
}

static void test_report_missing_pieces(void **state)
{
	char *html;

	(void)state;
	put("spec.ini", classic_spec);
	put(RESDIR_INCOMPLETE, "run not finished\n");
	html = write_report();
	assert_contains(html, "This run was interrupted");
	assert_contains(html, "No readable summary.csv");
	assert_contains(html, "meta.json is missing or unreadable");
	assert_contains(html, "No summary for this policy: the run stopped before it was measured.");
	assert_not_contains(html, "<img");
	free(html);

	/* a directory that is not there is an error, and nothing is written */
	assert_int_equal(report_write("/nonexistent-stealscope/run"), -ENOENT);
}

static void test_report_reading_text(void **state)
{
	struct phase_summary s;
	struct report_reading in = { .backend = "kvm-mini", .when = "", .subject = "the vCPU",
				     .s = &s };
	char buf[512], small[16];
	size_t n;

	(void)state;
	nan_summary(&s);
	s.host_delay_pct = 12.25;
	n = report_reading_text(&in, buf, sizeof(buf));
	assert_string_equal(buf, "The vCPU spent 12.2% of its time runnable but waiting (host run "
			    "delay); the guest reported no steal figures.");
	assert_int_equal(n, strlen(buf));

	/* only tick accounting; short stalls in microseconds; a rate above baseline */
	s.guest_tick_steal_pct = 10;
	s.longest_stall_ns = 850e3;
	s.work_rate_frac_of_baseline = 1.02;
	in.when = "Over the whole run (no host busy loop)";
	in.subject = "the vCPUs";
	in.plural = 1;
	report_reading_text(&in, buf, sizeof(buf));
	assert_string_equal(buf, "Over the whole run (no host busy loop), the vCPUs spent 12.2% of "
			    "their time runnable but waiting (host run delay); the guest's tick "
			    "accounting reported 10% steal; progress stalled for up to 850 \xc2\xb5s; "
			    "work rate rose to 102% of the baseline.");

	/* no delay figure at all */
	nan_summary(&s);
	s.work_rate_frac_of_baseline = 0.999;
	in.when = "";
	in.subject = "vCPU 1";
	in.plural = 0;
	report_reading_text(&in, buf, sizeof(buf));
	assert_string_equal(buf, "vCPU 1 had no host run delay recorded; the guest reported no "
			    "steal figures; work rate held at 100% of the baseline.");

	/* native: no guest clause; the note only where asked for */
	nan_summary(&s);
	s.host_delay_pct = 30;
	s.host_steal_pct = 2.5;
	in.backend = "native";
	in.backend_note = 1;
	in.subject = "vCPU thread 1";
	report_reading_text(&in, buf, sizeof(buf));
	assert_string_equal(buf, "Native backend: no guest, host run delay of the vCPU threads "
			    "only. vCPU thread 1 spent 30.0% of its time runnable but waiting (host "
			    "run delay); this machine's own /proc/stat steal on those CPUs was 2.5%.");
	in.backend_note = 0;
	report_reading_text(&in, buf, sizeof(buf));
	assert_string_equal(buf, "vCPU thread 1 spent 30.0% of its time runnable but waiting (host "
			    "run delay); this machine's own /proc/stat steal on those CPUs was 2.5%.");

	/* truncation: terminated, and the full length returned */
	n = report_reading_text(&in, small, sizeof(small));
	assert_int_equal(n, strlen(buf));
	assert_int_equal(strlen(small), sizeof(small) - 1);

	/* a TCG guest (libvirt): its steal is unavailable, said with the reason, never a number */
	nan_summary(&s);
	s.host_delay_pct = 50.4;
	s.guest_tick_steal_pct = 0;
	in.backend = "libvirt";
	in.guest_steal_unavailable = "TCG has no steal clock";
	in.subject = "the vCPU";
	report_reading_text(&in, buf, sizeof(buf));
	assert_string_equal(buf, "The vCPU spent 50.4% of its time runnable but waiting (host run "
			    "delay); the guest's own steal is unavailable (TCG has no steal clock).");
}

static void test_report_command(void **state)
{
	char *help[] = { "report", "--help", NULL };
	char *none[] = { "report", NULL };
	char *missing[] = { "report", "/nonexistent-stealscope/run", NULL };
	char *two[] = { "report", dir, "extra", NULL };
	char *ok[] = { "report", dir, NULL };
	char path[PATH_MAX], exp[PATH_MAX], run[PATH_MAX];
	char *by_exp[] = { "report", exp, NULL };

	(void)state;
	assert_int_equal(cmd_report(2, help), EXIT_OK);
	assert_int_equal(cmd_report(1, none), EXIT_USAGE);
	assert_string_equal(log_last_error(), "missing results directory DIR");
	assert_int_equal(cmd_report(2, missing), EXIT_USAGE);
	assert_string_equal(log_last_error(), "/nonexistent-stealscope/run: no such directory");
	assert_int_equal(cmd_report(3, two), EXIT_USAGE);
	assert_string_equal(log_last_error(), "unexpected argument 'extra'");
	/* a directory that is no run: refused as `stealscope plot` does, nothing written */
	assert_int_equal(cmd_report(2, ok), EXIT_USAGE);
	snprintf(path, sizeof(path), "%s: not a results directory: no spec.ini", dir);
	assert_contains(log_last_error(), path);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/spec.ini", dir);
	put("spec.ini", classic_spec);
	assert_int_equal(cmd_report(2, ok), EXIT_OK);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	assert_int_equal(access(path, R_OK), 0);
	/* a file where a directory belongs */
	ok[1] = path;
	assert_int_equal(cmd_report(2, ok), EXIT_USAGE);
	assert_contains(log_last_error(), "report.html: not a directory");

	/* an experiment's directory stands for its latest run, as for `stealscope plot` */
	snprintf(exp, sizeof(exp), "%s/exp", dir);
	assert_int_equal(mkdir(exp, 0755), 0);
	snprintf(run, sizeof(run), "%s/exp/latest", dir);
	assert_int_equal(symlink("..", run), 0);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(cmd_report(2, by_exp), EXIT_OK);
	snprintf(path, sizeof(path), "%s/exp/latest/report.html", dir);
	assert_int_equal(access(path, R_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_classic, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_report_noisy_baseline_warned, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_report_incomplete_banner, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_report_native_has_no_guest_view, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_report_comparison_means_and_skips, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_report_meta_policy_status, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_report_backend_auto_and_steal_window,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_report_missing_pieces, setup_dir,
						teardown_dir),
		cmocka_unit_test(test_report_reading_text),
		cmocka_unit_test_setup_teardown(test_report_command, setup_dir, teardown_dir),
	};

	log_init("test_report");
	log_set_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
