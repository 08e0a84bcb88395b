/*
 * pktop_model.c: one refresh folded into what the views draw: the
 * charted rates, the conversations' rates.
 *
 * t is a monotonic clock in seconds (for rates), now the wall clock (for
 * the times shown).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pktop_model.h"

void
model_init(Model *m, const char *iface)
{
	memset(m, 0, sizeof(*m));
	m->iface = iface;
	for (int i = 0; i < MODEL_HISTORY; i++)
		m->hist_pps[i] = m->hist_bps[i] = NAN;
	m->prev_packets = -1;
	m->prev_bytes = -1;
}

static void
hist_push(Model *m, double pps, double bps)
{
	memmove(m->hist_pps, m->hist_pps + 1, sizeof(double) * (MODEL_HISTORY - 1));
	memmove(m->hist_bps, m->hist_bps + 1, sizeof(double) * (MODEL_HISTORY - 1));
	m->hist_pps[MODEL_HISTORY - 1] = pps;
	m->hist_bps[MODEL_HISTORY - 1] = bps;
	if (m->hist_n < MODEL_HISTORY)
		m->hist_n++;
}

/*
 * now - before, for now >= before, computed in unsigned: with a negative
 * before (a server gone wrong) it may be past LLONG_MAX.
 */
static double
difference(long long now, long long before)
{
	return (double) ((unsigned long long) now - (unsigned long long) before);
}

/*
 * The rates to chart for a fresh snapshot taken at t: the server's 5 s
 * rate, as in the table (the counters move 4 times a second, so a 1 s
 * difference of totals would jitter); the difference of totals since the
 * last refresh only when the server gives no rate, and none across a
 * counter that went back (a new capture of the same name).  NAN when
 * unknown, and once the capture has ended: nothing to chart then.
 */
static void
chart_rates(Model *m, const Snap *fresh, double t, double *pps, double *bps)
{
	*pps = *bps = NAN;
	if (fresh->has_rate5 && fresh->rate5.has_packets && fresh->rate5.has_bytes)
	{
		*pps = (double) fresh->rate5.packets;
		*bps = (double) fresh->rate5.bytes * 8.0;
	}
	if (fresh->has_total && fresh->total.has_packets && fresh->total.has_bytes)
	{
		long long	p = fresh->total.packets,
					b = fresh->total.bytes;

		if (isnan(*pps) && m->prev_packets >= 0 && p >= m->prev_packets &&
			b >= m->prev_bytes && t > m->prev_t)
		{
			*pps = difference(p, m->prev_packets) / (t - m->prev_t);
			*bps = difference(b, m->prev_bytes) * 8.0 / (t - m->prev_t);
		}
		m->prev_packets = p;
		m->prev_bytes = b;
		m->prev_t = t;
	}
	if (!snap_active(fresh))
		*pps = *bps = NAN;
}

/* How many of the n flows are the same conversation as f. */
static int
count_same(const Flow *flows, int n, const Flow *f)
{
	int			same = 0;

	for (int i = 0; i < n; i++)
		same += snap_flow_same(&flows[i], f);
	return same;
}

/* The one flow of p that is the same conversation as f, or NULL. */
static const Flow *
find_flow(const FlowPast *p, const Flow *f)
{
	if (count_same(p->flows, p->n, f) != 1)
		return NULL;
	for (int i = 0; i < p->n; i++)
		if (snap_flow_same(&p->flows[i], f))
			return &p->flows[i];
	return NULL;
}

/* Every count of the conversation known, and none smaller than before. */
static bool
counts_grew(const Flow *before, const Flow *now)
{
	for (int d = 0; d < 2; d++)
		if (!before->has_packets[d] || !before->has_bytes[d] ||
			!now->has_packets[d] || !now->has_bytes[d] ||
			now->packets[d] < before->packets[d] || now->bytes[d] < before->bytes[d])
			return false;
	return true;
}

/*
 * The rate of fresh's flow f at t: its counts against the oldest refresh
 * kept, at most MODEL_FLOW_WINDOW old, from which on every refresh has
 * it, in the same interval, with counts that never went back (a new
 * capture of the same name starts from 0).  None when two flows look
 * alike (one conversation on two VLANs).
 */
static FlowRate
conversation_rate(const Model *m, const Snap *fresh, const Flow *f, double t)
{
	FlowRate	r = {false, 0, 0};
	const Flow *later = f,
			   *base = NULL;
	double		base_t = 0;

	if (count_same(fresh->flows, fresh->nflows, f) != 1)
		return r;
	for (int k = m->flow_past_n - 1; k >= 0; k--)
	{
		const FlowPast *p = &m->flow_past[k];
		const Flow *before = find_flow(p, f);

		if (p->interval != fresh->flows_interval || t - p->t > MODEL_FLOW_WINDOW ||
			before == NULL || !counts_grew(before, later))
			break;
		later = before;
		if (t > p->t)
		{
			base = before;
			base_t = p->t;
		}
	}
	if (base == NULL)
		return r;
	r.has = true;
	r.pps = (difference(f->packets[0], base->packets[0]) +
			 difference(f->packets[1], base->packets[1])) / (t - base_t);
	r.bps = (difference(f->bytes[0], base->bytes[0]) +
			 difference(f->bytes[1], base->bytes[1])) * 8.0 / (t - base_t);
	return r;
}

/* Keeps fresh's conversations for later rates, the oldest dropped. */
static void
flows_remember(Model *m, const Snap *fresh, double t)
{
	FlowPast   *p;

	if (m->flow_past_n == MODEL_FLOW_PAST)
	{
		memmove(m->flow_past, m->flow_past + 1, sizeof(FlowPast) * (MODEL_FLOW_PAST - 1));
		m->flow_past_n--;
	}
	p = &m->flow_past[m->flow_past_n++];
	p->t = t;
	p->interval = fresh->flows_interval;
	p->n = fresh->nflows;
	memcpy(p->flows, fresh->flows, sizeof(Flow) * fresh->nflows);
}

/* The rates of fresh's conversations at t, then fresh kept. */
static void
flow_rates(Model *m, const Snap *fresh, double t)
{
	memset(m->flow_rate, 0, sizeof(m->flow_rate));
	if (fresh->flows_state != SNAP_FLOWS_READ || !fresh->has_flows_interval)
		return;
	for (int i = 0; i < fresh->nflows; i++)
		m->flow_rate[i] = conversation_rate(m, fresh, &fresh->flows[i], t);
	flows_remember(m, fresh, t);
}

/* A refresh that read fresh at t (monotonic) and now (wall clock). */
void
model_update(Model *m, const Snap *fresh, double t, time_t now)
{
	double		pps,
				bps;
	struct tm	tm;

	chart_rates(m, fresh, t, &pps, &bps);
	hist_push(m, pps, bps);
	flow_rates(m, fresh, t);
	m->snap = *fresh;
	m->have_snap = true;
	m->stale = false;
	m->errmsg[0] = '\0';
	localtime_r(&now, &tm);
	strftime(m->fetched_at, sizeof(m->fetched_at), "%H:%M:%S", &tm);
}

/* A refresh that failed: keep the last snapshot, mark it stale, say why. */
void
model_fail(Model *m, const char *why, time_t now)
{
	if (!m->stale)
		m->err_since = now;
	m->stale = true;
	snprintf(m->errmsg, sizeof(m->errmsg), "%s", why);
	hist_push(m, NAN, NAN);
	m->prev_packets = -1;
}
