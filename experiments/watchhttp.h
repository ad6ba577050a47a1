/*
 * watchhttp: the /metrics endpoint of `stealscope watch --listen ADDR:PORT`,
 * served by libmicrohttpd in a thread of its own. GET (and HEAD) /metrics
 * answers 200 with the Prometheus text format (version 0.0.4) that the
 * caller's render callback writes; any other path answers 404, any other
 * method 405.
 *
 * The listening socket is made here before the server starts, so that a
 * busy port or an address this host does not have is a clear error before
 * anything else runs. Only this file includes libmicrohttpd's header, and
 * only the stealscope binary links it. It never renders metrics itself.
 */
#ifndef STEALSCOPE_WATCHHTTP_H
#define STEALSCOPE_WATCHHTTP_H

#include <stdio.h>
#include <sys/socket.h>

#define WATCHHTTP_ADDR_MAX 64          /* "[v6 address]:port" as given, NUL included */

struct watchhttp_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[WATCHHTTP_ADDR_MAX]; /* for messages: "127.0.0.1:9100", "[::1]:9100" */
};

/*
 * Parse "ADDR:PORT": a numeric IPv4 address ("127.0.0.1:9100",
 * "0.0.0.0:9100") or an IPv6 one in brackets ("[::1]:9100"), and a port
 * in [0, 65535] (0: any free port, said when listening). No host names:
 * the address says exactly where to listen. Returns 0, -EINVAL or
 * -ERANGE, logged as "@what: ...".
 */
int watchhttp_parse_addr(const char *what, const char *s, struct watchhttp_addr *out);

/*
 * Bind and listen on @a. Returns the socket (close-on-exec), or -errno
 * logged with the address ("--listen 127.0.0.1:9100: Address already in
 * use"). A port of 0 is replaced in @a->text by the one the kernel chose.
 */
int watchhttp_listen(struct watchhttp_addr *a);

/*
 * What /metrics answers: write the exposition to @f; 0, or an error
 * (answered 500). Called on the server's thread: the callback locks what
 * it reads.
 */
typedef int (*watchhttp_render_fn)(void *ctx, FILE *f);

struct watchhttp;

/*
 * Serve on the listening socket @fd (taken over: closed by
 * watchhttp_stop(), or here on error). Returns 0 and *@out, or -errno
 * (logged).
 */
int watchhttp_start(int fd, watchhttp_render_fn render, void *ctx, struct watchhttp **out);

/* Stop serving (waits for the server's thread), close the socket, free. NULL is fine. */
void watchhttp_stop(struct watchhttp *h);

#endif
