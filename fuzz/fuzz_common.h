/*-------------------------------------------------------------------------
 * fuzz_common.h
 *		Shared by the pktcapture fuzz harnesses: the link-type selector
 *		table and the invariants every pkt_decode() result must satisfy.
 *
 * Header-only (static functions) so each harness stays one .c file.
 * An invariant violation prints what broke and calls abort(), which
 * libFuzzer and the replay driver both report as a crash.
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "fuzz_check.h"

#include "pkt_decode.h"

/*
 * fuzz_decode's input starts with a 2-byte little-endian selector; the
 * selector modulo FUZZ_NDLTS indexes this table.  Every link type of
 * pkt_decode.c's linktype_table, then one it does not support (radiotap).
 * fuzz_mkseeds writes the index itself, so seeds map back exactly.
 */
static const int fuzz_dlts[] = {
	DLT_EN10MB,
	DLT_LINUX_SLL,
	DLT_LINUX_SLL2,
	DLT_RAW,
	DLT_IPV4,
	DLT_IPV6,
	DLT_NULL,
	DLT_LOOP,
	DLT_IEEE802_11_RADIO,		/* unsupported: must give PKT_UNSUPPORTED */
};

#define FUZZ_NDLTS ((int) (sizeof(fuzz_dlts) / sizeof(fuzz_dlts[0])))
#define FUZZ_UNSUPPORTED_INDEX (FUZZ_NDLTS - 1)

#define FUZZ_KNOWN_FLAGS (PKT_F_PORTS | PKT_F_TCP_FLAGS | PKT_F_FRAGMENT | \
						  PKT_F_L4_TRUNCATED | PKT_F_VLAN | PKT_F_IFINDEX)


static inline int
fuzz_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Protocols whose first 4 bytes are the two ports, per pkt_decode.c. */
static inline int
fuzz_proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 ||
		proto == 136;
}

/* Invariants of a single pkt_decode() result. */
static inline void
fuzz_check_info(int dlt, PktResult r, const PktInfo *info)
{
	FUZZ_CHECK(r >= PKT_IP && r < PKT_NRESULTS, "dlt %d: result %d", dlt, (int) r);
	FUZZ_CHECK(pkt_result_name(r) != NULL && strcmp(pkt_result_name(r), "unknown") != 0,
			   "dlt %d: result %d has no name", dlt, (int) r);
	FUZZ_CHECK((r == PKT_UNSUPPORTED) == !pkt_dlt_supported(dlt),
			   "dlt %d: result %s, supported %d", dlt, pkt_result_name(r),
			   (int) pkt_dlt_supported(dlt));
	FUZZ_CHECK((info->flags & ~FUZZ_KNOWN_FLAGS) == 0,
			   "dlt %d: unknown flag bits 0x%02x", dlt, info->flags);
	FUZZ_CHECK((info->flags & PKT_F_IFINDEX) || info->ifindex == -1,
			   "dlt %d: ifindex %d without PKT_F_IFINDEX", dlt, (int) info->ifindex);
	FUZZ_CHECK(!(info->flags & PKT_F_IFINDEX) || dlt == DLT_LINUX_SLL2,
			   "dlt %d: PKT_F_IFINDEX outside SLL2", dlt);
	FUZZ_CHECK((info->flags & PKT_F_VLAN) || info->vlan_id == 0,
			   "dlt %d: vlan_id %u without PKT_F_VLAN", dlt, info->vlan_id);
	FUZZ_CHECK(info->vlan_id <= 0x0FFF, "dlt %d: vlan_id %u", dlt, info->vlan_id);
	FUZZ_CHECK(!(info->flags & PKT_F_VLAN) ||
			   dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2,
			   "dlt %d: PKT_F_VLAN on a link type without EtherType", dlt);

	if (r == PKT_UNSUPPORTED)
	{
		FUZZ_CHECK(info->flags == 0 && info->ip_version == 0,
				   "dlt %d: unsupported yet fields set", dlt);
		return;
	}

	if (r != PKT_IP)
	{
		/* Not a row: nothing IP-level may look valid. */
		FUZZ_CHECK((info->flags & (PKT_F_PORTS | PKT_F_TCP_FLAGS |
								   PKT_F_FRAGMENT | PKT_F_L4_TRUNCATED)) == 0,
				   "dlt %d: result %s with IP-level flags 0x%02x", dlt,
				   pkt_result_name(r), info->flags);
		return;
	}

	FUZZ_CHECK(info->ip_version == 4 || info->ip_version == 6,
			   "dlt %d: PKT_IP with ip_version %u", dlt, info->ip_version);
	if (info->ip_version == 4)
	{
		FUZZ_CHECK(fuzz_all_zero(info->src + 4, 12) && fuzz_all_zero(info->dst + 4, 12),
				   "dlt %d: IPv4 address bytes 4..15 not zero", dlt);
		FUZZ_CHECK(dlt != DLT_IPV6, "dlt %d: IPv4 from DLT_IPV6", dlt);
	}
	else
		FUZZ_CHECK(dlt != DLT_IPV4, "dlt %d: IPv6 from DLT_IPV4", dlt);

	/* ports and a cut transport header together: only TCP cut before its flags */
	FUZZ_CHECK(!((info->flags & PKT_F_PORTS) && (info->flags & PKT_F_L4_TRUNCATED)) ||
			   (info->ip_proto == 6 && !(info->flags & PKT_F_TCP_FLAGS)),
			   "dlt %d: PKT_F_PORTS and PKT_F_L4_TRUNCATED but not a TCP header cut before its flags", dlt);
	FUZZ_CHECK((info->flags & PKT_F_PORTS) || (info->src_port == 0 && info->dst_port == 0),
			   "dlt %d: ports %u/%u without PKT_F_PORTS", dlt, info->src_port,
			   info->dst_port);
	FUZZ_CHECK(!(info->flags & PKT_F_PORTS) || fuzz_proto_has_ports(info->ip_proto),
			   "dlt %d: ports for protocol %u", dlt, info->ip_proto);
	FUZZ_CHECK((info->flags & PKT_F_TCP_FLAGS) || info->tcp_flags == 0,
			   "dlt %d: tcp_flags without PKT_F_TCP_FLAGS", dlt);
	FUZZ_CHECK(!(info->flags & PKT_F_TCP_FLAGS) ||
			   (info->ip_proto == 6 && (info->flags & PKT_F_PORTS)),
			   "dlt %d: tcp flags for protocol %u / without ports", dlt, info->ip_proto);
	FUZZ_CHECK(info->tcp_flags <= 0x0FFF, "dlt %d: tcp_flags 0x%x", dlt, info->tcp_flags);
	/* ports only from the first fragment: a later one can't have them,
	 * but the harness cannot tell first from later here; see prefix check */
}

/*
 * Decode frame[0..caplen) and check the result.  The frame is copied
 * into a heap block of exactly caplen bytes so that ASan sees any read
 * past the captured length (libpcap's own buffer is larger).
 */
static inline PktResult
fuzz_decode_checked(int dlt, const uint8_t *frame, size_t caplen, PktInfo *info)
{
	uint8_t    *copy = malloc(caplen ? caplen : 1);
	PktResult	r;
	PktInfo		again;

	if (copy == NULL)
		abort();
	if (caplen)
		memcpy(copy, frame, caplen);
	/* poison the output first: pkt_decode must set every field */
	memset(info, 0xA5, sizeof(*info));
	r = pkt_decode(dlt, caplen ? copy : NULL, caplen, info);
	fuzz_check_info(dlt, r, info);

	/* deterministic, and independent of what the struct held before */
	memset(&again, 0x5A, sizeof(again));
	FUZZ_CHECK(pkt_decode(dlt, caplen ? copy : NULL, caplen, &again) == r,
			   "dlt %d: second decode gave another result", dlt);
	FUZZ_CHECK(again.ip_version == info->ip_version && again.ip_proto == info->ip_proto &&
			   again.flags == info->flags && again.src_port == info->src_port &&
			   again.dst_port == info->dst_port && again.tcp_flags == info->tcp_flags &&
			   again.vlan_id == info->vlan_id && again.ifindex == info->ifindex &&
			   memcmp(again.src, info->src, 16) == 0 &&
			   memcmp(again.dst, info->dst, 16) == 0,
			   "dlt %d: second decode gave other fields", dlt);
	free(copy);
	return r;
}

/*
 * Cutting a frame shorter (a smaller snap length) may only lose
 * information: the prefix decodes to the same result or to
 * PKT_TRUNCATED, and when both are IP packets the IP version, addresses
 * and VLAN are the same, and ports, if both have them, are the same.
 */
static inline void
fuzz_check_prefix(int dlt, const uint8_t *frame, size_t caplen,
				  PktResult full_r, const PktInfo *full, size_t cut)
{
	PktInfo		p;
	PktResult	r;

	if (cut >= caplen)
		return;
	r = fuzz_decode_checked(dlt, frame, cut, &p);
	FUZZ_CHECK(r == full_r || r == PKT_TRUNCATED || full_r == PKT_TRUNCATED,
			   "dlt %d: %zu bytes give %s but the first %zu give %s", dlt,
			   caplen, pkt_result_name(full_r), cut, pkt_result_name(r));
	FUZZ_CHECK(full_r != PKT_TRUNCATED || r == PKT_TRUNCATED,
			   "dlt %d: %zu bytes truncated but the first %zu give %s", dlt,
			   caplen, cut, pkt_result_name(r));
	if (r != PKT_IP || full_r != PKT_IP)
		return;
	FUZZ_CHECK(p.ip_version == full->ip_version &&
			   memcmp(p.src, full->src, 16) == 0 && memcmp(p.dst, full->dst, 16) == 0,
			   "dlt %d: prefix %zu/%zu changed IP version or addresses", dlt, cut, caplen);
	FUZZ_CHECK((p.flags & PKT_F_VLAN) == (full->flags & PKT_F_VLAN) &&
			   p.vlan_id == full->vlan_id,
			   "dlt %d: prefix %zu/%zu changed the VLAN", dlt, cut, caplen);
	FUZZ_CHECK((p.flags & PKT_F_FRAGMENT) || !(full->flags & PKT_F_FRAGMENT) ||
			   full->ip_version == 6,
			   "dlt %d: prefix %zu/%zu lost the IPv4 fragment flag", dlt, cut, caplen);
	if ((p.flags & PKT_F_PORTS) && (full->flags & PKT_F_PORTS))
		FUZZ_CHECK(p.src_port == full->src_port && p.dst_port == full->dst_port &&
				   p.ip_proto == full->ip_proto,
				   "dlt %d: prefix %zu/%zu changed ports", dlt, cut, caplen);
	FUZZ_CHECK(!(p.flags & PKT_F_PORTS) || (full->flags & PKT_F_PORTS),
			   "dlt %d: prefix %zu/%zu has ports, the whole frame not", dlt, cut, caplen);
}

/* Full check of one frame: its result, then a few shorter cuts of it. */
static inline PktResult
fuzz_decode_frame(int dlt, const uint8_t *frame, size_t caplen, PktInfo *info)
{
	PktResult	r = fuzz_decode_checked(dlt, frame, caplen, info);

	if (caplen > 0)
	{
		size_t		pick = 0;

		for (size_t i = 0; i < caplen && i < 8; i++)
			pick = pick * 31 + frame[caplen - 1 - i];
		fuzz_check_prefix(dlt, frame, caplen, r, info, caplen - 1);
		fuzz_check_prefix(dlt, frame, caplen, r, info, caplen / 2);
		fuzz_check_prefix(dlt, frame, caplen, r, info, pick % caplen);
	}
	return r;
}

#endif							/* FUZZ_COMMON_H */
