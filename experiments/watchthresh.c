/*
 * watchthresh: see watchthresh.h. Pure: no I/O, no clock, no logging.
 */
#include "experiments/watchthresh.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double watchthresh_rearm_pct(double pct)
{
	double margin = pct / 2 < WATCHTHRESH_MARGIN_PCT ? pct / 2 : WATCHTHRESH_MARGIN_PCT;

	return pct - margin;
}

void watchthresh_init(struct watchthresh_state *st)
{
	memset(st, 0, sizeof(*st));
	st->armed = 1;
	st->last_fire_ns = INT64_MIN;
}

enum watchthresh_event watchthresh_update(const struct watchthresh_cfg *c,
					  struct watchthresh_state *st, int64_t start_ns,
					  int64_t end_ns, double value_pct)
{
	int contiguous = st->seen && st->last_end_ns == start_ns;

	st->seen = 1;
	st->last_end_ns = end_ns;
	if (!contiguous)
		st->above = 0;
	if (isnan(value_pct)) {
		st->above = 0;
		return WATCHTHRESH_NONE;
	}
	if (value_pct < c->rearm_pct)
		st->armed = 1;
	if (!(value_pct > c->above_pct)) {
		st->above = 0;
		return WATCHTHRESH_NONE;
	}
	if (!st->above) {
		st->above = 1;
		st->above_since_ns = start_ns;
	}
	if (!st->armed || end_ns - st->above_since_ns < c->for_ns)
		return WATCHTHRESH_NONE;
	st->armed = 0;
	if (st->last_fire_ns != INT64_MIN && end_ns - st->last_fire_ns < c->min_gap_ns)
		return WATCHTHRESH_SUPPRESSED;
	st->last_fire_ns = end_ns;
	return WATCHTHRESH_FIRE;
}

struct watchthresh_state *watchthresh_lookup(struct watchthresh_table *t, const char *key,
					     int64_t now_ns)
{
	struct watchthresh_entry *e, *nv;
	size_t i, k, ncap;

	for (k = 0; k < t->n; k++) {
		i = (t->hint + k) % t->n;
		if (strcmp(t->v[i].key, key) == 0) {
			t->hint = i + 1;
			t->v[i].seen_ns = now_ns;
			return &t->v[i].st;
		}
	}
	if (t->n == t->cap) {
		ncap = t->cap ? 2 * t->cap : 16;
		nv = realloc(t->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	e = &t->v[t->n];
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	e->seen_ns = now_ns;
	watchthresh_init(&e->st);
	t->n++;
	t->hint = t->n;
	return &e->st;
}

size_t watchthresh_expire(struct watchthresh_table *t, int64_t before_ns)
{
	size_t i, j = 0, gone;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].seen_ns < before_ns) {
			free(t->v[i].key);
			continue;
		}
		t->v[j++] = t->v[i];
	}
	gone = t->n - j;
	t->n = j;
	t->hint = 0;
	return gone;
}

void watchthresh_table_free(struct watchthresh_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].key);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
