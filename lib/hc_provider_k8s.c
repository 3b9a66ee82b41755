/* hc_provider_k8s: the Kubernetes apps/v1 Deployment as the desired count. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_provider.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "hc_provider_int.h"
#include "hc_settings.h"

/* The service-account token, trimmed; NULL with errstr when unreadable. */
static char *
hc_provider_k8s_token(const char *path, enum hc_err *err, char *errstr, size_t errlen)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		hc_err_set(err, errstr, errlen, HC_ERR_AUTH,
		    "Kubernetes: cannot read HEADCOUNT_K8S_TOKEN_FILE %s: %s",
		    path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(16384)) == NULL) {
		fclose(fp);
		hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "Kubernetes: out of memory");
		return NULL;
	}
	n = fread(buf, 1, 16383, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n == 0 || strpbrk(buf, "\r\n") != NULL) {
		free(buf);
		hc_err_set(err, errstr, errlen, HC_ERR_AUTH,
		    "Kubernetes: HEADCOUNT_K8S_TOKEN_FILE %s holds no token", path);
		return NULL;
	}
	return buf;
}

int
hc_provider_k8s_fetch(struct hc_provider *p, struct hc_desired *d, enum hc_err *err,
    char *errstr, size_t errlen)
{
	const struct hc_settings *s = p->s;
	char		*url = NULL, *body = NULL, *token = NULL, *ens = NULL,
			*ename = NULL, *ns = NULL, *slash, perr[160];
	size_t		 len, blen;
	int		 rc = -1;

	/* An empty token file setting means no token (kubectl proxy). */
	if (*s->k8s_token_file != '\0' &&
	    (token = hc_provider_k8s_token(s->k8s_token_file, err, errstr, errlen)) == NULL)
		return -1;
	if ((ns = strdup(s->k8s_deployment)) == NULL ||
	    (slash = strchr(ns, '/')) == NULL)
		goto nomem;
	*slash = '\0';
	if ((ens = curl_easy_escape(p->curl, ns, 0)) == NULL ||
	    (ename = curl_easy_escape(p->curl, slash + 1, 0)) == NULL)
		goto nomem;
	blen = strlen(s->k8s_api_url);
	while (blen > 0 && s->k8s_api_url[blen - 1] == '/')
		blen--;
	len = blen + strlen(ens) + strlen(ename) + sizeof("/apis/apps/v1/namespaces//deployments/");
	if ((url = malloc(len)) == NULL)
		goto nomem;
	snprintf(url, len, "%.*s/apis/apps/v1/namespaces/%s/deployments/%s",
	    (int)blen, s->k8s_api_url, ens, ename);
	if ((body = hc_provider_get(p, "Kubernetes", url,
	    "/apis/apps/v1/namespaces/{ns}/deployments/{name}", token,
	    s->k8s_ca_file, err, errstr, errlen)) == NULL)
		goto out;
	if (hc_provider_parse_k8s(body, d, perr, sizeof(perr)) != 0) {
		hc_err_set(err, errstr, errlen, HC_ERR_PARSE, "Kubernetes: %s", perr);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	hc_err_set(err, errstr, errlen, HC_ERR_NOMEM, "Kubernetes: out of memory");
out:
	curl_free(ens);
	curl_free(ename);
	free(ns);
	free(url);
	free(body);
	free(token);
	return rc;
}

