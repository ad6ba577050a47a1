/*
 * gnuplot: run gnuplot as a child process fed a generated script, and the
 * pieces every plot script shares (a growable script buffer, safe quoting of
 * strings, PNG+SVG output, shaded time windows).
 *
 * gnuplot is started with fork/execv and reads the script from a pipe on its
 * stdin; no shell is ever involved (never system() or popen()), so file names
 * and titles cannot inject commands. Anything a script embeds comes from the
 * caller's data and goes through gnuplot_quote(). This module never exits and
 * never leaves a zombie: every child it starts is reaped, killed first if it
 * overruns its timeout.
 */
#ifndef STEALSCOPE_PLOTS_GNUPLOT_H
#define STEALSCOPE_PLOTS_GNUPLOT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Returned (negative) when no gnuplot executable is on PATH. Distinct from
 * -ENOENT (a missing input file) so that tools can map it to exit 4.
 */
#define GNUPLOT_EMISSING (-ENOPKG)

/* Default limit for one gnuplot run; a plot takes well under a second. */
#define GNUPLOT_TIMEOUT_MS 30000

/* Default image size in pixels (both PNG and SVG). */
#define GNUPLOT_DEFAULT_WIDTH  1000
#define GNUPLOT_DEFAULT_HEIGHT 600

/*
 * Find an executable "gnuplot" in the colon-separated directory list @dirs
 * (empty components are skipped, never taken as the current directory).
 * Writes the full path to @out. Returns 0, GNUPLOT_EMISSING (logged as
 * "gnuplot not found: install gnuplot-nox (apt-get install gnuplot-nox)"),
 * or -ENAMETOOLONG.
 */
int gnuplot_find_in(const char *dirs, char *out, size_t len);

/* gnuplot_find_in() over $PATH ("/usr/bin:/bin" when PATH is unset). */
int gnuplot_find(char *out, size_t len);

/*
 * Run gnuplot on @script (NUL-terminated) with the child's working directory
 * @workdir (NULL: inherit ours). gnuplot reads the script as a file
 * (/dev/stdin), so it stops at the first error and names the line.
 * Its stdout goes to /dev/null, its stderr is captured: on failure the
 * error is logged with gnuplot's message (see log_last_error()); on success
 * any warnings it printed are logged as warnings.
 * Returns 0, GNUPLOT_EMISSING, -EIO (gnuplot failed), -ETIMEDOUT (killed
 * after @timeout_ms), -EINTR (not logged: SIGINT/SIGTERM asked the program
 * to stop, see cli_stop_requested(); gnuplot was killed at once, or not
 * started), or -errno from pipe/fork.
 */
int gnuplot_run_timeout(const char *script, const char *workdir, int timeout_ms);

/* gnuplot_run_timeout() with GNUPLOT_TIMEOUT_MS. */
int gnuplot_run(const char *script, const char *workdir);

/*
 * Quote @s as a gnuplot single-quoted string into @buf: 'it''s.png'.
 * Inside single quotes gnuplot interprets nothing except '' (one quote), so
 * any byte but a line break is safe. Returns 0, -EINVAL (a newline or CR,
 * which would end the command), or -ENAMETOOLONG (@buf too small).
 */
int gnuplot_quote(const char *s, char *buf, size_t len);

/* A growable script. Errors are sticky: check once in gnuplot_script_take(). */
struct gnuplot_script {
	char *buf;
	size_t len;
	size_t cap;
	int err;                       /* first error (-ENOMEM, -EINVAL), 0 if none */
};

void gnuplot_script_init(struct gnuplot_script *s);
void gnuplot_script_add(struct gnuplot_script *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append @str quoted with gnuplot_quote() rules. */
void gnuplot_script_quoted(struct gnuplot_script *s, const char *str);
/* Hand over the text (caller frees) or free it and return the sticky error. */
int gnuplot_script_take(struct gnuplot_script *s, char **out);
void gnuplot_script_free(struct gnuplot_script *s);

/* The colour of series @i ("#rrggbb"), from a fixed palette that cycles. */
const char *gnuplot_color(size_t i);

/* A shaded interval on the time axis, ns since the run's start. */
struct gnuplot_window {
	int64_t start_ns;
	int64_t end_ns;
};

/* Check windows: start >= 0 and end > start. -EINVAL (logged) otherwise. */
int gnuplot_windows_check(const struct gnuplot_window *w, size_t n);

/*
 * Append one translucent rectangle per window, x in ms, spanning the graph's
 * height behind the data, with the label @label centred near its top.
 */
void gnuplot_script_windows(struct gnuplot_script *s, const struct gnuplot_window *w,
			    size_t n, const char *label);

/*
 * Append the PNG terminal (pngcairo when this gnuplot has it, png
 * otherwise; decided by gnuplot itself at run time) and its output file.
 * Call before the plot command.
 */
void gnuplot_script_png(struct gnuplot_script *s, const char *path, int width, int height);

/* Append the switch to SVG and a replot into @path, then close the output. */
void gnuplot_script_svg_replot(struct gnuplot_script *s, const char *path, int width,
			       int height);

/*
 * Draw BASE.png and BASE.svg (and BASE.gp, the script itself, when
 * @save_script). @build appends the whole script for the given output
 * names; it is called once with temporary names that are renamed into place
 * only after gnuplot succeeded (no half-drawn plot under the final name), and
 * once more with the final names for the saved script.
 * Returns 0 or a negative code (logged), GNUPLOT_EMISSING included.
 */
int gnuplot_render(const char *out_base, int save_script,
		   int (*build)(struct gnuplot_script *s, const void *ctx,
				const char *png_path, const char *svg_path),
		   const void *ctx);

/*
 * The script @build appends for the outputs BASE.png and BASE.svg, without
 * running gnuplot: *@script gets the text (caller frees), NULL on error.
 * @what names the plot in the error message ("building the @what script").
 * Returns 0, -ENAMETOOLONG, -EINVAL (a line break in a name or title) or
 * -ENOMEM, all logged.
 */
int gnuplot_script_text(const char *out_base, const char *what,
			int (*build)(struct gnuplot_script *s, const void *ctx,
				     const char *png_path, const char *svg_path),
			const void *ctx, char **script);

#endif
