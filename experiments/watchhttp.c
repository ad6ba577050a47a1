/*
 * watchhttp: see watchhttp.h. libmicrohttpd does the HTTP; this file
 * parses the address, owns the socket and routes /metrics to the caller.
 * On the server's thread nothing calls log_err() (the last error is per
 * thread, and nothing there would read it); libmicrohttpd's own complaints
 * become warnings.
 */
#include "experiments/watchhttp.h"

#include "common/log.h"
#include "common/parse.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define CONNECTION_LIMIT 32u
#define CONNECTION_TIMEOUT_S 10u
#define LISTEN_BACKLOG 64

int watchhttp_parse_addr(const char *what, const char *s, struct watchhttp_addr *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	const char *colon = strrchr(s, ':'), *h = s;
	size_t hlen;
	char pwhat[64];
	int64_t port;
	int bracket = s[0] == '[', err;

	memset(out, 0, sizeof(*out));
	if (!colon || colon == s)
		return log_err(-EINVAL, "%s: invalid address '%s': expected ADDR:PORT, e.g. "
			       "127.0.0.1:9100 or [::1]:9100", what, s);
	hlen = (size_t)(colon - s);
	if (bracket) {
		if (hlen < 3 || colon[-1] != ']')
			return log_err(-EINVAL, "%s: invalid address '%s': an IPv6 address goes "
				       "in brackets, e.g. [::1]:9100", what, s);
		h = s + 1;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return log_err(-EINVAL, "%s: invalid address '%s': not a numeric IPv4 or IPv6 "
			       "address", what, s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(pwhat, sizeof(pwhat), "%s port", what);
	err = parse_i64(pwhat, colon + 1, 0, 65535, &port);
	if (err)
		return err;
	if (!bracket && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		out->len = sizeof(*v4);
	} else if (bracket && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*v6);
	} else {
		return log_err(-EINVAL, "%s: invalid address '%s': not a numeric IPv4 address "
			       "or a bracketed IPv6 one (host names are not looked up)", what, s);
	}
	snprintf(out->text, sizeof(out->text), "%s", s);
	return 0;
}

int watchhttp_listen(struct watchhttp_addr *a)
{
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	int fd, one = 1, e;
	uint16_t port;
	char host[INET6_ADDRSTRLEN];

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_err(-errno, "--listen %s: socket: %s", a->text, strerror(errno));
	/* Lets a restarted watch take its port back from TIME_WAIT; never a listened-on one. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) || listen(fd, LISTEN_BACKLOG)) {
		e = errno;
		close(fd);
		return log_err(-e, "--listen %s: %s", a->text, strerror(e));
	}
	if (getsockname(fd, (struct sockaddr *)&got, &glen) == 0) {
		if (got.ss_family == AF_INET) {
			port = ntohs(((struct sockaddr_in *)&got)->sin_port);
			inet_ntop(AF_INET, &((struct sockaddr_in *)&got)->sin_addr, host,
				  sizeof(host));
			snprintf(a->text, sizeof(a->text), "%s:%u", host, (unsigned)port);
		} else if (got.ss_family == AF_INET6) {
			port = ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&got)->sin6_addr, host,
				  sizeof(host));
			snprintf(a->text, sizeof(a->text), "[%s]:%u", host, (unsigned)port);
		}
	}
	return fd;
}

struct watchhttp {
	struct MHD_Daemon *d;
	watchhttp_render_fn render;
	void *ctx;
};

__attribute__((format(printf, 2, 0)))
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("http: %s", msg);
}

/* Queue a response of the text @body (static) with @status. */
static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status,
				   const char *body, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_metrics(struct watchhttp *h, struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	f = open_memstream(&buf, &len);
	if (!f)
		return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	err = h->render(h->ctx, f);
	if (fclose(f) || err) {
		free(buf);
		return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "the exposition could not be written\n", NULL);
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	static int first_call;
	struct watchhttp *h = cls;

	(void)version;
	(void)upload_data;
	/* The first call only announces the request; answer on the second (no body read). */
	if (!*req_cls) {
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;     /* a body nobody asked for: dropped */
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "405 method not allowed: GET /metrics\n", "GET, HEAD");
	if (strcmp(url, "/metrics"))
		return answer_text(conn, MHD_HTTP_NOT_FOUND,
				   "404 not found: stealscope serves only /metrics\n", NULL);
	return answer_metrics(h, conn);
}

int watchhttp_start(int fd, watchhttp_render_fn render, void *ctx, struct watchhttp **out)
{
	struct watchhttp *h;

	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return log_err(-ENOMEM, "http server: out of memory");
	}
	h->render = render;
	h->ctx = ctx;
	h->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				on_request, h,
				/* first, or libmicrohttpd logs on its own before it is seen */
				MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
				MHD_OPTION_END);
	if (!h->d) {
		close(fd);
		free(h);
		return log_err(-EIO, "http server: libmicrohttpd did not start");
	}
	*out = h;
	return 0;
}

void watchhttp_stop(struct watchhttp *h)
{
	if (!h)
		return;
	/* It closes the listening socket too, ours or not. */
	MHD_stop_daemon(h->d);
	free(h);
}
