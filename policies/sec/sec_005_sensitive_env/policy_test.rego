package kubegate.sec.sensitive_env_test

import rego.v1

import data.kubegate.sec.sensitive_env as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

envs(list) := pod({"containers": [{"name": "a", "env": list}]})

pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"

test_sensitive_names_case_insensitive if {
	obj := envs([
		{"name": "DB_Password", "value": "hunter2"},
		{"name": "api_key", "value": "hunter2"},
		{"name": "GITHUB_TOKEN", "value": "hunter2"},
		{"name": "LOG_LEVEL", "value": "info"},
		{"name": "KEYCLOAK_URL", "value": "https://id"},
		{"name": "POSTGRES_PASSWORD_FILE", "value": "/run/secrets/db"},
		{"name": "TOKEN_PATH", "value": "/run/secrets/token"},
	])
	paths(p.errors(obj)) == {
		["spec", "containers", 0, "env", 0, "value"],
		["spec", "containers", 0, "env", 1, "value"],
		["spec", "containers", 0, "env", 2, "value"],
	}
}

test_private_key_value_under_any_name if {
	paths(p.errors(envs([{"name": "CERT", "value": pem}]))) == {["spec", "containers", 0, "env", 0, "value"]}
}

test_references_and_empty_are_not_literals if {
	obj := envs([
		{"name": "DB_PASSWORD", "value": "${DB_PASSWORD}"},
		{"name": "API_TOKEN", "value": "$(TOKEN_FROM_FILE)"},
		{"name": "SECRET", "value": ""},
		{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
	])
	count(p.errors(obj)) == 0
	# A literal mixed with a reference is still a literal.
	count(p.errors(envs([{"name": "DB_PASSWORD", "value": "hunter2${X}"}]))) == 1
}

test_sec_006_credentials_are_left_to_sec_006 if {
	obj := envs([
		{"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{"name": "AWS_SESSION_TOKEN", "value": "hunter2"},
		{"name": "STRIPE_SECRET_KEY", "value": "hunter2"},
	])
	paths(p.errors(obj)) == {["spec", "containers", 0, "env", 2, "value"]}
}

test_configmap_keys if {
	obj := {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {
		"db_password": "hunter2", "tls.pem": pem, "log_level": "info",
		"aws_secret_access_key": "hunter2",
	}}
	paths(p.errors(obj)) == {["data", "db_password"], ["data", "tls.pem"]}
}

test_config_map_generator_literals if {
	obj := {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "configMapGenerator": [
		{"name": "g", "literals": ["LOG_LEVEL=info", "DB_PASSWORD=hunter2=x", "TOKEN", 5]},
	]}
	paths(p.errors(obj)) == {["configMapGenerator", 0, "literals", 1]}
}

test_name_patterns_param if {
	obj := envs([{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "PIN", "value": "1234"}])
	paths(p.errors(obj)) == {["spec", "containers", 0, "env", 1, "value"]} with data.params as {"SEC-005": {"name_patterns": ["^pin$"]}}
}

test_all_container_kinds_and_cronjob if {
	e := [{"name": "TOKEN", "value": "hunter2"}]
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"initContainers": [{"name": "i", "env": e}],
		"ephemeralContainers": [{"name": "d", "env": e}],
	}}}}}}
	paths(p.errors(obj)) == {
		["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "env", 0, "value"],
		["spec", "jobTemplate", "spec", "template", "spec", "ephemeralContainers", 0, "env", 0, "value"],
	}
}

test_secret_references_are_warnings if {
	obj := pod({"containers": [{
		"name": "a",
		"env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}, {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}],
		"envFrom": [{"configMapRef": {"name": "c"}}, {"secretRef": {"name": "s"}}],
	}]})
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["spec", "containers", 0, "env", 0, "valueFrom", "secretKeyRef"], ["spec", "containers", 0, "envFrom", 1, "secretRef"]}
}

test_malformed if {
	count(p.errors(envs("bogus"))) == 0
	count(p.errors(envs(["bogus", {"name": 5, "value": "hunter2"}, {"name": "TOKEN", "value": 5}]))) == 0
	count(p.errors({"kind": "ConfigMap", "data": "bogus"})) == 0
	count(p.warnings(pod({"containers": [{"name": "a", "env": [{"valueFrom": "x"}], "envFrom": "x"}]}))) == 0
}

test_messages_never_quote_values if {
	msgs := {f.msg | some f in p.errors(envs([{"name": "TOKEN", "value": "hunter2"}, {"name": "K", "value": pem}]))}
	count(msgs) == 2
	# (no `every`: it crashes regopy 1.5.2)
	leaks := {m | some m in msgs; contains(m, "hunter2")} | {m | some m in msgs; contains(m, "MIIE")}
	count(leaks) == 0
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "env": [{"name": "TOKEN", "value": "x"}]}]}
	paths(d) == {["spec", "containers", 0, "env", 0, "value"]}
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "envFrom": [{"secretRef": {"name": "s"}}]}]}
	paths(w) == {["spec", "containers", 0, "envFrom", 0, "secretRef"]}
}
