/* hc_valid: the syntax rules of names the API and the settings share (one copy each). */
#ifndef HC_VALID_H
#define HC_VALID_H

#define HC_VALID_INSTANCE_ID_MAX	128	/* bytes, per API.md */
#define HC_VALID_INSTANCE_ID_RULE	"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"

/*
 * 1 when s is an instance id (HC_VALID_INSTANCE_ID_RULE: heartbeats,
 * DELETE /api/v1/instances/{id}, HEADCOUNT_INSTANCE_ID), else 0 (NULL
 * too).  The signature fits struct hc_param's valid.
 */
int	 hc_valid_instance_id(const char *s);

#endif
