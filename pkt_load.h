/*-------------------------------------------------------------------------
 * pkt_load.h
 *		Loading a capture file into packets (pkt_load.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_LOAD_H
#define PKT_LOAD_H

extern int64 pkt_load_file(const char *path);

#endif							/* PKT_LOAD_H */
