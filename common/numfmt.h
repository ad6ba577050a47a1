/*
 * numfmt: a double as the shortest decimal text that reads back to the
 * same double, for the writers of formats that other programs parse
 * (JSON, the Prometheus exposition). "0.1" stays "0.1" instead of
 * "0.10000000000000001", and no value loses a bit on the way.
 *
 * Pure: no allocation, no logging, no I/O.
 */
#ifndef STEALSCOPE_NUMFMT_H
#define STEALSCOPE_NUMFMT_H

#include <stddef.h>

/* Room for any finite double in numfmt_double()'s form, NUL included. */
#define NUMFMT_DOUBLE_LEN 32

/*
 * Write @v into @buf (@len bytes, at least NUMFMT_DOUBLE_LEN) as the first
 * of "%.15g", "%.16g" and "%.17g" that strtod() reads back as exactly @v:
 * 15 significant digits already give back any double that came from a
 * decimal of at most 15 digits, and 17 always round-trip. A non-finite @v
 * comes out as printf spells it ("nan", "inf", "-inf"): the formats differ
 * there (JSON has null, Prometheus NaN and +Inf), so callers spell those
 * themselves. Returns @buf.
 */
char *numfmt_double(double v, char *buf, size_t len);

#endif
