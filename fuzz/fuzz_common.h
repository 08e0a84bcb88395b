/*-------------------------------------------------------------------------
 * fuzz_common.h
 *		Shared by the pktcapture fuzz harnesses: the link-type selector
 *		table and the invariants every pkt_decode() result must satisfy.
 *
 * Header-only (static functions) so each harness stays one .c file.
 * An invariant violation prints what broke and calls abort(), which
 * libFuzzer and the replay driver both report as a crash.
 *
 * Two kinds of checks: fuzz_check_info() on the PktInfo alone (the
 * contract of pkt_decode.h: results, flags and the fields they make
 * valid), and fuzz_check_frame() of the PktInfo against the frame's own
 * bytes, read here independently of the decoder at the few places whose
 * offsets do not depend on the decoding (the outermost tag, the IP header,
 * an IPv4 transport header), so a field taken from the wrong bytes fails.
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


/* The results and their names, in enum order (pkt_result_name). */
static const char *const fuzz_result_names[PKT_NRESULTS] = {
	"ip", "not_ip", "unsupported", "truncated", "malformed"
};

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

/*
 * IPv6 headers that pkt_decode.c walks past to the header they name
 * (Hop-by-Hop, Routing, Fragment, AH, Destination Options, Shim6).  Any
 * other Next Header, Mobility and HIP included, is the upper layer.
 */
static inline int
fuzz_ipv6_walked(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 140;
}

/* Invariants of a single pkt_decode() result. */
static inline void
fuzz_check_info(int dlt, PktResult r, const PktInfo *info)
{
	FUZZ_CHECK((int) r >= 0 && (int) r < PKT_NRESULTS, "dlt %d: result %d", dlt, (int) r);
	/* PKT_NRESULTS in step with the enum, and each result its own name */
	FUZZ_CHECK(strcmp(pkt_result_name(r), fuzz_result_names[r]) == 0 &&
			   strcmp(pkt_result_name((PktResult) PKT_NRESULTS), "unknown") == 0,
			   "dlt %d: result %d is named %s", dlt, (int) r, pkt_result_name(r));
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
		PktInfo		none;

		/* nothing read: the struct as pkt_decode() clears it */
		memset(&none, 0, sizeof(none));
		none.ifindex = -1;
		FUZZ_CHECK(memcmp(info, &none, sizeof(none)) == 0,
				   "dlt %d: unsupported yet fields set", dlt);
		return;
	}

	if (r != PKT_IP)
	{
		/*
		 * Not a row: nothing IP-level may look valid.  Every decoder
		 * returns before it writes an IP field unless the result is
		 * PKT_IP; only the link layer's VLAN and ifindex may be set.
		 */
		FUZZ_CHECK((info->flags & (PKT_F_PORTS | PKT_F_TCP_FLAGS |
								   PKT_F_FRAGMENT | PKT_F_L4_TRUNCATED)) == 0,
				   "dlt %d: result %s with IP-level flags 0x%02x", dlt,
				   pkt_result_name(r), info->flags);
		FUZZ_CHECK(info->ip_version == 0 && info->ip_proto == 0 &&
				   info->src_port == 0 && info->dst_port == 0 && info->tcp_flags == 0 &&
				   fuzz_all_zero(info->src, 16) && fuzz_all_zero(info->dst, 16),
				   "dlt %d: result %s with IP fields set (version %u, proto %u)", dlt,
				   pkt_result_name(r), info->ip_version, info->ip_proto);
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
	/* ports only from the first fragment: see fuzz_check_frame */
}

static inline uint16_t
fuzz_be16(const uint8_t *p)
{
	return (uint16_t) ((p[0] << 8) | p[1]);
}

/*
 * Bytes before the network layer on this link type when no VLAN tag was
 * walked; for the EtherType link types also where the outermost tag's
 * Tag Control Information (PCP, DEI, VID) is, if there is one.
 */
static inline size_t
fuzz_link_len(int dlt)
{
	switch (dlt)
	{
		case DLT_EN10MB:
			return 14;			/* addresses, EtherType */
		case DLT_LINUX_SLL:
			return 16;
		case DLT_LINUX_SLL2:
			return 20;
		case DLT_NULL:
		case DLT_LOOP:
			return 4;			/* address family */
		default:
			return 0;			/* raw IP */
	}
}

static const char fuzz_no_ip_here[] = "no IP header with these addresses there";

/*
 * Is an IP header of the recorded version with the recorded addresses at
 * frame[h]?  If so, check what else it fixes.  Returns NULL when the
 * PktInfo agrees with the header at h, fuzz_no_ip_here if there is none,
 * else what disagrees.
 */
static inline const char *
fuzz_ip_header_at(const uint8_t *f, size_t caplen, size_t h, const PktInfo *info)
{
	int			v4 = info->ip_version == 4;
	size_t		alen = v4 ? 4 : 16;
	size_t		aoff = v4 ? 12 : 8;
	size_t		hmin = v4 ? 20 : 40;
	size_t		avail;
	size_t		iplen;			/* bytes the IP header says it covers; 0: unbounded */
	int			ports = (info->flags & PKT_F_PORTS) != 0;
	int			tflags = (info->flags & PKT_F_TCP_FLAGS) != 0;

	if (h > caplen || caplen - h < hmin ||
		(f[h] >> 4) != info->ip_version ||
		memcmp(f + h + aoff, info->src, alen) != 0 ||
		memcmp(f + h + aoff + alen, info->dst, alen) != 0)
		return fuzz_no_ip_here;
	avail = caplen - h;

	if (v4)
	{
		size_t		ihl = (size_t) (f[h] & 0x0F) * 4;
		uint16_t	frag = fuzz_be16(f + h + 6);
		size_t		t = h + ihl;

		iplen = fuzz_be16(f + h + 2);
		if (ihl < 20 || (iplen != 0 && iplen < ihl))
			return "a malformed IPv4 header is PKT_IP";
		if (info->ip_proto != f[h + 9])
			return "ip_proto is not the header's Protocol";
		if (((frag & 0x3FFF) != 0) != ((info->flags & PKT_F_FRAGMENT) != 0))
			return "PKT_F_FRAGMENT disagrees with MF and the fragment offset";
		if ((frag & 0x1FFF) != 0)
			return (info->flags & (PKT_F_PORTS | PKT_F_L4_TRUNCATED)) ?
				"ports or a cut transport header in a later fragment" : NULL;
		/* the transport header is at IHL, within the capture and iplen */
		if (ports && (t + 4 > caplen || (iplen != 0 && ihl + 4 > iplen) ||
					  fuzz_be16(f + t) != info->src_port ||
					  fuzz_be16(f + t + 2) != info->dst_port))
			return "the ports are not the 4 bytes after the IPv4 header";
		if (tflags && (t + 14 > caplen || (iplen != 0 && ihl + 14 > iplen) ||
					   (fuzz_be16(f + t + 12) & 0x0FFF) != info->tcp_flags))
			return "tcp_flags are not the 12 bits at byte 12 of the TCP header";
		/* ... and a whole one is never left out */
		if (fuzz_proto_has_ports(f[h + 9]) && !ports &&
			t + 4 <= caplen && (iplen == 0 || ihl + 4 <= iplen))
			return "no ports, though the transport header has them";
		if (f[h + 9] == 6 && !tflags &&
			t + 14 <= caplen && (iplen == 0 || ihl + 14 <= iplen))
			return "no tcp_flags, though the TCP header has them";
	}
	else
	{
		uint8_t		nh = f[h + 6];

		iplen = fuzz_be16(f + h + 4);
		if (iplen != 0)
			iplen += 40;		/* counted from h, as for IPv4 */
		/* straight to the upper layer: no extension header walked */
		if (!fuzz_ipv6_walked(nh))
		{
			size_t		t = h + 40;

			if (info->ip_proto != nh || (info->flags & PKT_F_FRAGMENT))
				return "ip_proto is not the Next Header of the IPv6 header, which is no header to walk";
			if (!fuzz_proto_has_ports(nh) && (info->flags & PKT_F_L4_TRUNCATED))
				return "PKT_F_L4_TRUNCATED for a protocol without ports";
			if (fuzz_proto_has_ports(nh) &&
				ports != (t + 4 <= caplen && (iplen == 0 || 44 <= iplen)))
				return "ports present or missing against the bytes after the IPv6 header";
			if (ports && (fuzz_be16(f + t) != info->src_port ||
						  fuzz_be16(f + t + 2) != info->dst_port))
				return "the ports are not the 4 bytes after the IPv6 header";
			if (nh == 6 && tflags != (t + 14 <= caplen && (iplen == 0 || 54 <= iplen)))
				return "tcp_flags present or missing against the TCP header";
			if (tflags && (fuzz_be16(f + t + 12) & 0x0FFF) != info->tcp_flags)
				return "tcp_flags are not the 12 bits at byte 12 of the TCP header";
		}
		else if (ports)
		{
			/* after extension headers, all multiples of 4 bytes long */
			size_t		t;
			int			found = 0;

			for (t = h + 40; t + 4 <= caplen && (iplen == 0 || t + 4 <= h + iplen); t += 4)
				if (fuzz_be16(f + t) == info->src_port &&
					fuzz_be16(f + t + 2) == info->dst_port &&
					(!tflags || (t + 14 <= caplen &&
								 (iplen == 0 || t + 14 <= h + iplen) &&
								 (fuzz_be16(f + t + 12) & 0x0FFF) == info->tcp_flags)))
				{
					found = 1;
					break;
				}
			if (!found)
				return "the ports (and tcp_flags) are nowhere after the IPv6 header";
		}
	}
	/* PKT_F_L4_TRUNCATED: the snap length, not the IP length, cut it */
	if ((info->flags & PKT_F_L4_TRUNCATED) && iplen != 0 && avail >= iplen)
		return "PKT_F_L4_TRUNCATED though the capture holds the whole IP packet";
	return NULL;
}

/*
 * The PktInfo of a supported link type against the frame's bytes: the
 * outermost tag's VID, the IP header (right after the link header when no
 * tag was walked, else 4 bytes further per tag), and what that header
 * fixes.
 */
static inline void
fuzz_check_frame(int dlt, const uint8_t *f, size_t caplen, PktResult r,
				 const PktInfo *info)
{
	size_t		base = fuzz_link_len(dlt);
	const char *why;
	size_t		h;

	if (r == PKT_UNSUPPORTED)
		return;
	/* SLL2: the ifindex of every frame whose link header is whole */
	if (dlt == DLT_LINUX_SLL2)
		FUZZ_CHECK(((info->flags & PKT_F_IFINDEX) != 0) == (caplen >= 20) &&
				   (caplen < 20 ||
					info->ifindex == (int32_t) (((uint32_t) fuzz_be16(f + 4) << 16) |
												fuzz_be16(f + 6))),
				   "dlt %d: ifindex %d (flag %d), caplen %zu: not bytes 4..7", dlt,
				   (int) info->ifindex, (info->flags & PKT_F_IFINDEX) != 0, caplen);
	if (info->flags & PKT_F_VLAN)
		FUZZ_CHECK(caplen >= base + 4 &&
				   info->vlan_id == (fuzz_be16(f + base) & 0x0FFF),
				   "dlt %d: vlan_id %u is not the outermost tag's VID", dlt, info->vlan_id);
	if (r != PKT_IP)
		return;

	/*
	 * An untagged frame has its IP header at base, a tagged one 4 bytes
	 * further per tag: any of those may be it (a hostile frame may repeat
	 * the addresses), and it must agree with the PktInfo.
	 */
	if (!(info->flags & PKT_F_VLAN))
		why = fuzz_ip_header_at(f, caplen, base, info);
	else
	{
		why = fuzz_no_ip_here;
		for (h = base + 4; h <= caplen; h += 4)
		{
			const char *w = fuzz_ip_header_at(f, caplen, h, info);

			if (w == NULL || why == fuzz_no_ip_here)
				why = w;
			if (w == NULL)
				break;
		}
	}
	FUZZ_CHECK(why == NULL, "dlt %d: IPv%u packet: %s", dlt, info->ip_version, why);
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
	fuzz_check_frame(dlt, copy, caplen, r, info);

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
