/*-------------------------------------------------------------------------
 * pkt_decode.c
 *		Bounds-checked decoder from a captured frame to a PktInfo.
 *
 * Every byte handed to this file is hostile.  All reads go through a
 * PktCursor whose accessors check the captured length (never the length
 * on the wire) and fail softly: an out-of-range read returns 0 and sets
 * the cursor's overrun flag, which each decoder tests before it trusts
 * what it read.  Nothing here allocates, recurses without bound or calls
 * outside the C library, so the decoder cannot crash the server whatever
 * arrives.
 *
 * The rules (see README "What is stored"):
 * - the outermost IP header is the one recorded;
 * - IPv6 extension headers are walked to the upper-layer protocol: the
 *   headers that name a header after them (Hop-by-Hop, Routing, Fragment,
 *   Destination Options, AH, Shim6) are skipped; a header that is itself
 *   the last one of its packet (Mobility, HIP; ESP, which hides what
 *   follows) is the upper-layer protocol, whatever its Next Header says,
 *   as tshark records it (and tcpdump, for Mobility);
 * - ports come from TCP, UDP, UDP-Lite, SCTP and DCCP, and only from the
 *   first fragment of a fragmented datagram; the transport header is read
 *   within the length the IP header gives, never from link-layer padding;
 * - a frame that ends before both IP addresses is truncated; a header
 *   that contradicts itself is malformed; a frame whose IP header is
 *   whole but whose transport header was cut by the snap length is still
 *   an IP packet, flagged PKT_F_L4_TRUNCATED, without ports.
 *-------------------------------------------------------------------------
 */
#include "pkt_decode.h"

#include <string.h>

#include <pcap/dlt.h>

/* Frame bytes still to be decoded. */
typedef struct PktCursor
{
	const uint8_t *ptr;
	size_t		len;
	bool		overrun;
} PktCursor;

static inline bool
cur_has(const PktCursor *c, size_t off, size_t n)
{
	return off <= c->len && c->len - off >= n;
}

static inline uint8_t
cur_u8(PktCursor *c, size_t off)
{
	if (!cur_has(c, off, 1))
	{
		c->overrun = true;
		return 0;
	}
	return c->ptr[off];
}

static inline uint16_t
cur_be16(PktCursor *c, size_t off)
{
	if (!cur_has(c, off, 2))
	{
		c->overrun = true;
		return 0;
	}
	return (uint16_t) ((c->ptr[off] << 8) | c->ptr[off + 1]);
}

static inline uint32_t
cur_be32(PktCursor *c, size_t off)
{
	if (!cur_has(c, off, 4))
	{
		c->overrun = true;
		return 0;
	}
	return ((uint32_t) c->ptr[off] << 24) | ((uint32_t) c->ptr[off + 1] << 16) |
		((uint32_t) c->ptr[off + 2] << 8) | (uint32_t) c->ptr[off + 3];
}

static inline bool
cur_copy(PktCursor *c, size_t off, void *dst, size_t n)
{
	if (!cur_has(c, off, n))
	{
		c->overrun = true;
		return false;
	}
	memcpy(dst, c->ptr + off, n);
	return true;
}

static inline bool
cur_skip(PktCursor *c, size_t n)
{
	if (n > c->len)
	{
		c->overrun = true;
		return false;
	}
	c->ptr += n;
	c->len -= n;
	return true;
}

/* ------------------------------------------------------------------------
 * Transport layer: only the first bytes matter.
 *
 * TCP (RFC 9293), UDP (RFC 768), UDP-Lite (RFC 3828), SCTP (RFC 9260) and
 * DCCP (RFC 4340) all begin with the two ports:
 *
 *	0                   1                   2                   3
 *	0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |          Source Port          |       Destination Port        |
 * +-------------------------------+-------------------------------+
 * TCP goes on with sequence (4), acknowledgment (4), then
 * | DOff  |Rsrvd|A|C|E|U|A|P|R|S|F|  at byte 12, the flags we keep.
 * ------------------------------------------------------------------------
 */
#define IPPROTO_NUM_TCP		6
#define IPPROTO_NUM_UDP		17
#define IPPROTO_NUM_DCCP	33
#define IPPROTO_NUM_SCTP	132
#define IPPROTO_NUM_UDPLITE 136

/*
 * Bound the cursor to the n bytes the IP header says follow.  Returns true
 * if the capture ends before them (the snap length cut the packet), false
 * if they are all there, in which case bytes past them (Ethernet padding)
 * are no longer visible.
 */
static bool
cur_limit(PktCursor *c, size_t n)
{
	if (c->len < n)
		return true;
	c->len = n;
	return false;
}

/*
 * The transport header, in the bytes the IP header says it carries.  A
 * header that does not fit is only "truncated" if the capture cut it;
 * if the IP packet itself is too short, it simply has no ports.
 */
static void
decode_transport(PktCursor *c, PktInfo *info, bool capture_cut)
{
	switch (info->ip_proto)
	{
		case IPPROTO_NUM_TCP:
		case IPPROTO_NUM_UDP:
		case IPPROTO_NUM_DCCP:
		case IPPROTO_NUM_SCTP:
		case IPPROTO_NUM_UDPLITE:
			break;
		default:
			return;
	}
	if (!cur_has(c, 0, 4))
	{
		if (capture_cut)
			info->flags |= PKT_F_L4_TRUNCATED;
		return;
	}
	info->src_port = cur_be16(c, 0);
	info->dst_port = cur_be16(c, 2);
	info->flags |= PKT_F_PORTS;
	if (info->ip_proto != IPPROTO_NUM_TCP)
		return;
	if (!cur_has(c, 12, 2))
	{
		if (capture_cut)
			info->flags |= PKT_F_L4_TRUNCATED;
		return;
	}
	info->tcp_flags = cur_be16(c, 12) & 0x0FFF;
	info->flags |= PKT_F_TCP_FLAGS;
}

/* ------------------------------------------------------------------------
 * IPv4, RFC 791.
 *
 *	0                   1                   2                   3
 *	0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+-------+---------------+-------------------------------+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-------+-------+---------------+-----+-------------------------+
 * |         Identification        |Flags|      Fragment Offset    |
 * +---------------+---------------+-----+-------------------------+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +---------------+---------------+-------------------------------+
 * |                       Source Address                          |
 * +---------------------------------------------------------------+
 * |                    Destination Address                        |
 * +---------------------------------------------------------------+
 * |                    Options (IHL > 5)                          |
 * ------------------------------------------------------------------------
 */
static PktResult
decode_ipv4(PktCursor *c, PktInfo *info)
{
	uint8_t		vihl;
	size_t		hlen;
	uint16_t	total_len;
	uint16_t	frag;

	if (!cur_has(c, 0, 20))
		return PKT_TRUNCATED;
	vihl = cur_u8(c, 0);
	if ((vihl >> 4) != 4)
		return PKT_MALFORMED;
	hlen = (size_t) (vihl & 0x0F) * 4;
	if (hlen < 20)
		return PKT_MALFORMED;
	total_len = cur_be16(c, 2);

	/*
	 * A total length of zero is what TCP segmentation offload leaves in
	 * captures taken on the sending host; like tcpdump, accept it.
	 */
	if (total_len != 0 && total_len < hlen)
		return PKT_MALFORMED;

	info->ip_version = 4;
	frag = cur_be16(c, 6);
	info->ip_proto = cur_u8(c, 9);
	cur_copy(c, 12, info->src, 4);
	cur_copy(c, 16, info->dst, 4);

	/* MF set, or a non-zero offset */
	if (frag & 0x3FFF)
		info->flags |= PKT_F_FRAGMENT;
	if ((frag & 0x1FFF) != 0)
		return PKT_IP;			/* only the first fragment has ports */

	if (!cur_skip(c, hlen))
	{
		info->flags |= PKT_F_L4_TRUNCATED;
		return PKT_IP;
	}
	decode_transport(c, info,
					 total_len == 0 ? true : cur_limit(c, (size_t) total_len - hlen));
	return PKT_IP;
}

/* ------------------------------------------------------------------------
 * IPv6, RFC 8200.
 *
 *	0                   1                   2                   3
 *	0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+---------------+---------------------------------------+
 * |Version| Traffic Class |           Flow Label                  |
 * +-------+---------------+-------+---------------+---------------+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-------------------------------+---------------+---------------+
 * |                  Source Address (16 bytes)                    |
 * |               Destination Address (16 bytes)                  |
 * +---------------------------------------------------------------+
 *
 * Extension headers (RFC 8200 section 4, IANA "IPv6 Extension Header
 * Types") are walked to the upper-layer protocol:
 * +---------------+---------------+
 * |  Next Header  |  Hdr Ext Len  |  ... (Hdr Ext Len + 1) * 8 bytes
 * +---------------+---------------+
 * except the Fragment header (fixed 8 bytes, offset in bits 16..28) and
 * AH (RFC 4302, length in 4-byte units minus 2).  Shim6 (RFC 5533) has
 * the same first two bytes, for its payload extension header and its
 * control messages alike, and is walked too.
 *
 * Three headers of that registry end the chain and are the protocol
 * recorded: ESP (50) hides what follows; the Mobility header (RFC 6275
 * section 6.1.1) and HIP (RFC 7401 section 5.1) carry a message of their
 * own, and their Payload Proto / Next Header is No Next Header (59), kept
 * for "a future extension".  tshark dissects nothing after either, nor
 * tcpdump after Mobility, so a Mobility header is recorded as 135, not as
 * the 59 it names (62, the drafts' Mobility number, is never walked).
 * ------------------------------------------------------------------------
 */
#define IP6_NH_HOPOPTS	0
#define IP6_NH_ROUTING	43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_AH		51
#define IP6_NH_DSTOPTS	60
#define IP6_NH_SHIM6	140

static PktResult
decode_ipv6(PktCursor *c, PktInfo *info)
{
	uint8_t		nh;
	uint16_t	payload_len;
	bool		capture_cut;

	if (!cur_has(c, 0, 40))
		return PKT_TRUNCATED;
	if ((cur_u8(c, 0) >> 4) != 6)
		return PKT_MALFORMED;

	info->ip_version = 6;
	payload_len = cur_be16(c, 4);
	nh = cur_u8(c, 6);
	cur_copy(c, 8, info->src, 16);
	cur_copy(c, 24, info->dst, 16);
	cur_skip(c, 40);
	/* a payload length of 0 is a jumbogram (RFC 2675) or TSO: unbounded */
	capture_cut = payload_len == 0 ? true : cur_limit(c, payload_len);

	/*
	 * Each extension header moves the cursor forward by at least 8 bytes,
	 * so the walk ends within caplen / 8 steps.
	 */
	for (;;)
	{
		size_t		ext_len;

		info->ip_proto = nh;
		switch (nh)
		{
			case IP6_NH_HOPOPTS:
			case IP6_NH_ROUTING:
			case IP6_NH_DSTOPTS:
			case IP6_NH_SHIM6:
				ext_len = ((size_t) cur_u8(c, 1) + 1) * 8;
				break;
			case IP6_NH_AH:
				ext_len = ((size_t) cur_u8(c, 1) + 2) * 4;
				break;
			case IP6_NH_FRAGMENT:
				{
					uint16_t	offlg = cur_be16(c, 2);

					ext_len = 8;
					if (!c->overrun)
					{
						info->flags |= PKT_F_FRAGMENT;
						if ((offlg & 0xFFF8) != 0)
						{
							/* later fragment: protocol known, no ports */
							info->ip_proto = cur_u8(c, 0);
							return PKT_IP;
						}
					}
					break;
				}
			default:
				/* the upper layer, or a header that is the last one */
				decode_transport(c, info, capture_cut);
				return PKT_IP;
		}
		nh = cur_u8(c, 0);
		if (c->overrun || !cur_skip(c, ext_len))
		{
			/*
			 * The chain is cut, by the capture or by the payload length:
			 * the protocol recorded is the type of the header that is cut.
			 */
			if (capture_cut)
				info->flags |= PKT_F_L4_TRUNCATED;
			return PKT_IP;
		}
	}
}

/* ------------------------------------------------------------------------
 * Network layer dispatch: EtherType (IEEE 802) to decoder.
 * ------------------------------------------------------------------------
 */
typedef PktResult (*PktNetDecoder) (PktCursor *c, PktInfo *info);

typedef struct EtherTypeEntry
{
	uint16_t	ethertype;
	PktNetDecoder decode;
} EtherTypeEntry;

static const EtherTypeEntry ethertype_table[] = {
	{0x0800, decode_ipv4},
	{0x86DD, decode_ipv6},
};

static PktResult
decode_ethertype(uint16_t ethertype, PktCursor *c, PktInfo *info)
{
	for (size_t i = 0; i < sizeof(ethertype_table) / sizeof(ethertype_table[0]); i++)
	{
		if (ethertype_table[i].ethertype == ethertype)
			return ethertype_table[i].decode(c, info);
	}
	return PKT_NOT_IP;
}

/* A payload that is IP of either version, told by its first nibble. */
static PktResult
decode_ip_any(PktCursor *c, PktInfo *info)
{
	uint8_t		v;

	if (!cur_has(c, 0, 1))
		return PKT_TRUNCATED;
	v = cur_u8(c, 0) >> 4;
	if (v == 4)
		return decode_ipv4(c, info);
	if (v == 6)
		return decode_ipv6(c, info);
	return PKT_MALFORMED;
}

/* ------------------------------------------------------------------------
 * Link layers.
 * ------------------------------------------------------------------------
 */

/*
 * 802.1Q customer tag, 802.1ad service tag, and the pre-standard QinQ
 * tags some switches still send.  Each one is 4 bytes:
 * +-------------------------------+-----+-+-----------------------+
 * |  TPID (the EtherType above)   | PCP |D|         VID           |
 * +-------------------------------+-----+-+-----------------------+
 * |      EtherType of what follows (or another tag)               |
 */
static bool
is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == 0x8100 || ethertype == 0x88A8 ||
		ethertype == 0x9100 || ethertype == 0x9200;
}

/*
 * Walk stacked VLAN tags starting with the given EtherType at the
 * cursor, then hand the payload to the network layer.
 */
static PktResult
decode_after_ethertype(uint16_t ethertype, PktCursor *c, PktInfo *info)
{
	while (is_vlan_tpid(ethertype))
	{
		if (!cur_has(c, 0, 4))
			return PKT_TRUNCATED;
		if (!(info->flags & PKT_F_VLAN))
		{
			info->vlan_id = cur_be16(c, 0) & 0x0FFF;
			info->flags |= PKT_F_VLAN;
		}
		ethertype = cur_be16(c, 2);
		cur_skip(c, 4);
	}
	return decode_ethertype(ethertype, c, info);
}

/*
 * Ethernet II, DLT_EN10MB.
 * +-----------------+-----------------+-----------+
 * | Destination (6) |   Source (6)    | Type (2)  |
 * +-----------------+-----------------+-----------+
 * A Type below 0x0600 is an IEEE 802.3 length: LLC follows, not IP.
 */
static PktResult
decode_ether(PktCursor *c, PktInfo *info)
{
	uint16_t	ethertype;

	if (!cur_has(c, 0, 14))
		return PKT_TRUNCATED;
	ethertype = cur_be16(c, 12);
	cur_skip(c, 14);
	if (ethertype < 0x0600)
		return PKT_NOT_IP;
	return decode_after_ethertype(ethertype, c, info);
}

/*
 * Linux cooked capture v1, DLT_LINUX_SLL (what "any" gives on old
 * libpcap):
 * +-------------+-------------+-------------+----------------+----------+
 * | pkttype (2) | ARPHRD (2)  | addr len (2)| link addr (8)  | proto (2)|
 * +-------------+-------------+-------------+----------------+----------+
 */
static PktResult
decode_sll(PktCursor *c, PktInfo *info)
{
	uint16_t	proto;

	if (!cur_has(c, 0, 16))
		return PKT_TRUNCATED;
	proto = cur_be16(c, 14);
	cur_skip(c, 16);
	return decode_after_ethertype(proto, c, info);
}

/*
 * Linux cooked capture v2, DLT_LINUX_SLL2 (what "any" gives now):
 * +-----------+-------------+--------------+------------+-----------+
 * | proto (2) | reserved (2)| ifindex (4)  | ARPHRD (2) | pkttype(1)|
 * +-----------+-------------+--------------+------------+-----------+
 * | addr len (1) | link-layer address (8)                           |
 */
static PktResult
decode_sll2(PktCursor *c, PktInfo *info)
{
	uint16_t	proto;

	if (!cur_has(c, 0, 20))
		return PKT_TRUNCATED;
	proto = cur_be16(c, 0);
	info->ifindex = (int32_t) cur_be32(c, 4);
	info->flags |= PKT_F_IFINDEX;
	cur_skip(c, 20);
	return decode_after_ethertype(proto, c, info);
}

static PktResult
decode_raw_ipv4(PktCursor *c, PktInfo *info)
{
	return decode_ipv4(c, info);
}

static PktResult
decode_raw_ipv6(PktCursor *c, PktInfo *info)
{
	return decode_ipv6(c, info);
}

/*
 * BSD loopback.  A 4-byte address family, in the capturing host's byte
 * order for DLT_NULL and in network order for DLT_LOOP.  AF_INET6 has a
 * different value on each BSD and on Linux, so all of them are accepted.
 */
static PktResult
decode_af(uint32_t family, PktCursor *c, PktInfo *info)
{
	switch (family)
	{
		case 2:					/* AF_INET everywhere */
			return decode_ipv4(c, info);
		case 10:				/* Linux */
		case 24:				/* NetBSD, OpenBSD, BSD/OS */
		case 28:				/* FreeBSD, DragonFly */
		case 30:				/* Darwin */
			return decode_ipv6(c, info);
		default:
			return PKT_NOT_IP;
	}
}

static PktResult
decode_null(PktCursor *c, PktInfo *info)
{
	uint32_t	family;

	if (!cur_has(c, 0, 4))
		return PKT_TRUNCATED;
	family = cur_be32(c, 0);
	/* written in host order: a big value means the other byte order */
	if ((family & 0xFFFF0000) != 0)
		family = ((family & 0xFF) << 24) | ((family & 0xFF00) << 8) |
			((family >> 8) & 0xFF00) | (family >> 24);
	cur_skip(c, 4);
	return decode_af(family, c, info);
}

static PktResult
decode_loop(PktCursor *c, PktInfo *info)
{
	uint32_t	family;

	if (!cur_has(c, 0, 4))
		return PKT_TRUNCATED;
	family = cur_be32(c, 0);
	cur_skip(c, 4);
	return decode_af(family, c, info);
}

typedef struct LinkTypeEntry
{
	int			dlt;
	PktNetDecoder decode;
} LinkTypeEntry;

static const LinkTypeEntry linktype_table[] = {
	{DLT_EN10MB, decode_ether},
	{DLT_LINUX_SLL, decode_sll},
	{DLT_LINUX_SLL2, decode_sll2},
	{DLT_RAW, decode_ip_any},
	{DLT_IPV4, decode_raw_ipv4},
	{DLT_IPV6, decode_raw_ipv6},
	{DLT_NULL, decode_null},
	{DLT_LOOP, decode_loop},
};

static PktNetDecoder
find_link_decoder(int dlt)
{
	for (size_t i = 0; i < sizeof(linktype_table) / sizeof(linktype_table[0]); i++)
	{
		if (linktype_table[i].dlt == dlt)
			return linktype_table[i].decode;
	}
	return NULL;
}

bool
pkt_dlt_supported(int dlt)
{
	return find_link_decoder(dlt) != NULL;
}

PktResult
pkt_decode(int dlt, const uint8_t *frame, size_t caplen, PktInfo *info)
{
	PktNetDecoder decode = find_link_decoder(dlt);
	PktCursor	c;

	memset(info, 0, sizeof(*info));
	info->ifindex = -1;
	if (decode == NULL)
		return PKT_UNSUPPORTED;
	if (frame == NULL)
		caplen = 0;
	c.ptr = frame;
	c.len = caplen;
	c.overrun = false;
	return decode(&c, info);
}

const char *
pkt_result_name(PktResult result)
{
	switch (result)
	{
		case PKT_IP:
			return "ip";
		case PKT_NOT_IP:
			return "not_ip";
		case PKT_UNSUPPORTED:
			return "unsupported";
		case PKT_TRUNCATED:
			return "truncated";
		case PKT_MALFORMED:
			return "malformed";
	}
	return "unknown";
}
