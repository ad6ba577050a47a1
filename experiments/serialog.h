/*
 * serialog: the host's reader of a libvirt guest's serial log, the guest ->
 * host half of docs/guest-protocol.md. The log grows while the guest runs;
 * the caller hands it whatever bytes are new (serialog_feed()), in pieces
 * of any size, and learns what happened: the guest said hello, said `go`
 * (the moment the host's t0 is taken from), finished sending a file, sent
 * an error, exited.
 *
 * Lines are split at '\n'; a '\r' before it (the tty's onlcr) is dropped.
 * A line is the protocol's only when it starts with "@@stealscope <ID> "
 * for this boot's ID; every other line outside a file (a kernel message,
 * busybox noise, a previous boot's marker) is counted and ignored, except
 * that the first few "guest: " lines (the guest tools' own diagnostics, such
 * as sched-load's calibration) are kept as notes. Between
 * `file NAME` and `endfile NAME LINES` every line is the file's, foreign or
 * not: a kernel message interleaved there makes the count disagree, and the
 * file is then rejected with the line numbers, never half-read.
 *
 * Pure: no I/O, no clocks. Each protocol error is logged once, when found,
 * as "<what>:<line>: ..." (@what names the log, e.g. its path), and counted;
 * reading goes on, so one bad file does not hide the next. The caller
 * decides what a missing or rejected file means. Nothing here exits.
 */
#ifndef STEALSCOPE_SERIALOG_H
#define STEALSCOPE_SERIALOG_H

#include <stddef.h>
#include <stdint.h>

#define SERIALOG_PREFIX "@@stealscope "
#define SERIALOG_ID_MIN 8              /* the boot ID: 8..16 lowercase hex digits */
#define SERIALOG_ID_MAX 16
#define SERIALOG_MAX_LINE 4096         /* longer lines: an error in a file, else cut */
#define SERIALOG_MAX_FILES 4
#define SERIALOG_NAME_MAX 64           /* file names: 1..63 of [A-Za-z0-9._-] */
#define SERIALOG_MAX_FILE_BYTES (64u << 20)
/* The guest's /init copies its tools' stderr to the console as "guest: ..." lines. */
#define SERIALOG_NOTE_PREFIX "guest: "
#define SERIALOG_MAX_NOTES 8
#define SERIALOG_NOTE_MAX 192

/* What serialog_feed() found (a bit mask of what is new). */
enum {
	SERIALOG_EV_HELLO = 1u << 0,
	SERIALOG_EV_GO = 1u << 1,
	SERIALOG_EV_FILE = 1u << 2,    /* a file ended (accepted or rejected) */
	SERIALOG_EV_ERROR = 1u << 3,   /* the guest sent an `error` line */
	SERIALOG_EV_EXIT = 1u << 4,
	SERIALOG_EV_PROTO = 1u << 5,   /* a protocol error (logged) */
};

struct serialog_file {
	char name[SERIALOG_NAME_MAX];
	char *text;                    /* its lines, each ended by '\n'; NUL-terminated */
	size_t len;                    /* bytes in text */
	size_t cap;
	int64_t lines;                 /* lines received */
	int64_t first_line;            /* log line of its `file` line */
	int64_t last_line;             /* log line of the line that ended it (`endfile`, or
					  what came instead; the log's last + 1 at its end);
					  0 while open */
	int ok;                        /* ended, and LINES matched */
	int rejected;                  /* ended badly, or a line was too long (see log) */
};

struct serialog {
	const char *what;              /* for messages (not owned) */
	char id[SERIALOG_ID_MAX + 1];
	char line[SERIALOG_MAX_LINE + 1]; /* the line being assembled */
	size_t linelen;
	int overlong;                  /* the line being assembled was cut */
	int64_t lineno;                /* lines completed so far */
	unsigned seen;                 /* SERIALOG_EV_* seen so far */
	/* hello */
	char tools_version[64];
	char kernel_release[128];
	/* go */
	int64_t t0_guest_ns;
	int64_t margin_ns;
	int64_t go_line;
	/* files, in the order they began */
	struct serialog_file files[SERIALOG_MAX_FILES];
	int nfiles;
	int open;                      /* index of the open file, -1: none */
	/* the end */
	int exit_status;               /* valid with SERIALOG_EV_EXIT */
	char guest_error[256];         /* the first `error` line's message */
	int64_t foreign;               /* lines outside any file that were not ours */
	/* the first "guest: " lines outside files, without the prefix (cut to fit) */
	char notes[SERIALOG_MAX_NOTES][SERIALOG_NOTE_MAX];
	int nnotes;
	int64_t errors;                /* protocol errors logged */
};

/* Nonzero when @id is a valid boot ID: 8..16 lowercase hex digits. */
int serialog_id_valid(const char *id);

/*
 * Start reading the log of the boot whose ID is @id (8..16 lowercase hex
 * digits; anything else gives -EINVAL, logged). @what names the log in
 * messages and must outlive @s. 0 or -EINVAL.
 */
int serialog_init(struct serialog *s, const char *what, const char *id);

/*
 * Read @n more bytes of the log. Returns the SERIALOG_EV_* events the
 * completed lines brought (0: nothing new), or -ENOMEM (logged). Protocol
 * errors are logged, counted in s->errors and flagged SERIALOG_EV_PROTO;
 * they do not stop the reading:
 *  - hello after go, a second go, go without two non-negative integers;
 *  - file before go, inside another file, a bad or repeated name, more than
 *    SERIALOG_MAX_FILES files;
 *  - endfile naming another file, or whose LINES is not the count received
 *    (the file is rejected: "progress.csv: endfile at line 160 says 120
 *    lines, 119 arrived (lines 41-159)");
 *  - exit or error while a file is open (the file is rejected), an exit
 *    without one integer status, an unknown word, a protocol line with a
 *    NUL byte;
 *  - a line longer than SERIALOG_MAX_LINE inside a file (rejected), or a
 *    file past SERIALOG_MAX_FILE_BYTES (rejected).
 * After `exit` every later line is ignored (the guest powers off).
 */
int serialog_feed(struct serialog *s, const char *buf, size_t n);

/*
 * The log ended (the domain is gone): a file still open is rejected
 * (logged). Returns SERIALOG_EV_PROTO when that happened, else 0. A partial
 * last line is dropped.
 */
int serialog_end(struct serialog *s);

/* The accepted file called @name, or NULL (absent, still open or rejected). */
const struct serialog_file *serialog_file(const struct serialog *s, const char *name);

/* Free the files' text; @s must be initialised again before reuse. */
void serialog_free(struct serialog *s);

#endif
