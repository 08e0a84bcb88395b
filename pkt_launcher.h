/*-------------------------------------------------------------------------
 * pkt_launcher.h
 *		The autostart launcher (pkt_launcher.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_LAUNCHER_H
#define PKT_LAUNCHER_H

extern void pkt_launcher_register(void);

#endif							/* PKT_LAUNCHER_H */
