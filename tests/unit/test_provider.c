/* test_provider: parsing of DigitalOcean and Kubernetes answers, source choice and fallback. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_provider.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "hc_settings.h"
#include "tap.h"

static void
blank(struct hc_desired *d)
{
	memset(d, 0, sizeof(*d));
	d->desired = d->ready = d->min = d->max = -1;
}

#define APP(svcs) "{\"app\":{\"id\":\"a1\",\"spec\":{\"name\":\"x\"," svcs "}}}"

struct app_case {
	const char	*body;
	const char	*component;
	int		 rc;
	long		 desired, min, max;
	const char	*picked;	/* component chosen, or a fragment of the error */
};

static const struct app_case app_cases[] = {
	{ APP("\"services\":[{\"name\":\"web\",\"instance_count\":2},{\"name\":\"api\",\"instance_count\":5}]"),
	  NULL, 0, 2, -1, -1, "web" },
	{ APP("\"services\":[{\"name\":\"web\",\"instance_count\":2},{\"name\":\"api\",\"instance_count\":5}]"),
	  "api", 0, 5, -1, -1, "api" },
	{ APP("\"services\":[{\"name\":\"web\",\"instance_count\":2}],\"workers\":[{\"name\":\"jobs\",\"instance_count\":4}]"),
	  "jobs", 0, 4, -1, -1, "jobs" },
	{ APP("\"workers\":[{\"name\":\"jobs\",\"instance_count\":4}]"),
	  NULL, 0, 4, -1, -1, "jobs" },
	{ APP("\"services\":[{\"name\":\"web\"}]"), NULL, 0, 1, -1, -1, "web" },
	{ APP("\"services\":[{\"name\":\"web\",\"autoscaling\":{\"min_instance_count\":2,\"max_instance_count\":6}}]"),
	  NULL, 0, -1, 2, 6, "web" },
	{ APP("\"services\":[{\"name\":\"web\",\"instance_count\":2}]"), "nope", -1, 0, 0, 0, "nope" },
	{ APP("\"services\":[]"), NULL, -1, 0, 0, 0, "no services" },
	{ APP("\"services\":[{\"name\":\"web\",\"instance_count\":-3}]"), NULL, 0, 1, -1, -1, "web" },
	{ "{\"app\":{}}", NULL, -1, 0, 0, 0, "app.spec" },
	{ "{\"id\":\"not_found\",\"message\":\"x\"}", NULL, -1, 0, 0, 0, "app.spec" },
	{ "[1,2]", NULL, -1, 0, 0, 0, "app.spec" },
	{ "{\"app\":", NULL, -1, 0, 0, 0, "not JSON" },
	{ "{} x", NULL, -1, 0, 0, 0, "after" },
	{ "", NULL, -1, 0, 0, 0, "empty" },
};

static void
test_do_app(void)
{
	struct hc_desired d;
	char	 err[256];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(app_cases) / sizeof(app_cases[0]); i++) {
		const struct app_case *c = &app_cases[i];

		blank(&d);
		err[0] = '\0';
		rc = hc_provider_parse_do_app(c->body, c->component, &d, err, sizeof(err));
		tap_is_int(rc, c->rc, "do app %zu: rc", i);
		if (c->rc == 0) {
			tap_is_int(d.desired, c->desired, "do app %zu: desired", i);
			tap_is_int(d.min, c->min, "do app %zu: min", i);
			tap_is_int(d.max, c->max, "do app %zu: max", i);
			tap_is_str(d.component, c->picked, "do app %zu: component", i);
		} else
			tap_ok(strstr(err, c->picked) != NULL, "do app %zu: error names \"%s\" (%s)",
			    i, c->picked, err);
	}
}

static void
test_do_health(void)
{
	struct hc_desired d;
	char	 err[256];

	blank(&d);
	strcpy(d.component, "web");
	d.desired = 2;
	tap_is_int(hc_provider_parse_do_health("{\"components\":[{\"name\":\"api\",\"replicas_desired\":9,"
	    "\"replicas_ready\":9},{\"name\":\"web\",\"replicas_desired\":3,\"replicas_ready\":1}]}",
	    &d, err, sizeof(err)), 0, "do health: parsed");
	tap_is_int(d.ready, 1, "do health: replicas_ready of the component");
	tap_is_int(d.desired, 2, "do health: a fixed instance_count wins over replicas_desired");

	blank(&d);
	strcpy(d.component, "web");
	d.min = 2;
	d.max = 6;
	tap_is_int(hc_provider_parse_do_health("{\"app_health\":{\"components\":[{\"name\":\"web\","
	    "\"replicas_desired\":4,\"replicas_ready\":4}]}}", &d, err, sizeof(err)), 0,
	    "do health: app_health wrapper accepted");
	tap_is_int(d.desired, 4, "do health: autoscaled desired from replicas_desired");

	blank(&d);
	strcpy(d.component, "web");
	tap_is_int(hc_provider_parse_do_health("{\"components\":[{\"name\":\"web\"}]}", &d, err,
	    sizeof(err)), -1, "do health: autoscaled without replicas_desired fails");
	blank(&d);
	strcpy(d.component, "web");
	tap_is_int(hc_provider_parse_do_health("{\"components\":[]}", &d, err, sizeof(err)), -1,
	    "do health: missing component fails");
	tap_ok(strstr(err, "web") != NULL, "do health: error names the component (%s)", err);
	tap_is_int(hc_provider_parse_do_health("nonsense", &d, err, sizeof(err)), -1,
	    "do health: not JSON fails");
}

#define K8S(spec, status) "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"," \
	"\"namespace\":\"prod\",\"generation\":7},\"spec\":{" spec "},\"status\":{" status "}}"
#define PROG(reason) "\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"}," \
	"{\"type\":\"Progressing\",\"status\":\"True\",\"reason\":\"" reason "\"," \
	"\"lastTransitionTime\":\"2026-11-22T10:00:00Z\",\"lastUpdateTime\":\"2026-11-22T10:05:00Z\"}]"

struct k8s_case {
	const char	*body;
	int		 rc;
	long		 desired, ready;
	enum hc_rollout	 rollout;
	const char	*phase;
};

static const struct k8s_case k8s_cases[] = {
	{ K8S("\"replicas\":3", "\"observedGeneration\":7,\"replicas\":3,\"updatedReplicas\":3,"
	  "\"readyReplicas\":3,\"availableReplicas\":3," PROG("NewReplicaSetAvailable")),
	  0, 3, 3, HC_ROLLOUT_DONE, "NewReplicaSetAvailable" },
	{ K8S("\"replicas\":3", "\"observedGeneration\":7,\"replicas\":4,\"updatedReplicas\":2,"
	  "\"readyReplicas\":3,\"availableReplicas\":3," PROG("ReplicaSetUpdated")),
	  0, 3, 3, HC_ROLLOUT_PROGRESS, "ReplicaSetUpdated" },
	{ K8S("\"replicas\":3", "\"observedGeneration\":6,\"replicas\":3,\"updatedReplicas\":3,"
	  "\"readyReplicas\":3,\"availableReplicas\":3"), 0, 3, 3, HC_ROLLOUT_PROGRESS, "Progressing" },
	{ K8S("\"replicas\":3", "\"observedGeneration\":7,\"replicas\":3,\"updatedReplicas\":2,"
	  "\"readyReplicas\":2,\"availableReplicas\":2," PROG("ProgressDeadlineExceeded")),
	  0, 3, 2, HC_ROLLOUT_FAILED, "ProgressDeadlineExceeded" },
	/* spec.replicas defaults to 1; zero status fields are omitted by the API server */
	{ K8S("\"paused\":false", "\"observedGeneration\":7"), 0, 1, 0, HC_ROLLOUT_PROGRESS, "Progressing" },
	{ K8S("\"replicas\":0", "\"observedGeneration\":7"), 0, 0, 0, HC_ROLLOUT_DONE, "Complete" },
	{ "{\"kind\":\"Status\",\"code\":404}", -1, 0, 0, HC_ROLLOUT_UNKNOWN, NULL },
	{ "<html>", -1, 0, 0, HC_ROLLOUT_UNKNOWN, NULL },
};

static void
test_k8s(void)
{
	struct hc_desired d;
	char	 err[256];
	size_t	 i;

	for (i = 0; i < sizeof(k8s_cases) / sizeof(k8s_cases[0]); i++) {
		const struct k8s_case *c = &k8s_cases[i];

		blank(&d);
		tap_is_int(hc_provider_parse_k8s(c->body, &d, err, sizeof(err)), c->rc,
		    "k8s %zu: rc", i);
		if (c->rc != 0)
			continue;
		tap_is_int(d.desired, c->desired, "k8s %zu: desired", i);
		tap_is_int(d.ready, c->ready, "k8s %zu: ready", i);
		tap_is_int(d.rollout, c->rollout, "k8s %zu: rollout", i);
		tap_is_str(d.rollout_phase, c->phase, "k8s %zu: phase", i);
		tap_is_str(d.component, "prod/web", "k8s %zu: component is ns/name", i);
	}
	blank(&d);
	hc_provider_parse_k8s(k8s_cases[1].body, &d, err, sizeof(err));
	tap_is_int(d.rollout_since, 1795341600, "k8s: rollout since the Progressing transition");
	tap_is_str(d.rollout_id, "generation 7", "k8s: rollout id names the generation");
}

static void
test_deployments(void)
{
	json_object	*a;
	char		 err[256];
	struct hc_desired d;

	a = hc_provider_parse_do_deployments("{\"deployments\":["
	    "{\"id\":\"old\",\"phase\":\"SUPERSEDED\",\"cause\":\"c1\",\"created_at\":\"2026-11-20T10:00:00Z\",\"updated_at\":\"2026-11-20T10:05:00Z\"},"
	    "{\"id\":\"new\",\"phase\":\"DEPLOYING\",\"cause\":\"c2\",\"created_at\":\"2026-11-22T10:00:00.123456Z\",\"updated_at\":\"2026-11-22T10:01:00Z\",\"spec\":{}},"
	    "{\"phase\":\"ACTIVE\"},"
	    "{\"id\":\"mid\",\"phase\":\"ACTIVE\",\"created_at\":\"bogus\"}"
	    "],\"meta\":{\"total\":3}}", err, sizeof(err));
	tap_ok(a != NULL, "deployments: parsed (%s)", a ? "" : err);
	if (a == NULL)
		return;
	tap_is_int(json_object_array_length(a), 3, "deployments: entries without id dropped");
	tap_is_str(json_object_to_json_string_ext(json_object_array_get_idx(a, 0), JSON_C_TO_STRING_PLAIN),
	    "{\"id\":\"new\",\"phase\":\"DEPLOYING\",\"cause\":\"c2\",\"created_at\":\"2026-11-22T10:00:00Z\",\"updated_at\":\"2026-11-22T10:01:00Z\"}",
	    "deployments: newest first, exactly the API.md fields, times at seconds");
	tap_is_str(json_object_to_json_string_ext(json_object_array_get_idx(a, 2), JSON_C_TO_STRING_PLAIN),
	    "{\"id\":\"mid\",\"phase\":\"ACTIVE\",\"cause\":null,\"created_at\":null,\"updated_at\":null}",
	    "deployments: missing and bad fields are null");
	blank(&d);
	hc_provider_rollout_from(a, &d);
	tap_is_int(d.rollout, HC_ROLLOUT_PROGRESS, "rollout: DEPLOYING is in progress");
	tap_is_str(d.rollout_id, "new", "rollout: from the newest deployment");
	tap_is_int(d.rollout_since, 1795341600, "rollout: since created_at");
	json_object_put(a);

	a = hc_provider_parse_do_deployments("{\"deployments\":[{\"id\":\"e\",\"phase\":\"ERROR\"}]}", err, sizeof(err));
	blank(&d);
	hc_provider_rollout_from(a, &d);
	tap_is_int(d.rollout, HC_ROLLOUT_FAILED, "rollout: ERROR failed");
	json_object_put(a);
	a = hc_provider_parse_do_deployments("{\"deployments\":[{\"id\":\"e\",\"phase\":\"CANCELED\"}]}", err, sizeof(err));
	hc_provider_rollout_from(a, &d);
	tap_is_int(d.rollout, HC_ROLLOUT_FAILED, "rollout: CANCELED failed");
	json_object_put(a);
	a = hc_provider_parse_do_deployments("{\"deployments\":[{\"id\":\"e\",\"phase\":\"ACTIVE\"}]}", err, sizeof(err));
	hc_provider_rollout_from(a, &d);
	tap_is_int(d.rollout, HC_ROLLOUT_DONE, "rollout: ACTIVE done");
	json_object_put(a);

	a = hc_provider_parse_do_deployments("{}", err, sizeof(err));
	tap_ok(a != NULL && json_object_array_length(a) == 0, "deployments: never deployed -> []");
	blank(&d);
	hc_provider_rollout_from(a, &d);
	tap_is_int(d.rollout, HC_ROLLOUT_UNKNOWN, "rollout: none known from []");
	json_object_put(a);
	tap_ok(hc_provider_parse_do_deployments("[]", err, sizeof(err)) == NULL,
	    "deployments: an array answer is refused");
	tap_ok(hc_provider_parse_do_deployments("{\"deployments\":", err, sizeof(err)) == NULL,
	    "deployments: truncated JSON is refused");
}

static void
test_metrics(void)
{
	json_object	*a;
	char		 err[256];

	a = hc_provider_parse_do_metrics("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
	    "\"result\":[{\"metric\":{\"app_component_instance\":\"a\"},\"values\":[[1795341660,\"3\"],[1795341600,\"1.5\"]]},"
	    "{\"metric\":{\"app_component_instance\":\"b\"},\"values\":[[1795341600,\"2.5\"],[1795341660,\"NaN\"],[\"x\",\"1\"],[1795341720]]}]}}",
	    err, sizeof(err));
	tap_ok(a != NULL, "metrics: parsed (%s)", a ? "" : err);
	if (a == NULL)
		return;
	tap_is_str(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
	    "[{\"t\":\"2026-11-22T10:00:00Z\",\"value\":2.0},{\"t\":\"2026-11-22T10:01:00Z\",\"value\":3.0}]",
	    "metrics: series merged by mean, sorted, bad samples skipped");
	json_object_put(a);
	a = hc_provider_parse_do_metrics("{\"status\":\"success\",\"data\":{\"result\":[]}}", err, sizeof(err));
	tap_ok(a != NULL && json_object_array_length(a) == 0, "metrics: no series -> []");
	json_object_put(a);
	tap_ok(hc_provider_parse_do_metrics("{\"status\":\"error\",\"data\":{\"result\":[]}}", err, sizeof(err)) == NULL,
	    "metrics: status error refused");
	tap_ok(hc_provider_parse_do_metrics("{\"data\":{}}", err, sizeof(err)) == NULL,
	    "metrics: no data.result refused");
}

static void
settings_base(struct hc_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->key_prefix = (char *)"test:";
	s->desired_replicas = -1;
	s->provider_timeout_ms = 500;
	s->do_api_url = (char *)"http://127.0.0.1:1";
	s->k8s_api_url = (char *)"http://127.0.0.1:1";
	s->k8s_token_file = (char *)"/nonexistent/headcount/token";
	s->k8s_ca_file = (char *)"";
}

static void
test_sources(void)
{
	struct hc_settings	 s;
	struct hc_provider	*p;
	struct hc_desired	 d;
	char			 err[256];
	json_object		*o;

	tap_is_str(hc_provider_source_name(HC_SOURCE_DO), "digitalocean", "source name: digitalocean");
	tap_is_str(hc_provider_source_name(HC_SOURCE_K8S), "kubernetes", "source name: kubernetes");
	tap_is_str(hc_provider_source_name(HC_SOURCE_ENV), "env", "source name: env");
	tap_is_str(hc_provider_source_name(HC_SOURCE_NONE), "none", "source name: none");
	tap_is_str(hc_provider_source_name(HC_SOURCE_MAX), "none", "source name: out of range");

	settings_base(&s);
	tap_is_int(hc_provider_configured(&s), HC_SOURCE_NONE, "configured: nothing -> none");
	s.desired_replicas = 3;
	tap_is_int(hc_provider_configured(&s), HC_SOURCE_ENV, "configured: DESIRED_REPLICAS -> env");
	s.k8s_deployment = (char *)"prod/web";
	tap_is_int(hc_provider_configured(&s), HC_SOURCE_K8S, "configured: k8s before env");
	s.do_api_token = (char *)"t";
	tap_is_int(hc_provider_configured(&s), HC_SOURCE_K8S, "configured: DO needs the app id too");
	s.do_app_id = (char *)"a";
	tap_is_int(hc_provider_configured(&s), HC_SOURCE_DO, "configured: DO first");

	/* DigitalOcean unreachable: falls back to DESIRED_REPLICAS, no Redis. */
	p = hc_provider_new(&s, err, sizeof(err));
	hc_provider_desired(p, NULL, HC_PROVIDER_ROLLOUT, &d);
	tap_ok(d.failed, "DO down: failed");
	tap_is_int(d.configured, HC_SOURCE_DO, "DO down: configured stays digitalocean");
	tap_is_int(d.source, HC_SOURCE_ENV, "DO down: source is the env fallback");
	tap_is_int(d.desired, 3, "DO down: desired from DESIRED_REPLICAS");
	tap_is_int(d.err, HC_ERR_HTTP, "DO down: an HTTP failure");
	tap_ok(strstr(d.error, "DigitalOcean") != NULL, "DO down: error names DigitalOcean (%s)", d.error);
	o = hc_provider_deployments(p, NULL, 0);
	tap_ok(o == NULL && hc_provider_err(p) == HC_ERR_HTTP,
	    "DO down: deployments fail with HC_ERR_HTTP (%s)", hc_provider_errstr(p));
	hc_provider_free(p);

	/* Kubernetes without a token file and without a fallback. */
	s.do_api_token = NULL;
	s.desired_replicas = -1;
	p = hc_provider_new(&s, err, sizeof(err));
	hc_provider_desired(p, NULL, 0, &d);
	tap_ok(d.failed, "k8s no token: failed");
	tap_is_int(d.source, HC_SOURCE_NONE, "k8s no token, no fallback: source none");
	tap_is_int(d.desired, -1, "k8s no token, no fallback: desired unknown");
	tap_is_int(d.err, HC_ERR_AUTH, "k8s no token: an auth failure");
	tap_ok(strstr(d.error, "HEADCOUNT_K8S_TOKEN_FILE") != NULL,
	    "k8s no token: error names HEADCOUNT_K8S_TOKEN_FILE (%s)", d.error);
	o = hc_provider_metrics(p, NULL, 0);
	tap_ok(o == NULL && hc_provider_err(p) == HC_ERR_UNAVAILABLE,
	    "metrics without DO: HC_ERR_UNAVAILABLE");
	tap_ok(strstr(hc_provider_errstr(p), "DO_API_TOKEN") != NULL,
	    "metrics without DO: names DO_API_TOKEN (%s)", hc_provider_errstr(p));
	hc_provider_free(p);

	settings_base(&s);
	s.desired_replicas = 4;
	p = hc_provider_new(&s, err, sizeof(err));
	hc_provider_desired(p, NULL, HC_PROVIDER_FRESH, &d);
	tap_ok(!d.failed && d.source == HC_SOURCE_ENV && d.desired == 4, "env: DESIRED_REPLICAS used as is");
	hc_provider_free(p);
	hc_provider_free(NULL);
}

int
main(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	test_do_app();
	test_do_health();
	test_k8s();
	test_deployments();
	test_metrics();
	test_sources();
	curl_global_cleanup();
	return tap_done();
}
